"""Case rules: which discrepancies are the same problem, which close themselves, which actions a
case refuses; and the nightly sync opening, ageing and counting cases on both databases."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from domain.cases import Action, CaseStatus, case_keys, informational, refusal
from rkc.cases import sync_cases
from rkc.config import init_home

COLUMNS = ["code", "payment_id", "channel", "file", "line_no", "operation_id", "paid_date", "payer", "amount", "sha256",
           "detail"]


def _row(**kw: object) -> dict:
    return {c: kw.get(c) for c in COLUMNS}


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for col in ("payment_id", "line_no", "amount"):
        frame[col] = frame[col].astype("Int64")
    return frame


# (name, first sighting, second sighting, same case?)
SAME_PROBLEM = [
    ("suspense payment, two nights", _row(code="UNKNOWN_ACCOUNT", payment_id=7),
     _row(code="UNKNOWN_ACCOUNT", payment_id=7, file="other"), True),
    ("two payments", _row(code="UNKNOWN_ACCOUNT", payment_id=7), _row(code="UNKNOWN_ACCOUNT", payment_id=8), False),
    ("one payment, two codes", _row(code="UNKNOWN_ACCOUNT", payment_id=7), _row(code="PERIOD_MISSING", payment_id=7),
     False),
    ("transfer missing: the register's bytes", _row(code="TRANSFER_MISSING", sha256="ab", file="a.txt"),
     _row(code="TRANSFER_MISSING", sha256="ab", file="renamed.txt"), True),
    ("transfer missing: two registers", _row(code="TRANSFER_MISSING", sha256="ab"),
     _row(code="TRANSFER_MISSING", sha256="cd"), False),
    ("bad file without a register: channel and name", _row(code="BAD_FILE", channel="sber", file="x.txt"),
     _row(code="BAD_FILE", channel="sber", file="x.txt"), True),
    ("register missing: the transfer's identity",
     _row(code="REGISTER_MISSING", paid_date="2026-01-05", operation_id="17", payer="ПАО", amount=100),
     _row(code="REGISTER_MISSING", paid_date="2026-01-05", operation_id="17", payer="ПАО", amount=100), True),
    ("register missing: another amount",
     _row(code="REGISTER_MISSING", paid_date="2026-01-05", operation_id="17", payer="ПАО", amount=100),
     _row(code="REGISTER_MISSING", paid_date="2026-01-05", operation_id="17", payer="ПАО", amount=101), False),
    ("malformed line: file and line", _row(code="MALFORMED_LINE", sha256="ab", line_no=3),
     _row(code="MALFORMED_LINE", sha256="ab", line_no=4), False),
    ("unknown method: the register and the value", _row(code="UNKNOWN_METHOD", sha256="ab",
     detail="способ оплаты «KIOSK» не известен каналу: платежей 3, учтены как «Касса»"),
     _row(code="UNKNOWN_METHOD", sha256="ab", detail="способ оплаты «KIOSK» не известен каналу: платежей 3, "
          "учтены как «Касса»"), True),
    ("unknown method: two values of a register", _row(code="UNKNOWN_METHOD", sha256="ab",
     detail="способ оплаты «KIOSK» не известен каналу: платежей 3"),
     _row(code="UNKNOWN_METHOD", sha256="ab", detail="способ оплаты «ATM» не известен каналу: платежей 3"), False),
    ("unknown method: two registers of a channel", _row(code="UNKNOWN_METHOD", sha256="ab", channel="sber",
     detail="способ оплаты «KIOSK» не известен каналу: платежей 3"),
     _row(code="UNKNOWN_METHOD", sha256="cd", channel="sber",
          detail="способ оплаты «KIOSK» не известен каналу: платежей 3"), False),
    ("duplicate payment without id: channel, operation, date, line",
     _row(code="DUPLICATE_PAYMENT", channel="sber", operation_id="9", paid_date="2026-01-05", line_no=2),
     _row(code="DUPLICATE_PAYMENT", channel="sber", operation_id="9", paid_date="2026-01-05", line_no=2), True),
]  # fmt: skip


@pytest.mark.parametrize(("first", "second", "same"), [c[1:] for c in SAME_PROBLEM], ids=[c[0] for c in SAME_PROBLEM])
def test_case_key(first: dict, second: dict, same: bool) -> None:
    keys = case_keys(_frame([first, second]))
    assert (keys[0] == keys[1]) is same
    assert keys.str.len().max() <= 200


# (code, paid minus billed in kopecks, tolerance, informational?)
INFORMATIONAL = [
    ("UNDERPAYMENT", -50, 100, True),
    ("UNDERPAYMENT", -100, 100, True),
    ("UNDERPAYMENT", -101, 100, False),
    ("OVERPAYMENT", 30, 100, True),
    ("OVERPAYMENT", 30, 0, False),
    ("OVERPAYMENT", None, 100, False),  # the ПД's total unknown: work
    ("UNKNOWN_ACCOUNT", 0, 100, False),  # no tolerance for this code
]


@pytest.mark.parametrize(("code", "difference", "tolerance", "expected"), INFORMATIONAL)
def test_informational(code: str, difference: int | None, tolerance: int, expected: bool) -> None:
    frame = pd.DataFrame({"code": [code], "difference": pd.array([difference], dtype="Int64")})
    limits = {"UNDERPAYMENT": tolerance, "OVERPAYMENT": tolerance}
    assert informational(frame, limits).tolist() == [expected]


# (status, action, code, refused?)
ACTIONS = [
    ("open", Action.TAKE, "TRANSFER_MISSING", False),
    ("in_work", Action.TAKE, "TRANSFER_MISSING", False),
    ("open", Action.ASSIGN, "UNKNOWN_ACCOUNT", False),
    ("open", Action.ASSIGN, "TRANSFER_MISSING", True),
    ("in_work", Action.ACCEPT, "TRANSFER_MISSING", False),
    ("resolved", Action.ACCEPT, "UNKNOWN_ACCOUNT", True),
    ("accepted", Action.COMMENT, "UNKNOWN_ACCOUNT", True),
    ("informational", Action.TAKE, "UNDERPAYMENT", True),
]


@pytest.mark.parametrize(("status", "action", "code", "refused"), ACTIONS)
def test_refusal(status: str, action: Action, code: str, refused: bool) -> None:
    assert (refusal(status, action, code) is not None) is refused


def _discrepancies(conn: sa.Connection, night: date, rows: list[dict]) -> None:
    for row in rows:
        conn.execute(sa.text("INSERT INTO discrepancy (run_date, code, channel, file, payment_id, amount, detail)"
                             " VALUES (:d, :code, 'sber', :file, :pid, :amount, :detail)"),
                     {"d": night, "file": None, "pid": None, "amount": None, "detail": "", **row})  # fmt: skip


def test_sync_opens_ages_and_counts(engine: sa.Engine, tmp_path) -> None:
    config, _ = init_home(tmp_path / "home")
    night = date(2026, 3, 2)
    with engine.begin() as conn:
        _discrepancies(conn, night, [
            {"code": "BAD_FILE", "file": "x.txt", "detail": "нечитаемый"},
            {"code": "UNDERPAYMENT", "file": "y.txt", "detail": "мелочь"},  # no payment: its difference unknown
            {"code": "BAD_FILE", "file": "z.txt"},
            {"code": "BAD_FILE", "file": "x.txt", "detail": "тот же файл второй раз за ночь"},
        ])  # fmt: skip
    first = sync_cases(config, engine, night)
    assert (first.discrepancies, first.opened, first.seen_again, first.informational) == (4, 3, 0, 0)
    assert first.same_night == 1
    again = sync_cases(config, engine, night)  # a rerun of the night ages nothing
    assert (again.opened, again.seen_again, again.already_counted) == (0, 0, 3)
    with engine.begin() as conn:
        _discrepancies(conn, night + timedelta(days=1), [{"code": "BAD_FILE", "file": "x.txt", "detail": "опять"}])
    second = sync_cases(config, engine, night + timedelta(days=1))
    assert (second.opened, second.seen_again) == (0, 1)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT file_key, nights, first_seen, last_seen, status FROM ("
                                    "SELECT case_key AS file_key, nights, first_seen, last_seen, status FROM work_case)"
                                    " q ORDER BY file_key")).all()  # fmt: skip
        events = conn.execute(sa.text("SELECT kind, COUNT(*) FROM case_event GROUP BY kind ORDER BY kind")).all()
    aged = [r for r in rows if r[0].endswith(":x.txt")]
    assert [(r[1], str(r[2]), str(r[3]), r[4]) for r in aged] == [(2, "2026-03-02", "2026-03-03", CaseStatus.OPEN)]
    assert dict(events) == {"opened": 3, "seen": 1}
