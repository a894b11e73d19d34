"""Payment orders for the bank client: 1CClientBankExchange 1.03, cp1251, CRLF (docs/REPORTS.md).

One ``СекцияДокумент=Платежное поручение`` per payout (and per refund to a payer), the center's
account as payer and the supplier's (the payer's) as recipient, ``ВидОплаты=01``,
``Очередность=5``. The file depends only on what it is handed (the stored payouts and the time
they were prepared), so preparing a date again writes the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from domain.money import format_amount

DOCUMENT = "Платежное поручение"


@dataclass(frozen=True)
class Payer:
    """The center as payer of its payment orders."""

    name: str
    inn: str
    kpp: str
    account: str
    bic: str
    bank: str = ""
    correspondent: str = ""


@dataclass(frozen=True)
class Order:
    """One payment order as written."""

    number: str
    day: date
    amount: int  # kopecks
    recipient_name: str
    recipient_inn: str
    recipient_kpp: str
    recipient_account: str
    recipient_bic: str
    purpose: str


def _clean(value: str) -> str:
    """A value on one line: no line breaks or ``=`` trouble for the Key=Value format."""
    return " ".join(str(value).split())


def _named(inn: str, name: str) -> str:
    """``Получатель`` as banks print it: ``ИНН <inn> <name>``, or the name alone for a person
    without an ИНН (a payer refunded)."""
    return f"ИНН {inn} {_clean(name)}" if inn else _clean(name)


def render(orders: Iterable[Order], payer: Payer, day: date, created: datetime) -> str:
    """The file's text (lines joined by CRLF, ending with ``КонецФайла``)."""
    lines = [
        "1CClientBankExchange", "ВерсияФормата=1.03", "Кодировка=Windows", "Отправитель=rkc", "Получатель=",
        f"ДатаСоздания={created:%d.%m.%Y}", f"ВремяСоздания={created:%H:%M:%S}",
        f"ДатаНачала={day:%d.%m.%Y}", f"ДатаКонца={day:%d.%m.%Y}", f"РасчСчет={payer.account}",
        f"Документ={DOCUMENT}",
    ]  # fmt: skip
    for o in orders:
        lines += [
            f"СекцияДокумент={DOCUMENT}", f"Номер={o.number}", f"Дата={o.day:%d.%m.%Y}",
            f"Сумма={format_amount(o.amount)}",
            f"ПлательщикСчет={payer.account}", f"Плательщик=ИНН {payer.inn} {_clean(payer.name)}",
            f"ПлательщикИНН={payer.inn}", f"ПлательщикКПП={payer.kpp}", f"Плательщик1={_clean(payer.name)}",
            f"ПлательщикРасчСчет={payer.account}", f"ПлательщикБанк1={_clean(payer.bank)}",
            f"ПлательщикБИК={payer.bic}", f"ПлательщикКорсчет={payer.correspondent}",
            f"ПолучательСчет={o.recipient_account}",
            f"Получатель={_named(o.recipient_inn, o.recipient_name)}",
            f"ПолучательИНН={o.recipient_inn}", f"ПолучательКПП={o.recipient_kpp}",
            f"Получатель1={_clean(o.recipient_name)}", f"ПолучательРасчСчет={o.recipient_account}",
            f"ПолучательБИК={o.recipient_bic}",
            "ВидОплаты=01", "Очередность=5", f"НазначениеПлатежа={_clean(o.purpose)}",
            "КонецДокумента",
        ]  # fmt: skip
    lines.append("КонецФайла")
    return "\r\n".join(lines) + "\r\n"


def write(path: Path, orders: Iterable[Order], payer: Payer, day: date, created: datetime) -> Path:
    """Write the payment orders file in cp1251 (a character cp1251 lacks is an error, not a ``?``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = render(orders, payer, day, created).encode("cp1251")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)  # whole or not at all: the bank client must never pick up half a file
    return path
