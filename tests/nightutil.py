"""A night without Prefect, step by step as ``flows.nightly`` runs it (intake, the statements'
payers' п/п, decisions, posting, tie-out), and a bank statement of the center's account to feed it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa
import yaml

from domain.money import format_amount
from rkc.commit import RegisterOutcome, commit_register
from rkc.config import Config
from rkc.decide import decide_night
from rkc.direct import read_direct_night
from rkc.intake import take_in
from rkc.tie import TieSummary, tie_out

CENTER = "40702810900000000001"  # rkc init's center.bank_account
# The older shape of channel gis: ГИС ЖКХ as an agent paying its own п/п (rkc init writes money_from: sber)
GIS_AGENT = {"name": "ГИС ЖКХ", "inn": "7705013033", "account": "40702810100000000003"}


def gis_as_agent(home: Path) -> None:
    """Configure ``home``'s channel gis in the older shape, an agent with a п/п of its own
    (``GIS_AGENT``, no ``money_from``), for the tests whose day is built on it."""
    path = home / "rkc.yaml"
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    settings["channels"]["gis"].pop("money_from", None)
    settings["channels"]["gis"]["agent"] = dict(GIS_AGENT)
    path.write_text(yaml.safe_dump(settings, allow_unicode=True, sort_keys=False), encoding="utf-8")

Document = tuple[str, tuple[str, str, str], int, str]  # number, payer (name, INN, account), kopecks, purpose


def _document(day: date, number: str, payer: tuple[str, str, str], kopecks: int, purpose: str) -> str:
    return (f"СекцияДокумент=Платежное поручение\nНомер={number}\nДата={day:%d.%m.%Y}\n"
            f"Сумма={format_amount(kopecks)}\nПлательщикСчет={payer[2]}\nПлательщик={payer[0]}\n"
            f"ПлательщикИНН={payer[1]}\nПолучательСчет={CENTER}\nПолучатель=РКЦ\n"
            f"ДатаПоступило={day:%d.%m.%Y}\nНазначениеПлатежа={purpose}\nКонецДокумента\n")  # fmt: skip


def statement(day: date, documents: list[Document], *, sent: str = "07:00:00") -> bytes:
    """A 1CClientBankExchange statement of the center's account for ``day``, a document each."""
    d, total = f"{day:%d.%m.%Y}", sum(doc[2] for doc in documents)
    docs = "".join(_document(day, *doc) for doc in documents)
    text = (f"1CClientBankExchange\nВерсияФормата=1.03\nКодировка=Windows\nОтправитель=Банк-клиент\n"
            f"ДатаСоздания={d}\nВремяСоздания={sent}\nДатаНачала={d}\nДатаКонца={d}\nСекцияРасчСчет\n"
            f"ДатаНачала={d}\nДатаКонца={d}\nРасчСчет={CENTER}\nНачальныйОстаток=0.00\n"
            f"ВсегоПоступило={format_amount(total)}\nВсегоСписано=0.00\nКонечныйОстаток={format_amount(total)}\n"
            f"КонецРасчСчет\n{docs}КонецФайла\n")  # fmt: skip
    return text.replace("\n", "\r\n").encode("cp1251")


def run_night(config: Config, engine: sa.Engine, night: date, work: Path) -> tuple[list[RegisterOutcome], TieSummary]:
    """Every register in the channels' inboxes and every statement in inbox/statements, through the
    night's steps in the flow's order; the registers' outcomes and the tie-out's summary."""
    files = [(c, p) for c in config.inbox_channels if (config.inbox / c).is_dir()
             for p in sorted((config.inbox / c).iterdir()) if p.is_file()]  # fmt: skip
    intakes = [take_in(config, engine, channel, path, work) for channel, path in files]
    direct = read_direct_night(config, engine, night, work)
    intakes += direct.intakes
    plan = decide_night(config, engine, intakes, work, night) if intakes else None
    outcomes = [commit_register(config, engine, i, plan, night) for i in intakes]
    return outcomes, tie_out(config, engine, night, direct.read)
