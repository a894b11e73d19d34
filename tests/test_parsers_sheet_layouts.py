"""Spreadsheet layouts set by a profile: headers over N rows, the period from two columns (Месяц, Год),
the bank's split by service, registers without an Итого row, and rows without any identifier."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.codes import Code
from domain.unverified import unverified_register
from parsers import sheet_fields
from parsers.sheet_header import ServiceSpec, column_paths, compile_pattern, service_columns
from parsers.xlsx import XlsxRegisterParser
from parsers.xlsx_profile import ProfileError
from parsers.xlsx_profile_load import load_profile
from tests.test_parsers_sheet_accounting import _book, accounted

DAY = dt.date(2026, 11, 20)
PROFILE = """\
format: xlsx
name: layouts
header_search_rows: 10
header_rows: 3
required: [paid_date, account_raw, amount]
columns:
  paid_date: [Дата платежа]
  account_raw: [Лицевой счет]
  uip: [ИПД]
  period_month: [Месяц]
  period_year: [Год]
  amount: [Платёж Сумма]
services:
  code: 'Услуга(\\d+) / Код'
  amount: 'Услуга(\\d+) / Сумма'
totals: none
"""
# A three-row header: «Платёж» over Сумма, «Период» over Месяц/Год, «Услуги» over Услуга1/Услуга2,
# each over Код/Сумма; «Лицевой счет» is one cell merged down over the three rows.
HEADER = [
    ["Лицевой счет", "ИПД", "Дата платежа", "Платёж", "Период", "", "Услуги", "", "", ""],
    ["", "", "", "Сумма", "Месяц", "Год", "Услуга1", "", "Услуга2", ""],
    ["", "", "", "", "", "", "Код", "Сумма", "Код", "Сумма"],
]


def _parser(tmp_path: Path, text: str = PROFILE) -> XlsxRegisterParser:
    path = tmp_path / "profile.yaml"
    path.write_text(text, encoding="utf-8")
    return XlsxRegisterParser(load_profile(path))


def _read(tmp_path: Path, rows: list[list[object]], text: str = PROFILE) -> tuple:
    parser = _parser(tmp_path, text)
    path = _book(tmp_path / "r.xlsx", rows)
    assert parser.identify(path, path.read_bytes()[:4096])
    chunks = list(parser.parse(path))
    _, kinds, errors = accounted(parser, path)
    payments = [row for c in chunks for row in c.payments.to_dict("records")]
    return payments, kinds, errors, chunks[-1].declared


def test_column_paths_carry_a_group_over_its_sub_columns_only() -> None:
    paths = column_paths(HEADER)
    assert paths[0] == ["Лицевой счет"]  # merged down: carried nowhere
    assert paths[1] == ["ИПД"]
    assert paths[3] == ["Платёж", "Сумма"]
    assert paths[5] == ["Период", "Год"]
    assert paths[7] == ["Услуги", "Услуга1", "Сумма"]
    assert paths[9] == ["Услуги", "Услуга2", "Сумма"]


def test_service_columns_pair_by_number() -> None:
    spec = ServiceSpec(amount=compile_pattern(r"Услуга(\d+) / Сумма"), code=compile_pattern(r"Услуга(\d+) / Код"))
    found = service_columns(spec, column_paths(HEADER), {3}, [False] * 10)
    assert [(s.code_column, s.amount) for s in found] == [(6, 7), (8, 9)]
    per_column = ServiceSpec(amount=compile_pattern(r"^оплачено / (.+)$"))
    paths = [["Оплачено", "Содержание"], ["Оплачено", "ХВС"], ["Сумма"]]
    assert [s.code for s in service_columns(per_column, paths, {2}, [False] * 3)] == ["Содержание", "ХВС"]


@pytest.mark.parametrize(
    ("month", "year", "period"),
    [
        (3.0, 2026.0, "2026-03"), ("03", "2026", "2026-03"), ("3", "26", "2026-03"), ("март", 2026.0, "2026-03"),
        ("Марта", "2026", "2026-03"), ("мар.", "2026", "2026-03"), ("Май", "2026", "2026-05"),
        ("мая", "2026", "2026-05"), ("Сентябрь", "2026", "2026-09"), ("дек", "2026", "2026-12"),
        ("ЯНВАРЬ", "2027", "2027-01"), (13.0, 2026.0, None), ("0", "2026", None), ("марток", "2026", None),
        ("3", "226", None), (3.5, 2026.0, None), ("", "2026", None), ("3", "", None), ("маяк", "2026", None),
    ],
)  # fmt: skip
def test_period_from_two_columns(month: object, year: object, period: str | None) -> None:
    assert sheet_fields.period(month, year) == period


def test_three_row_header_services_periods_and_no_totals(tmp_path: Path) -> None:
    rows = [
        ["Реестр платежей"],
        *HEADER,
        ["0012", "", DAY, 1500.0, 3.0, 2026.0, "01", 1000.0, "02", 500.0],
        ["0013", "", DAY, 700.0, "март", "2026", "01", 700.0, "", ""],
        ["0014", "", DAY, 900.0, 13.0, 2026.0, "", "", "", ""],
        ["0015", "", DAY, 900.0, 3.0, 2026.0, "01", 800.0, "", ""],  # split 800 ≠ 900
        ["0016", "", DAY, 900.0, 3.0, 2026.0, "01", "", "", ""],  # a code without its amount
        ["0017", "", DAY, 900.0, 3.0, 2026.0, "", 900.0, "", ""],  # an amount without its code
        ["", "", DAY, 650.0, 3.0, 2026.0, "", "", "", ""],  # no ЛС, no ИПД
        ["", "ИПД-1", DAY, 300.0, 3.0, 2026.0, "", "", "", ""],  # ИПД alone names the payer
    ]
    payments, kinds, errors, declared = _read(tmp_path, rows)
    assert kinds == {"title": 1, "header": 3}
    assert [(p["account_raw"], p["period"], p["services"]) for p in payments] == [
        ("0012", "2026-03", (("01", 100000), ("02", 50000))),
        ("0013", "2026-03", (("01", 70000),)),
        ("0014", None, None),
        (None, "2026-03", None),
    ]
    assert [(e.line_no, e.reason, e.amount) for e in errors] == [
        (8, "service amounts do not add up to the amount", 90000),
        (9, "service '01' has no amount", 90000),
        (10, "a service amount without its service code", 90000),
        (11, "no account, УИП or ЕЛС", 65000),
    ]
    assert declared is None


def test_a_title_row_is_not_taken_for_the_first_header_row(tmp_path: Path) -> None:
    # the window starting at the title names as many fields: the row after the header (data) decides
    text = PROFILE.replace("  period_month: [Месяц]\n  period_year: [Год]\n", "")
    rows = [["Реестр платежей за ноябрь"], *HEADER, ["0012", "", DAY, 100.0, 3.0, 2026.0, "", "", "", ""]]
    payments, kinds, errors, _ = _read(tmp_path, rows, text)
    assert len(payments) == 1 and not errors and kinds == {"title": 1, "header": 3}


def test_an_amount_in_kopecks_under_a_service(tmp_path: Path) -> None:
    header = [r[:8] for r in HEADER]
    header[2][7] = "Сумма, коп."
    rows = [*header, ["0012", "", DAY, 15.0, 3.0, 2026.0, "01", 1500.0]]
    payments, _, errors, _ = _read(tmp_path, rows)
    assert not errors and payments[0]["services"] == (("01", 1500),)


def test_totals_required_false_reads_a_register_without_itogo(tmp_path: Path) -> None:
    text = "format: xlsx\nname: t\ncolumns: {paid_date: [Дата], account_raw: [ЛС], amount: [Сумма]}\n"
    rows = [["Дата", "ЛС", "Сумма"], [DAY, "1", 10.0]]
    for totals, kinds in (("totals: {required: false}\n", {"header": 1}), ("totals: none\n", {"header": 1})):
        payments, counted, errors, declared = _read(tmp_path, rows, text + totals)
        assert (len(payments), counted, errors, declared) == (1, kinds, [], None)
    # with totals: none an «Итого» row is no totals row: it has no date and is rejected, amount counted
    _, counted, errors, declared = _read(tmp_path, [*rows, ["Итого", "", 10.0]], text + "totals: none\n")
    assert declared is None and [(e.line_no, e.amount) for e in errors] == [(3, 1000)]


def test_the_shipped_gis_profile_reads_one_period_column_or_two(tmp_path: Path) -> None:
    parser = XlsxRegisterParser.from_profile("xlsx_gis_payments")
    one = _book(tmp_path / "one.xlsx", [["Дата внесения платы", "Номер лицевого счета", "Расчетный период", "Сумма"],
                                       [DAY, "12", "10.2026", 5.0]])  # fmt: skip
    two = _book(tmp_path / "two.xlsx", [["Дата внесения платы", "Номер лицевого счета", "Месяц", "Год", "Сумма"],
                                       [DAY, "12", "октябрь", 2026.0, 5.0]])  # fmt: skip
    for path in (one, two):
        assert parser.identify(path, path.read_bytes()[:4096])
        (chunk,) = parser.parse(path)
        assert chunk.payments["period"].tolist() == ["2026-10"] and chunk.declared is None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(titles=st.integers(0, 4), extra=st.integers(0, 2), payments=st.integers(0, 5))
def test_no_payment_disappears_whatever_the_header_height(
    tmp_path: Path, titles: int, extra: int, payments: int
) -> None:
    # a header of 1 + extra group rows over «Сумма»; the profile says exactly that many rows
    header = [["Дата платежа", "Лицевой счет", f"Группа {k}"] for k in range(extra)] + [
        ["Дата платежа" if not extra else "", "Лицевой счет" if not extra else "", "Сумма"]
    ]
    rows = [[f"Реестр {t}"] for t in range(titles)] + header + [[DAY, f"{i:04d}", 100.0 + i] for i in range(payments)]
    text = (
        f"format: xlsx\nname: h\nheader_search_rows: 10\nheader_rows: {extra + 1}\n"
        "columns: {paid_date: [Дата платежа], account_raw: [Лицевой счет], amount: [Сумма]}\n"
        "totals: none\n"
    )
    parser = _parser(tmp_path, text)
    path = _book(tmp_path / "h.xlsx", rows)
    parsed, kinds, errors = accounted(parser, path)
    assert (parsed, len(errors), kinds.get("header"), kinds.get("title", 0)) == (payments, 0, extra + 1, titles)


@pytest.mark.parametrize(
    ("old", "new", "key", "line"),
    [
        ("header_rows: 3", "header_rows: 11", "header_rows", 4),
        ("header_rows: 3", "header_rows: три", "header_rows", 4),
        ("  period_year: [Год]\n", "", "columns.period_month", 10),
        ("  account_raw: [Лицевой счет]\n  uip: [ИПД]\n", "", "columns", 7),
        ("  amount: 'Услуга(\\d+) / Сумма'", "  amount: 'Услуга(\\d+ / Сумма'", "services.amount", 15),
        ("  amount: 'Услуга(\\d+) / Сумма'", "  sum: 'Сумма'", "services.sum", 15),
        ("  amount: 'Услуга(\\d+) / Сумма'", "", "services.amount", 14),
        ("totals: none", "totals: never", "totals", 16),
    ],
    ids=["rows-range", "rows-type", "month-alone", "no-identifier", "bad-regex", "services-key",
         "services-amount", "totals-word"],
)  # fmt: skip
def test_layout_errors_name_file_key_and_line(tmp_path: Path, old: str, new: str, key: str, line: int) -> None:
    assert old in PROFILE
    path = tmp_path / "bank.yaml"
    path.write_text(PROFILE.replace(old, new), encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert (info.value.source, info.value.key, info.value.line) == (str(path), key, line)


def test_the_gis_template_is_an_unverified_register() -> None:
    # the corpus sample: no Итого row, so no declared totals; a channel that allows it reports its sum
    corpus = Path(__file__).resolve().parent / "data" / "corpus" / "gis_gkh"
    parser = XlsxRegisterParser(load_profile(corpus / "gis_oplaty.yaml"))
    chunks = list(parser.parse(corpus / "oplaty.xlsx"))
    assert all(c.declared is None for c in chunks)
    count, amount = sum(len(c.payments) for c in chunks), sum(int(c.payments["amount"].sum()) for c in chunks)
    found = unverified_register(None, True, count, amount, "gis")
    assert found is not None and found.code is Code.UNVERIFIED_REGISTER and not found.quarantine
    assert "5\u00a0550,95" in found.detail
