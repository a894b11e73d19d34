"""The domain's line checks (``domain.line_checks``), and every register format applying them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa

from domain.line_checks import NO_IDENTIFIER, ZERO_AMOUNT, line_checks, reasons
from parsers.gis_xml import GisXmlParser
from parsers.xlsx_chunk import build_chunk
from tests.gisutil import CLOSE, OPEN, note, parse_all, write


def test_checks_give_each_line_its_reasons() -> None:
    checks = line_checks(
        account=pa.array([None, "1" * 33, "7", "7"]),
        uip=[None, None, "У" * 33, None],
        els=[None, None, None, None],
        amount=np.array([100, 100, 0, 5]),
        has_amount=np.array([True, True, True, False]),
        operation_id=["1", "2", "3", "4" * 33],
    )
    assert reasons(checks, 4).tolist() == [
        NO_IDENTIFIER,
        "account longer than 32 characters",
        f"УИП longer than 32 characters; {ZERO_AMOUNT}",
        "operation id longer than 32",
    ]


def test_without_operation_ids_or_identifier_rule() -> None:
    checks = line_checks(account=[None], uip=[None], els=[None], amount=np.array([1]), has_amount=np.array([True]),
                         require_identifier=False)  # fmt: skip
    assert reasons(checks, 1).tolist() == [""]


def test_gis_rejects_a_zero_amount_as_text_registers_do(tmp_path: Path) -> None:
    (chunk,) = parse_all(GisXmlParser(), write(tmp_path, OPEN + note("A1", "0") + note("A2", "100") + CLOSE))
    assert chunk.payments["operation_id"].tolist() == ["A2"]
    assert [(e.reason, e.amount) for e in chunk.errors] == [(ZERO_AMOUNT, 0)]


def test_sheets_reject_an_over_long_account_as_text_registers_do() -> None:
    columns = {"paid_date": 0, "account_raw": 1, "amount": 2}
    day = dt.datetime(2026, 3, 1, 10, 0)
    chunk = build_chunk("r.xlsx", [(2, [day, "1" * 33, 100.0]), (3, [day, "42", 100.0])], columns)
    assert chunk.payments["account"].tolist() == ["42"]
    assert [(e.line_no, e.reason) for e in chunk.errors] == [(2, "account longer than 32 characters")]


def test_a_line_with_a_purpose_instead_of_an_identifier_is_kept() -> None:
    """Its purpose text is read for the ЛС when the night is decided (the rule ``purpose``); a line
    with neither is rejected as before."""
    checks = line_checks(account=[None, None, "7"], uip=[None, None, None], els=[None, None, None],
                         amount=np.array([1, 1, 1]), has_amount=np.array([True, True, True]),
                         purpose=["ЛС 1001 за 10.2026", None, None])  # fmt: skip
    assert reasons(checks, 3).tolist() == ["", NO_IDENTIFIER, ""]


def test_sheets_keep_the_purpose_of_the_gis_payment_template() -> None:
    columns = {"paid_date": 0, "account_raw": 1, "amount": 2, "purpose": 3}
    day = dt.datetime(2026, 11, 19, 10, 0)
    rows = [(2, [day, "", 100.0, "Оплата ЖКУ л/с 1001 за октябрь 2026"]), (3, [day, "", 100.0, ""]),
            (4, [day, "42", 100.0, "ЖКУ"])]  # fmt: skip
    chunk = build_chunk("r.xlsx", rows, columns)
    assert chunk.payments["purpose"].tolist() == ["Оплата ЖКУ л/с 1001 за октябрь 2026", "ЖКУ"]
    assert chunk.payments["account"].tolist() == [None, "42"]  # read from the purpose only when decided
    assert [(e.line_no, e.reason) for e in chunk.errors] == [(3, NO_IDENTIFIER)]
