"""The XLSX register parser: golden output, identification, totals, chunking, exact money, hostile files.

The sample workbook is made by ``tests/data/registers/make_xlsx_samples.py`` and committed; its
golden file sits beside it. Regenerate the golden file with ``RKC_REGEN_GOLDEN=1`` after a
deliberate change and review the diff.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import zipfile
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from domain.records import PAYMENT_COLUMNS
from domain.totals import check_register_totals
from parsers.base import BadFile, Chunk, pick_parser, read_head
from parsers.gis_xml import GisXmlParser
from parsers.xlsx import XlsxRegisterParser
from parsers.xlsx_cells import number_kopecks
from parsers.zipguard import ZipLimits, check_zip

DATA = Path(__file__).resolve().parent / "data" / "registers"
SAMPLE = DATA / "xlsx_portal.xlsx"
HEADER = ["Дата платежа", "Номер операции", "Лицевой счет", "Сумма", "Комиссия"]


@pytest.fixture(scope="module")
def parser() -> XlsxRegisterParser:
    """The built-in portal profile."""
    return XlsxRegisterParser.from_profile("xlsx_portal")


def _as_json(chunks: list[Chunk]) -> dict:
    payments = pd.concat([c.payments for c in chunks], ignore_index=True)
    records = json.loads(payments.to_json(orient="records", force_ascii=False))
    # Method and QR columns are pinned only where a row has them (the golden file predates them).
    optional = ("method_raw", "method", "qr", "qr_flag", "qr_detail")
    records = [{k: v for k, v in r.items() if not (k in optional and v is None)} for r in records]
    errors = [
        {"line_no": e.line_no, "reason": e.reason, "amount": e.amount, "raw": e.raw} for c in chunks for e in c.errors
    ]
    declared = [c.declared for c in chunks if c.declared is not None]
    return {
        "payments": records,
        "errors": errors,
        "declared": [{k: getattr(d, k) for k in ("count", "amount", "transfer", "commission")} for d in declared],
    }


def _book(tmp_path: Path, rows: list[list[object]], name: str = "register.xlsx") -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def test_golden_output(parser: XlsxRegisterParser) -> None:
    chunks = list(parser.parse(SAMPLE))
    got = _as_json(chunks)
    golden = SAMPLE.with_suffix(".expected.json")
    if os.environ.get("RKC_REGEN_GOLDEN"):
        golden.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert got == json.loads(golden.read_text(encoding="utf-8"))
    frame = chunks[-1].payments
    assert list(frame.columns) == list(PAYMENT_COLUMNS)
    assert frame["amount"].dtype == np.int64 and str(frame["commission"].dtype) == "Int64"
    # the leading-zero account typed as text keeps its zeros; the matching form drops them
    assert frame.loc[0, "account_raw"] == "000012345678" and frame.loc[0, "account"] == "12345678"


def test_sample_totals_tie(parser: XlsxRegisterParser) -> None:
    chunks = list(parser.parse(SAMPLE))
    payments = pd.concat([c.payments for c in chunks], ignore_index=True)
    errors = [e for c in chunks for e in c.errors]
    check = check_register_totals(payments, errors, chunks[-1].declared)
    assert check.ok, check.reason
    assert [e.amount for e in errors] == [25050, None]  # a readable amount counts, 12.345 cannot


def test_identify_claims_only_workbooks_of_the_profile(parser: XlsxRegisterParser, tmp_path: Path) -> None:
    assert pick_parser(SAMPLE, [parser, GisXmlParser()]) is parser
    assert parser.name == "xlsx:portal" and parser.format == "xlsx"
    other = _book(tmp_path, [["Реестр"], ["Дата", "Описание", "Кол-во"], [dt.date(2026, 1, 1), "x", 1.0]])
    assert not parser.identify(other, read_head(other))
    gis = DATA / "gis_notifications.xml"
    assert not parser.identify(gis, read_head(gis))
    text = tmp_path / "register.txt"
    text.write_text("15-03-2026;10-27-38;8625;8625099V;123456;000012345678;ИВАНОВ\n", encoding="cp1251")
    assert not parser.identify(text, read_head(text))


def test_profile_by_path(tmp_path: Path) -> None:
    source = (Path(__file__).resolve().parents[1] / "parsers" / "dialects" / "xlsx_portal.yaml").read_text("utf-8")
    custom = tmp_path / "bank.yaml"
    custom.write_text(source.replace("name: portal", "name: bank").replace("[Сумма,", "[Оплачено,"), "utf-8")
    parser = XlsxRegisterParser.from_profile(custom)
    assert parser.name == "xlsx:bank"
    path = _book(tmp_path, [["Дата", "ЛС", "Оплачено"], [dt.date(2026, 1, 2), "01", 5.0], ["Итого", None, 5.0]])
    (chunk,) = parser.parse(path)
    assert chunk.payments["amount"].tolist() == [500] and chunk.declared.amount == 500


def test_rows_after_itogo(parser: XlsxRegisterParser, tmp_path: Path) -> None:
    rows = [
        HEADER,
        [dt.datetime(2026, 11, 20, 9, 0), "1", "01", 100.0, 1.0],
        ["Итого", 1, None, 100.0, 1.0],
        ["К перечислению", None, None, 99.0, None],  # a summary row: ignored
        [dt.datetime(2026, 11, 20, 9, 5), "2", "02", 50.0, 0.5],  # a payment after the totals: error
    ]
    (chunk,) = parser.parse(_book(tmp_path, rows))
    assert chunk.payments["operation_id"].tolist() == ["1"]
    assert chunk.declared.count == 1 and chunk.declared.amount == 10000 and chunk.declared.commission == 100
    (late,) = chunk.errors
    assert (late.line_no, late.reason, late.amount) == (5, "payment row after the Итого row", 5000)
    assert not check_register_totals(chunk.payments, chunk.errors, chunk.declared).ok


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        ([HEADER, [dt.date(2026, 1, 1), "1", "01", 1.0, 0.0]], "no Итого row"),
        ([["Реестр"], ["Дата", "Сумма"], [dt.date(2026, 1, 1), 1.0]], "no header row"),
        (
            [HEADER, [dt.date(2026, 1, 1), "1", "01", 1.0, 0.0], ["Итого", 1, None, "много", None]],
            "amount is unreadable",
        ),
    ],
    ids=["no-totals", "no-header", "bad-totals"],
)
def test_bad_registers(parser: XlsxRegisterParser, tmp_path: Path, rows: list, reason: str) -> None:
    with pytest.raises(BadFile, match=reason):
        list(parser.parse(_book(tmp_path, rows)))


def test_chunks_carry_totals_on_the_last_only(tmp_path: Path) -> None:
    rows = [HEADER] + [[dt.date(2026, 11, 20), str(i), f"{i:05d}", i + 0.01, 0.0] for i in range(1, 8)]
    path = _book(tmp_path, [*rows, ["Итого: 7", None, None, sum(i + 0.01 for i in range(1, 8)), 0]])
    small = list(XlsxRegisterParser.from_profile("xlsx_portal").__class__(
        XlsxRegisterParser.from_profile("xlsx_portal").profile, chunk_rows=3).parse(path))  # fmt: skip
    assert [len(c.payments) for c in small] == [3, 3, 1]
    assert [c.declared is not None for c in small] == [False, False, True]
    whole = list(XlsxRegisterParser.from_profile("xlsx_portal").parse(path))
    merged = pd.concat([c.payments for c in small], ignore_index=True)
    pd.testing.assert_frame_equal(merged, whole[0].payments)
    assert small[-1].declared == whole[0].declared


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=10**15 - 1))
def test_float_cells_give_exact_kopecks(kopecks: int) -> None:
    # what Excel stores for a typed amount: the nearest double to the decimal
    typed = float(Decimal(kopecks) / 100)
    values, ok = number_kopecks(np.array([typed]), positive=True)
    assert ok[0] and int(values[0]) == kopecks


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.1 + 0.2, 30), (1234.56, 123456), (12.345, None), (0.0, None), (-5.0, None), (float("nan"), None),
     (1e13, None), (99999999999.99, 9999999999999)],
)  # fmt: skip
def test_float_cell_rules(value: float, expected: int | None) -> None:
    values, ok = number_kopecks(np.array([value]), positive=True)
    assert (int(values[0]) if ok[0] else None) == expected


def test_random_bytes_and_truncated_files(parser: XlsxRegisterParser, tmp_path: Path) -> None:
    rnd = random.Random(7)
    data = SAMPLE.read_bytes()
    cases = {
        "random.xlsx": bytes(rnd.getrandbits(8) for _ in range(5000)),
        "zip-magic.xlsx": b"PK\x03\x04" + bytes(rnd.getrandbits(8) for _ in range(5000)),
        "truncated.xlsx": data[: len(data) // 2],
        "truncated-end.xlsx": data[:-30],
        "empty.xlsx": b"",
    }
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        parser.identify(path, read_head(path))  # must not raise
        with pytest.raises(BadFile):
            list(parser.parse(path))


def test_corrupted_sheet_inside_a_valid_zip(parser: XlsxRegisterParser, tmp_path: Path) -> None:
    path = tmp_path / "corrupt.xlsx"
    with zipfile.ZipFile(SAMPLE) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename.startswith("xl/worksheets/"):
                content = content[: len(content) // 2]  # not well-formed any more
            target.writestr(info.filename, content)
    parser.identify(path, read_head(path))
    with pytest.raises(BadFile):
        list(parser.parse(path))


def test_zip_that_is_not_a_workbook(parser: XlsxRegisterParser, tmp_path: Path) -> None:
    path = tmp_path / "docs.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    assert not parser.identify(path, read_head(path))
    with pytest.raises(BadFile, match="not a readable XLSX workbook"):
        list(parser.parse(path))


def test_zip_bomb_is_refused_before_reading(parser: XlsxRegisterParser, tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(SAMPLE) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info))
        with target.open("xl/media/padding.bin", "w") as member:  # 64 MiB of zeros, ~64 KiB compressed
            block = b"\0" * (1 << 20)
            for _ in range(64):
                member.write(block)
    assert path.stat().st_size < 1 << 20
    with pytest.raises(BadFile, match="zip bomb"):
        list(parser.parse(path))
    with pytest.raises(BadFile, match="bytes uncompressed"):
        check_zip(SAMPLE, ZipLimits(max_total=1000))
    with pytest.raises(BadFile, match="entries"):
        check_zip(SAMPLE, ZipLimits(max_entries=3))
