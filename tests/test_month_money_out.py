"""A generated month with money going out (issue #18, «done when»), night by night on SQLite and
PostgreSQL: payouts prepared daily and settled by the next statements' debits, a payer refunded,
a register recalled and sent again corrected, a ГИС ЖКХ payment cancelled, every night a
quarantined register whose п/п came (``synthetic.month``). At the month's end every supplier's
statement closes at its ledger balance, the bank account's ledger balance is the last statement's
closing balance, the balances sum to zero and the ledger's checks find nothing."""

from __future__ import annotations

import csv
import itertools
import time
from datetime import date

import pandas as pd
import sqlalchemy as sa
import yaml

from domain.fee import month_fee, parse_terms
from rkc.config import Config, init_home, load_config
from rkc.statements import statement_data, write_statements
from rkc.users import add_user
from sql.engine import make_engine
from sql.ledger_queries import balances, check_ledger
from synthetic.month import EVENT_NIGHT, run_month

FIRST = date(2026, 11, 20)
DAYS = 5
PAYOUT_CODES = {"PAYOUT_MISSING", "UNKNOWN_OUTGOING", "PAYOUT_MISMATCH"}


def _home(tmp_path) -> Config:  # type: ignore[no-untyped-def]
    """A home without the online service, whose operation ids start again every generated day."""
    config, _ = init_home(tmp_path / "home")
    settings = yaml.safe_load((config.home / "rkc.yaml").read_text(encoding="utf-8"))
    del settings["channels"]["online"]
    (config.home / "rkc.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return load_config(config.home)


def _rows(conn: sa.Connection, sql: str, **params: object) -> list[sa.Row]:
    return conn.execute(sa.text(sql), params).all()


def test_a_month_of_money_going_out_closes(harness, tmp_path, db_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    monkeypatch.setenv("RKC_DATABASE_URL", db_url)
    config = _home(tmp_path)
    engine = make_engine(config.database_url)
    try:
        from flows.nightly import nightly  # after the environment is set

        add_user(engine, "petrova", "accountant", "верный-пароль-123")
        month = run_month(config, engine, FIRST, DAYS, lambda d: nightly(home=str(config.home), run_date=d),
                          user="petrova")  # fmt: skip
        _check(config, engine, month, tmp_path)
    finally:
        engine.dispose()
    print(f"month of {DAYS} nights on {engine.dialect.name}: {time.perf_counter() - started:.1f} s")


def _check(config: Config, engine: sa.Engine, month, tmp_path) -> None:  # type: ignore[no-untyped-def]
    last = month.nights[-1]
    assert not PAYOUT_CODES & set(last["discrepancies"]), last["discrepancies"]
    for night in month.nights:  # no debit is a stranger or differs from its order; the cash bridge ties
        assert not {"UNKNOWN_OUTGOING", "PAYOUT_MISMATCH", "CASH_BRIDGE_MISMATCH"} & set(night["discrepancies"]), (
            night["date"], night["discrepancies"])  # fmt: skip
        assert night["discrepancies"].get("REGISTER_TOTAL_MISMATCH"), night["date"]  # a register quarantined
    assert all(p.payouts > 0 for p in month.prepared)  # prepared daily
    assert sum(len(d) for d in month.debits) == sum(p.payouts + p.refunds for p in month.prepared[:-1])
    with engine.connect() as conn:
        owed = balances(conn)
        assert _rows(conn, "SELECT COALESCE(SUM(amount), 0) FROM ledger_posting")[0][0] == 0
        assert _rows(conn, "SELECT COALESCE(SUM(balance), 0) FROM ledger_balance")[0][0] == 0
        assert check_ledger(conn) == []
        # every order prepared before the last day was debited as prepared and settled
        statuses = dict(_rows(conn, "SELECT pay_date, COUNT(*) FROM payout WHERE status <> 'settled'"
                                    " GROUP BY pay_date"))  # fmt: skip
        assert {str(d)[:10] for d in statuses} <= {month.days[-1].run_date.isoformat()}, statuses
        # the bank account: the last statement's closing balance
        assert owed[f"bank:{config.center_account}"] == month.closing
        # the supplier statements close at the ledger's balances: the month's (and the next one's,
        # should an entry fall in it: each month opens where the last closed)
        periods = sorted({str(d)[:7] for (d,) in _rows(conn, "SELECT DISTINCT value_date FROM ledger_entry")})
        assert periods[0] == FIRST.strftime("%Y-%m")
        statements = {p: statement_data(conn, p).balances.set_index("inn") for p in periods}
        for earlier, later in itertools.pairwise(periods):  # each month opens where the last closed
            assert (statements[later]["opening"] == statements[earlier]["closing"].reindex(
                statements[later].index, fill_value=0)).all()  # fmt: skip
        closing = statements[periods[-1]]["closing"]
        suppliers = {a.removeprefix("supplier:"): b for a, b in owed.items() if a.startswith("supplier:")}
        assert {i: int(v) for i, v in closing.items() if v or suppliers.get(i)} == {
            i: v for i, v in suppliers.items() if v}  # fmt: skip
        assert set(closing.index) == set(suppliers)
        for period in periods:  # the renderer refuses movements that do not add up to the balances
            assert write_statements(conn, period, tmp_path / "statements")
        # the refund: prepared with the next payouts, debited the day after, settled
        refund = _rows(conn, "SELECT status, order_date FROM refund WHERE id = :i", i=month.refund_id)[0]
        assert (refund.status, str(refund.order_date)[:10]) == ("settled", month.days[EVENT_NIGHT].run_date.isoformat())
        # its entry dated the night it was asked on, inside the generated month
        dated = _rows(conn, "SELECT e.value_date FROM refund r JOIN ledger_entry e ON e.id = r.entry_id"
                            " WHERE r.id = :i", i=month.refund_id)[0][0]  # fmt: skip
        assert str(dated)[:10] == month.days[EVENT_NIGHT].run_date.isoformat()
        assert periods == [FIRST.strftime("%Y-%m")]
        _fees_close(conn, month, statements[periods[0]]["opening"], closing)
        assert owed.get("refunds_payable", 0) == 0
        # the recalled register reversed, its corrected copy posted anew and whole
        recalled = _rows(conn, "SELECT status FROM register WHERE id = :i", i=month.recall.register_id)[0]
        assert recalled.status == "recalled"
        copy = _rows(conn, "SELECT r.status, COUNT(p.id), SUM(p.amount) FROM register r JOIN payment p"
                           " ON p.register_id = r.id WHERE r.file = :f GROUP BY r.status",
                     f=month.corrected.name)  # fmt: skip
        original = _rows(conn, "SELECT COUNT(id), SUM(amount) FROM payment WHERE register_id = :i",
                         i=month.recall.register_id)[0]  # fmt: skip
        assert copy == [("posted", original[0], original[1])]
        tie = _rows(conn, "SELECT tie_status FROM register WHERE file = :f", f=month.corrected.name)[0]
        assert tie.tie_status == "tied"  # the п/п freed by the recall pays the copy
        # the ГИС ЖКХ payment cancelled: applied, its payment's entry reversed
        applied = _rows(conn, "SELECT payment_id FROM gis_cancellation WHERE order_id = :o AND applied_on IS NOT NULL",
                        o=month.cancelled_order)  # fmt: skip
        assert len(applied) == 1
        reversed_ = _rows(conn, "SELECT COUNT(*) FROM ledger_entry e JOIN ledger_entry o ON o.id = e.reverses_id"
                                " WHERE e.kind = 'reversal' AND o.payment_id = :p", p=applied[0][0])  # fmt: skip
        assert reversed_[0][0] >= 1
        # every night's quarantined register: its п/п came and waits unallocated
        held = _rows(conn, "SELECT COUNT(*) FROM register WHERE status = 'quarantined'")[0][0]
        assert held == len(month.days) and owed.get("agent_unallocated:sber", 0) > 0


def _fees_close(conn: sa.Connection, month, opening: pd.Series, closing: pd.Series) -> None:  # type: ignore[no-untyped-def]
    """Per supplier, from its legs in the ledger: the fee is what its contract (the generated
    directory's terms) takes of what it collected, by service, the month not over; and
    fee + payouts + refunds + closing balance = collected + opening."""
    legs = pd.DataFrame(
        _rows(conn, "SELECT SUBSTR(p.account, 10) AS inn, e.kind, o.kind AS reversed,"
                    " COALESCE(p.service, '') AS service, -p.amount AS amount"
                    " FROM ledger_posting p JOIN ledger_entry e ON e.id = p.entry_id"
                    " LEFT JOIN ledger_entry o ON o.id = e.reverses_id WHERE p.account LIKE 'supplier:%'"),
        columns=["inn", "kind", "reversed", "service", "amount"],
    )  # fmt: skip
    of = legs["kind"].where(legs["kind"] != "reversal", legs["reversed"])  # a reversal counts with what it undoes
    legs["part"] = of.map({"payment": "collected", "reclass": "collected", "fee": "fee", "payout": "payouts",
                           "refund": "refunds"})  # fmt: skip
    assert legs["part"].notna().all(), set(of[legs["part"].isna()])  # nothing else moves a supplier's money
    sums = legs.groupby(["inn", "part"])["amount"].sum().unstack(fill_value=0)
    sums = sums.reindex(columns=["collected", "fee", "payouts", "refunds"], fill_value=0).astype("int64")
    fee, payouts, refunds = -sums["fee"], -sums["payouts"], -sums["refunds"]
    assert (fee + payouts + refunds + closing.reindex(sums.index, fill_value=0)
            == sums["collected"] + opening.reindex(sums.index, fill_value=0)).all()  # fmt: skip
    with month.days[0].suppliers_csv.open(encoding="utf-8", newline="") as f:
        terms = {r["inn"]: parse_terms(r["fee_percent"], r["fee_min"], r["fee_max"], r["fee_services"])
                 for r in csv.DictReader(f, delimiter=";")}  # fmt: skip
    collected = legs[legs["part"] == "collected"].groupby(["inn", "service"])["amount"].sum()
    expected = {inn: month_fee(dict(by.droplevel(0).items()), terms[inn], closed=False)
                for inn, by in collected.groupby(level=0)}  # fmt: skip
    assert {i: int(v) for i, v in fee.items() if v} == {i: v for i, v in expected.items() if v}
    assert fee.sum() > 0 and (fee == 0).any()  # the fee charged, and a supplier without one
    entries = _rows(conn, "SELECT COUNT(*), SUM(-p.amount) FROM ledger_entry e JOIN ledger_posting p"
                          " ON p.entry_id = e.id WHERE e.kind = 'fee' AND p.account = 'fee:rkc'")[0]  # fmt: skip
    assert entries[0] > 0 and int(entries[1]) == int(fee.sum())
