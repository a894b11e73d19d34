"""The bank's debits tie to the prepared payouts (SQLite and PostgreSQL): settled, mismatched,
a stranger's debit, a payout missing from the statements."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from parsers.statement_1c import parse_payment_orders
from rkc.payouts import PayoutError, cancel, prepare
from rkc.tie import tie_out
from sql.ledger_queries import check_ledger
from tests.payoututil import DAY, add_suppliers, balances, center, make_account, make_inn, post, rows, supplier

A, B = make_inn(1), make_inn(2)
NEXT = DAY + timedelta(days=1)


def debit(number: str, day: date, amount: str, to: str, to_inn: str) -> str:
    """An outgoing document of the center's statement."""
    return (
        f"СекцияДокумент=Платежное поручение\nНомер={number}\nДата={day:%d.%m.%Y}\nСумма={amount}\n"
        f"ПлательщикСчет={{center}}\nПлательщик=РКЦ\nПолучательСчет={to}\nПолучательИНН={to_inn}\n"
        f"Получатель=Поставщик\nДатаСписано={NEXT:%d.%m.%Y}\nНазначениеПлатежа=Перечисление\nКонецДокумента\n"
    )


def statement(center_account: str, docs: list[str], total: int) -> bytes:
    """The center's statement of ``NEXT`` with these debits, from an opening balance of 10 000,00."""
    out = f"{total // 100}.{total % 100:02d}"
    closing = 1_000_000 - total
    text = (
        "1CClientBankExchange\nВерсияФормата=1.03\nКодировка=Windows\nОтправитель=Банк\n"
        f"ДатаНачала={NEXT:%d.%m.%Y}\nДатаКонца={NEXT:%d.%m.%Y}\nСекцияРасчСчет\nДатаНачала={NEXT:%d.%m.%Y}\n"
        f"ДатаКонца={NEXT:%d.%m.%Y}\nРасчСчет={center_account}\nНачальныйОстаток=10000.00\nВсегоПоступило=0.00\n"
        f"ВсегоСписано={out}\nКонечныйОстаток={closing // 100}.{closing % 100:02d}\nКонецРасчСчет\n"
        + "".join(docs).replace("{center}", center_account) + "КонецФайла\n"
    )
    return text.replace("\n", "\r\n").encode("cp1251")


@pytest.fixture
def prepared(tmp_path: Path, engine: sa.Engine):  # type: ignore[no-untyped-def]
    """Two payouts of DAY: № 1 to A for 500,00 and № 2 to B for 300,00."""
    add_suppliers(engine, [supplier(1), supplier(2)])
    post(engine, [(A, "ЖКУ", 50000), (B, "ЖКУ", 30000)])
    config = center(tmp_path)
    prepare(config, engine, DAY)
    return config


def night_flags(engine: sa.Engine, night: date) -> list[tuple[str, str]]:
    """The night's payout discrepancies (the test's register has no п/п: TRANSFER_MISSING is not ours)."""
    found = rows(engine, "SELECT code, operation_id FROM discrepancy WHERE run_date = :d AND code <> 'TRANSFER_MISSING'"
                 " ORDER BY code, operation_id", d=night)  # fmt: skip
    return [tuple(r) for r in found.values.tolist()]


def test_a_debit_of_a_prepared_payout_settles_it_into_the_bank(prepared, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    docs = [debit("1", DAY, "500.00", make_account(1), A)]
    (prepared.statements_inbox / "st.txt").write_bytes(statement(prepared.center_account, docs, 50000))

    summary = tie_out(prepared, engine, NEXT)

    assert (summary.debits_new, summary.payouts_settled, summary.debits_unknown) == (1, 1, 0)
    money = balances(engine)
    assert money["payouts_in_transit"] == 30000  # № 2 still in transit
    assert money[f"bank:{prepared.center_account}"] == -50000  # the bank paid out (no receipts in this test)
    assert rows(engine, "SELECT status FROM payout ORDER BY number")["status"].tolist() == ["settled", "prepared"]
    entry = rows(engine, "SELECT kind, value_date FROM ledger_entry WHERE kind = 'payout_settled'")
    assert str(entry["value_date"][0])[:10] == NEXT.isoformat()  # ДатаСписано
    assert night_flags(engine, NEXT) == []
    with pytest.raises(PayoutError, match="debited by the bank already"):
        cancel(prepared, engine, DAY, "1", "поздно", NEXT)
    again = tie_out(prepared, engine, NEXT)  # the night run again: nothing posted twice
    assert again.payouts_settled == 0 and balances(engine)["payouts_in_transit"] == 30000
    with engine.connect() as conn:
        assert check_ledger(conn) == []  # the new kinds balance like every entry


def test_mismatch_and_a_stranger_are_flagged_and_nothing_settles(prepared, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    docs = [debit("1", DAY, "499.00", make_account(1), A),  # the amount differs
            debit("2", DAY, "300.00", make_account(7), B),  # another account
            debit("77", DAY, "12.00", "40702810000000000077", "7707083893")]  # not the center's order
    (prepared.statements_inbox / "st.txt").write_bytes(statement(prepared.center_account, docs, 49900 + 30000 + 1200))

    summary = tie_out(prepared, engine, NEXT)

    assert (summary.payouts_settled, summary.payouts_mismatched, summary.debits_unknown) == (0, 2, 1)
    assert night_flags(engine, NEXT) == [("PAYOUT_MISMATCH", "1"), ("PAYOUT_MISMATCH", "2"), ("UNKNOWN_OUTGOING", "77")]
    detail = rows(engine, "SELECT detail FROM discrepancy WHERE operation_id = '1'")["detail"][0]
    assert "подготовлено 500,00" in detail.replace("\u00a0", " ")
    assert balances(engine)["payouts_in_transit"] == 80000


def test_a_payout_not_debited_in_time_is_missing_every_night_until_it_is(prepared, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    tie_out(prepared, engine, DAY + timedelta(days=2))
    assert night_flags(engine, DAY + timedelta(days=2)) == []  # missing_days is 3
    late = DAY + timedelta(days=3)
    summary = tie_out(prepared, engine, late)
    assert summary.payouts_missing == 2
    assert night_flags(engine, late) == [("PAYOUT_MISSING", "1"), ("PAYOUT_MISSING", "2")]
    assert len(parse_payment_orders(prepared.out / DAY.isoformat() / "payouts" / f"payment-orders-{DAY}.txt")) == 2
