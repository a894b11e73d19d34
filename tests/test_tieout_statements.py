"""Statements read by the night's tie-out: the center's, a foreign one, and one with other accounts.

A foreign statement is recorded and archived, its п/п are not stored for the tie-out, and the night
has a FOREIGN_STATEMENT discrepancy for it (as BAD_FILE statements have theirs: the report shows
every discrepancy of the date).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from rkc.config import init_home
from rkc.tie import tie_out

CENTER = "40702810900000000001"  # rkc init's center.bank_account
OTHER = "40702810000000000002"
NIGHT = date(2026, 11, 20)
SBER_DOC = """СекцияДокумент=Платежное поручение
Номер={number}
Дата=20.11.2026
Сумма={amount}
ПлательщикСчет=30101810400000000225
Плательщик=ПАО Сбербанк
ПлательщикИНН=7707083893
ПолучательСчет={to}
Получатель=РКЦ
ДатаПоступило=20.11.2026
НазначениеПлатежа=Перечисление средств по реестру № {number} от 20.11.2026
КонецДокумента
"""


def section(account: str, incoming: str) -> str:
    """One account's СекцияРасчСчет for the night, opening at zero."""
    return (
        f"СекцияРасчСчет\nДатаНачала=20.11.2026\nДатаКонца=20.11.2026\nРасчСчет={account}\n"
        f"НачальныйОстаток=0.00\nВсегоПоступило={incoming}\nВсегоСписано=0.00\nКонечныйОстаток={incoming}\n"
        "КонецРасчСчет\n"
    )


def statement(sections: str, docs: str) -> bytes:
    """A 1CClientBankExchange file (cp1251, CRLF)."""
    text = (
        "1CClientBankExchange\nВерсияФормата=1.03\nКодировка=Windows\nОтправитель=Банк-клиент\n"
        f"ДатаСоздания=20.11.2026\nДатаНачала=20.11.2026\nДатаКонца=20.11.2026\n{sections}{docs}КонецФайла\n"
    )
    return text.replace("\n", "\r\n").encode("cp1251")


def doc(number: str, amount: str, to: str) -> str:
    return SBER_DOC.format(number=number, amount=amount, to=to)


# (case, file bytes, expected: stored transfers, FOREIGN_STATEMENT details (fragments) with amounts,
# foreign findings in the summary, ignored documents)
CASES = [
    ("the center's", statement(section(CENTER, "100.00"), doc("1", "100.00", CENTER)), 1, [], 0),
    ("another account's", statement(section(OTHER, "250.00"), doc("2", "250.00", OTHER)), 0,
     [(f"выписка по счёту {OTHER}, а не по счёту РКЦ {CENTER}: 1 поступлений на 250,00", 25000)], 0),
    ("the center's beside another account's",
     statement(section(OTHER, "250.00") + section(CENTER, "100.00"),
               doc("1", "100.00", CENTER) + doc("2", "250.00", OTHER)), 1,
     [(f"в файле также разделы по счетам {OTHER}: не прочитаны; документов не по счёту {CENTER}: 1", None)], 1),
]  # fmt: skip


@pytest.mark.parametrize(("case", "data", "stored", "findings", "ignored"), CASES, ids=[c[0] for c in CASES])
def test_statement_accounts_in_the_tie_out(
    tmp_path: Path, engine: sa.Engine, case: str, data: bytes, stored: int, findings: list, ignored: int
) -> None:
    config, _ = init_home(tmp_path / "home")
    assert config.center_account == CENTER
    (config.statements_inbox / "vypiska.txt").write_bytes(data)

    summary = tie_out(config, engine, NIGHT)

    assert (summary.statements, summary.transfers_new, summary.bad_statements) == (1, stored, []), case
    assert summary.ignored_documents == ignored
    assert len(summary.foreign_statements) == len(findings)
    with engine.connect() as conn:
        files = conn.execute(sa.text("SELECT file, account FROM bank_statement")).all()
        transfers = conn.execute(sa.text("SELECT COUNT(*) FROM bank_transfer")).scalar_one()
        rows = conn.execute(
            sa.text("SELECT code, channel, file, detail, amount FROM discrepancy WHERE run_date = :d ORDER BY id"),
            {"d": NIGHT},
        ).all()
    assert [f.file for f in files] == ["vypiska.txt"]  # recorded, foreign or not
    assert transfers == stored
    foreign = [r for r in rows if r.code == "FOREIGN_STATEMENT"]
    assert [(r.channel, r.file) for r in foreign] == [("statements", "vypiska.txt")] * len(findings)
    for row, (fragment, amount) in zip(foreign, findings, strict=True):
        assert fragment in row.detail
        assert row.amount == amount
    assert (config.archive / NIGHT.isoformat() / "statements" / "vypiska.txt").is_file()
    assert not (config.statements_inbox / "vypiska.txt").exists()


def test_foreign_statement_ties_no_register(tmp_path: Path, engine: sa.Engine) -> None:
    """The agent's п/п in another account's statement is not the center's money: nothing to post."""
    config, _ = init_home(tmp_path / "home")
    (config.statements_inbox / "a.txt").write_bytes(statement(section(OTHER, "250.00"), doc("2", "250.00", OTHER)))
    summary = tie_out(config, engine, NIGHT)
    assert (summary.tied, summary.registers_missing) == (0, 0)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM ledger_entry")).scalar_one() == 0
