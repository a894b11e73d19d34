"""The run's discrepancy report: sheets, totals, formats, frozen header, autofilter, injection guard."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from domain.codes import TITLES_RU, Code
from reports.run_report import RunReportData, write_run_report
from reports.xlsx import sheet_title

DAY = date(2026, 3, 16)
EVIL = ['=HYPERLINK("http://evil","x")', "+7(900)1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", "#N/A"]


def _registers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "register_id": [2, 1],
            "file": ["b.xlsx", "a.txt"],
            "channel": ["portal", "sber"],
            "format": ["xlsx", "text"],
            "status": ["quarantined", "posted"],
            "records": [5, 7],
            "payments": [3, 4],
            "non_payment_lines": [2, 2],
            "rejected_lines": [0, 1],
            "amount_total": [30000, 123456789],
            "posted": [0, 123400000],
            "suspense": [0, 50000],
            "rejected": [0, 6789],
            "duplicate": [0, 0],
            "quarantined": [30000, 0],
            "residual": [0, 0],
        }
    )


def _tieout() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "register_id": pd.array([1, None], dtype="Int64"),
            "file": ["a.txt", None],
            "channel": ["sber", None],
            "payment_order_number": ["517", None],
            "payment_order_date": [date(2026, 3, 16), None],
            "net_amount": pd.array([122165465, None], dtype="Int64"),
            "transfer_number": ["517", "900"],
            "transfer_date": [date(2026, 3, 16), date(2026, 3, 16)],
            "transfer_amount": pd.array([122165400, 5000], dtype="Int64"),
            "payer_name": ["ПАО СБЕРБАНК", "=cmd|' /C calc'!A0"],
            "status": ["TRANSFER_MISMATCH", "REGISTER_MISSING"],
            "rule": ["number_date", None],
            "difference": pd.array([-65, 5000], dtype="Int64"),
        }
    )


def _discrepancies() -> pd.DataFrame:
    rows = [
        # code, register, payment, line, payer, amount
        ("UNKNOWN_ACCOUNT", 1, 11, 2, "ИВАНОВ <script>alert(1)</script>", 30000),
        ("UNKNOWN_ACCOUNT", 1, 12, 4, EVIL[0], 20000),
        ("MALFORMED_LINE", 1, None, 3, "ПЕТРОВ", 6789),
        ("REGISTER_TOTAL_MISMATCH", 2, None, None, None, None),
        ("OVERPAYMENT", 1, 13, 5, "СИДОРОВ & СЫН", 123400000),
    ]
    rows += [("ACCOUNT_CONFLICT", 1, 100 + i, 10 + i, payer, 100 + i) for i, payer in enumerate(EVIL)]
    frame = pd.DataFrame(rows, columns=["code", "register_id", "payment_id", "line_no", "payer", "amount"])
    frame["payment_id"] = frame["payment_id"].astype("Int64")
    frame["line_no"] = frame["line_no"].astype("Int64")
    frame["amount"] = frame["amount"].astype("Int64")
    frame["channel"] = "sber"
    frame["file"] = "a.txt"
    frame["operation_id"] = "000123"
    frame["paid_date"] = "2026-03-15"
    frame["account_raw"] = "000012345678"
    frame["uip"] = None
    frame["address"] = "Г ИПАТОВО"
    frame["detail"] = "no document for the account"
    frame["raw"] = "15-03-2026;10-27-38;8625;8625099V;123456;000012345678;=1+1;Г;0226;300,00"
    return frame


def _proposals() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "payment_id": [11, 11, 12],
            "uip": ["U-1", "U-2", "U-3"],
            "account": ["12345679", "12345687", "555"],
            "period": ["2026-02", "2026-02", "2026-01"],
            "reason": ["digit", "transposition", "address"],
        }
    )


@pytest.fixture
def report(tmp_path: Path) -> tuple[Path, Path]:
    data = RunReportData(DAY, _registers(), _tieout(), _discrepancies(), _proposals())
    return write_run_report(data, tmp_path)


def _header(ws) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.value for c in ws[1]]


def _table(ws) -> list[dict]:  # type: ignore[no-untyped-def]
    head = _header(ws)
    return [dict(zip(head, row, strict=True)) for row in ws.iter_rows(min_row=2, values_only=True)]


def test_names_are_stable(report: tuple[Path, Path], tmp_path: Path) -> None:
    assert report == (tmp_path / "discrepancies-2026-03-16.xlsx", tmp_path / "discrepancies-2026-03-16.html")


def test_sheets_summary_index_tieout_then_one_per_code_largest_first(report: tuple[Path, Path]) -> None:
    wb = load_workbook(report[0])
    present = [sheet_title(TITLES_RU[c], c.value)
               for c in (Code.UNKNOWN_ACCOUNT, Code.ACCOUNT_CONFLICT, Code.OVERPAYMENT,
                         Code.REGISTER_TOTAL_MISMATCH, Code.MALFORMED_LINE)]  # fmt: skip
    assert wb.sheetnames[:3] == ["Сводка", "Расхождения", "Сверка с выпиской"]
    index = _table(wb["Расхождения"])
    assert [sheet_title(r["Расхождение"], "") for r in index] == wb.sheetnames[3:]
    assert sorted(wb.sheetnames[3:]) == sorted(present)
    sums = [round((r["Сумма"] or 0) * 100) for r in index]
    assert sums == sorted(sums, reverse=True)  # the largest problems first
    for row in index:  # each kind's sum and rows are its sheet's
        sheet = _table(wb[sheet_title(row["Расхождение"], "")])
        assert row["Строк"] == len(sheet)
        assert round((row["Сумма"] or 0) * 100) == sum(round((r["Сумма"] or 0) * 100) for r in sheet)
    assert all(len(name) <= 31 for name in wb.sheetnames)
    assert "УИП и ЛС - на разные счета" in wb.sheetnames  # every title fits Excel's 31 characters
    assert "Не найден ПД - лицевой счёт" in wb.sheetnames  # "/" is not allowed in sheet names


def test_every_sheet_has_frozen_header_autofilter_and_fitted_widths(report: tuple[Path, Path]) -> None:
    wb = load_workbook(report[0])
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref.startswith("A1:"), ws.title
        widths = [ws.column_dimensions[c.column_letter].width for c in ws[1]]
        assert all(8 <= w <= 60 for w in widths), (ws.title, widths)


def test_summary_bridge_per_register_and_total_in_kopecks(report: tuple[Path, Path]) -> None:
    ws = load_workbook(report[0])["Сводка"]
    assert _header(ws)[5:9] == ["Записей в файле", "Платежей", "Прочих строк", "Отклонено строк"]
    assert _header(ws)[9:] == ["Поступило", "Проведено", "Невыясненные", "Отклонено", "Дубликаты",
                               "Карантин", "Остаток"]  # fmt: skip
    rows = _table(ws)
    assert [r["Реестр"] for r in rows[:2]] == [1, 2]
    assert rows[0]["Статус"] == "проведён" and rows[1]["Статус"] == "карантин"
    total = rows[2]
    assert total["Файл"] == "Итого" and total["Записей в файле"] == 12 and total["Платежей"] == 7
    assert total["Прочих строк"] == 4 and total["Отклонено строк"] == 1
    assert round(total["Поступило"] * 100) == 123456789 + 30000
    assert round(total["Проведено"] * 100) == 123400000
    assert round(total["Отклонено"] * 100) == 6789
    assert total["Остаток"] == 0
    assert ws.auto_filter.ref == "A1:P3"  # the total row stays outside the filter
    money = ws.cell(row=2, column=10)
    assert money.data_type == "n" and money.number_format == "#,##0.00"
    assert round(money.value * 100) == 123456789


def test_money_is_stored_as_exact_two_decimal_text(report: tuple[Path, Path]) -> None:
    with zipfile.ZipFile(report[0]) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<v>1234567.89</v>" in sheet and "<v>300.00</v>" in sheet


def test_tieout_sheet_has_dates_as_dates_and_russian_results(report: tuple[Path, Path]) -> None:
    ws = load_workbook(report[0])["Сверка с выпиской"]
    rows = _table(ws)
    assert rows[0]["Результат"] == TITLES_RU[Code.TRANSFER_MISMATCH]
    assert rows[1]["Результат"] == TITLES_RU[Code.REGISTER_MISSING]
    assert rows[0]["Дата п/п в выписке"] == datetime(2026, 3, 16)
    assert ws.cell(row=2, column=8).number_format == "DD.MM.YYYY"
    assert round(rows[0]["Разница"] * 100) == -65
    assert rows[1]["Реестр"] is None and rows[1]["№ п/п в выписке"] == "900"


def test_discrepancy_sheet_keeps_provenance_and_identifiers_as_text(report: tuple[Path, Path]) -> None:
    ws = load_workbook(report[0])["Нечитаемая строка"]
    (row,) = _table(ws)
    assert (row["Файл"], row["Строка"], row["Номер операции"], row["ЛС в реестре"]) == (
        "a.txt", 3, "000123", "000012345678",
    )  # fmt: skip
    assert row["Исходная строка"].startswith("15-03-2026;10-27-38")
    assert row["Дата платежа"] == datetime(2026, 3, 15)
    assert round(row["Сумма"] * 100) == 6789


def test_unknown_account_sheet_has_proposals_and_resolution_columns(report: tuple[Path, Path]) -> None:
    ws = load_workbook(report[0])["Не найден ПД - лицевой счёт"]
    head = _header(ws)
    assert head[0] == "ID платежа" and head[-4:] == ["Возможно", "Верный ЛС или УИП", "Сумма на этот ПД", "Кто решил"]
    rows = _table(ws)
    assert [r["ID платежа"] for r in rows] == [11, 12]
    assert rows[0]["Возможно"] == (
        "ЛС 12345679 → ПД U-1 (2026-02), одна цифра; ЛС 12345687 → ПД U-2 (2026-02), перестановка цифр"
    )
    assert rows[1]["Возможно"] == "ЛС 555 → ПД U-3 (2026-01), тот же адрес"
    for column in (len(head) - 2, len(head) - 1):  # the target and a part's amount
        target = ws.cell(row=2, column=column)
        assert target.value is None and target.number_format == "@"  # typed ЛС keep their leading zeros


def test_text_from_outside_is_never_a_formula(report: tuple[Path, Path]) -> None:
    wb = load_workbook(report[0])
    ws = wb["УИП и ЛС - на разные счета"]
    payers = {r["Плательщик"] for r in _table(ws)}
    assert payers == set(EVIL)  # shown exactly as received
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value[:1] in ("=", "+", "-", "@", "\t", "\r", "#"):
                    assert cell.data_type == "s" and cell.quotePrefix, (ws.title, cell.coordinate)
    with zipfile.ZipFile(report[0]) as z:
        assert not any(b"<f>" in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_html_escapes_and_carries_every_section(report: tuple[Path, Path]) -> None:
    html = report[1].read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "ИВАНОВ &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "СИДОРОВ &amp; СЫН" in html
    assert "1\u00a0234\u00a0567,89" in html  # Russian money format
    for code in ("UNKNOWN_ACCOUNT", "ACCOUNT_CONFLICT", "MALFORMED_LINE", "REGISTER_TOTAL_MISMATCH"):
        assert f'id="{code}"' in html
    assert "ЛС 555 → ПД U-3 (2026-01), тот же адрес" in html


def test_empty_night_still_writes_summary_and_tieout(tmp_path: Path) -> None:
    empty = pd.DataFrame()
    xlsx, html = write_run_report(RunReportData(DAY, _registers().iloc[:0], empty, empty, empty), tmp_path)
    wb = load_workbook(xlsx)
    assert wb.sheetnames == ["Сводка", "Сверка с выпиской"]
    assert _table(wb["Сводка"])[0]["Файл"] == "Итого"
    assert "Расхождений нет" in html.read_text(encoding="utf-8")


@pytest.mark.parametrize("title, fallback, expected", [
    ("Недоплата", "UNDERPAYMENT", "Недоплата"),
    ("Нет п/п по реестру", "TRANSFER_MISSING", "Нет п-п по реестру"),
    ("УИП и ЛС указывают на разные счета", "ACCOUNT_CONFLICT", "ACCOUNT_CONFLICT"),
    ("a[b]:c*?", "X", "a-b--c--"),
])  # fmt: skip
def test_sheet_titles_follow_excel_rules(title: str, fallback: str, expected: str) -> None:
    assert sheet_title(title, fallback) == expected


def test_html_table_body_is_escaped_cell_by_cell() -> None:
    from reports.render import html_table
    from reports.xlsx import Col

    frame = pd.DataFrame({"who": ['<b a="1">&\'x\'</b>', None], "amount": [123456, None], "line": [7, None]})
    table = html_table(frame, [("who", Col("Кто")), ("amount", Col("Сумма", "money")), ("line", Col("Стр.", "int"))])
    assert table["headers"] == ["Кто", "Сумма", "Стр."]
    assert str(table["body"]) == (
        '    <tr><td>&lt;b a=&#34;1&#34;&gt;&amp;&#39;x&#39;&lt;/b&gt;</td><td class="num">1\u00a0234,56</td>'
        '<td class="num">7</td></tr>\n'
        '    <tr><td></td><td class="num"></td><td class="num"></td></tr>\n'
    )


def test_html_table_large_body_taken_from_the_arrow_buffer() -> None:
    from reports.render import html_table
    from reports.xlsx import Col

    n = 12_345  # above the size where the body is cut from the Arrow buffer
    frame = pd.DataFrame({"who": [f"Ёж {i} <x>" for i in range(n)]}).iloc[1:]  # a slice: offsets not at 0
    body = str(html_table(frame, [("who", Col("Кто"))])["body"])
    lines = body.splitlines()
    assert len(lines) == n - 1
    assert lines[0] == "    <tr><td>Ёж 1 &lt;x&gt;</td></tr>"
    assert lines[-1] == f"    <tr><td>Ёж {n - 1} &lt;x&gt;</td></tr>"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="ab &<>\"'Ж;", max_size=12)), min_size=1, max_size=8))
def test_vectorized_escaping_is_markupsafes(values: list[str | None]) -> None:
    import pyarrow as pa
    from markupsafe import escape

    from reports.render import escape_html

    got = escape_html(pa.array(values, pa.string())).to_pylist()
    assert got == [None if v is None else str(escape(v)) for v in values]


def test_each_section_lists_its_rows_by_register_then_line_missing_last() -> None:
    from reports.run_report import _sections

    d = pd.DataFrame(
        {
            "code": pd.Series(["OVERPAYMENT", "UNKNOWN_ACCOUNT", "OVERPAYMENT", "OVERPAYMENT", "UNKNOWN_ACCOUNT"]),
            "register_id": pd.array([2, 1, None, 1, 1], dtype="Int64"),
            "line_no": pd.array([1, 9, 4, 7, None], dtype="Int64"),
            "detail": ["a", "b", "c", "d", "e"],
        }
    )
    sections = {code: list(frame["detail"]) for code, _, frame, _ in _sections(d, pd.DataFrame())}
    assert sections == {"UNKNOWN_ACCOUNT": ["b", "e"], "OVERPAYMENT": ["d", "a", "c"]}
    assert list(sections) == ["OVERPAYMENT", "UNKNOWN_ACCOUNT"]  # no amounts: the most rows first
    d["amount"] = pd.array([100, 500, 100, 100, 1], dtype="Int64")
    assert [code for code, *_ in _sections(d, pd.DataFrame())] == ["UNKNOWN_ACCOUNT", "OVERPAYMENT"]  # 501 > 300
    d["amount"] = pd.array([100, 100, 100, 100, 100], dtype="Int64")
    assert [code for code, *_ in _sections(d, pd.DataFrame())] == ["OVERPAYMENT", "UNKNOWN_ACCOUNT"]  # 300 > 200


def test_a_missing_transfer_shows_the_amount_it_should_bring(tmp_path: Path) -> None:
    tieout = _tieout()
    tieout.loc[0, "status"] = "TRANSFER_MISSING"
    missing = pd.DataFrame({"code": ["TRANSFER_MISSING"], "register_id": pd.array([1], dtype="Int64"),
                            "amount": pd.array([None], dtype="Int64"), "channel": ["sber"], "file": ["a.txt"],
                            "detail": ["п/п по реестру не найдено в выписке"]})  # fmt: skip
    data = RunReportData(DAY, _registers(), tieout, pd.concat([_discrepancies(), missing], ignore_index=True),
                         _proposals(), channel_names={"sber": "ПАО Сбербанк"})  # fmt: skip
    xlsx, html = write_run_report(data, tmp_path)
    wb = load_workbook(xlsx)
    index = {r["Расхождение"]: r for r in _table(wb["Расхождения"])}
    assert round(index[TITLES_RU[Code.TRANSFER_MISSING]]["Сумма"] * 100) == 122165465
    assert list(index)[:2] == [TITLES_RU[Code.OVERPAYMENT], TITLES_RU[Code.TRANSFER_MISSING]]  # by their sums
    assert round(index[TITLES_RU[Code.REGISTER_TOTAL_MISMATCH]]["Сумма"] * 100) == 30000  # the register's total
    row = _table(wb[sheet_title(TITLES_RU[Code.TRANSFER_MISSING], "")])[0]
    assert row["Описание"] == "п/п по реестру не найдено в выписке: ожидался п/п на 1\u00a0221\u00a0654,65"
    assert row["Канал"] == "ПАО Сбербанк"
    assert "1\u00a0221\u00a0654,65" in html.read_text(encoding="utf-8")


def test_page_shows_the_first_rows_of_a_long_section_and_the_workbook_all(tmp_path: Path) -> None:
    data = RunReportData(DAY, _registers(), _tieout(), _discrepancies(), _proposals())
    xlsx, html = write_run_report(data, tmp_path, html_rows=2)
    page = html.read_text(encoding="utf-8")
    conflicts = len(EVIL)  # ACCOUNT_CONFLICT rows, more than 2
    assert f"Показаны первые 2 из {conflicts} строк; полный список — в файле {xlsx.name}." in page
    section = page.split('id="ACCOUNT_CONFLICT"')[1].split("<h2")[0]
    assert section.count("<tr>") == 1 + 2  # the header row and two rows
    index_row = page.split('href="#ACCOUNT_CONFLICT"')[1].split("</tr>")[0]
    assert f'<td class="num">{conflicts}</td>' in index_row  # the index counts every row
    assert "Показаны первые" not in page.split('id="UNKNOWN_ACCOUNT"')[1].split("<h2")[0]  # 2 rows: all shown
    book = load_workbook(xlsx, read_only=True)
    title = next(t for t in book.sheetnames if "на разные счета" in t)
    assert len(_table(book[title])) == conflicts


def test_every_code_title_fits_an_excel_sheet_name() -> None:
    """A title over 31 characters cannot name its sheet (Excel's limit): the sheet would fall back
    to the code, which accountants do not read."""
    from domain.codes import TITLES_RU, Code

    assert set(TITLES_RU) == set(Code)
    assert [t for t in TITLES_RU.values() if len(t) > 31] == []


REASONS = [  # (a parser's reason, its Russian text in the report)
    ("date missing or unreadable", "дата платежа не указана или не читается"),
    ("service amounts do not add up to the amount", "суммы по услугам не равны сумме платежа"),
    ("amount missing; date missing or unreadable", "сумма: не указано; дата платежа не указана или не читается"),
    ("expected 12 fields, found 3", "полей в строке 3, ожидалось 12"),
    ("line 7: commission unreadable", "строка 7: комиссия не читается"),
    ("Итого amount unreadable: 'x'", "сумма в строке «Итого» не читается: 'x'"),
    ("не реестр: уже по-русски", "не реестр: уже по-русски"),
    ("a brand new complaint", "a brand new complaint (англ.)"),  # noticed, not hidden
]


@pytest.mark.parametrize(("reason", "russian"), REASONS)
def test_parser_reasons_reach_the_report_in_russian(tmp_path: Path, reason: str, russian: str) -> None:
    from reports.reasons_ru import translate

    assert translate(reason) == russian
    bad = pd.DataFrame({"code": ["MALFORMED_LINE"], "register_id": pd.array([1], dtype="Int64"),
                        "amount": pd.array([100], dtype="Int64"), "detail": [reason]})  # fmt: skip
    xlsx, _ = write_run_report(RunReportData(DAY, _registers(), _tieout(), bad, _proposals()), tmp_path)
    assert _table(load_workbook(xlsx)[TITLES_RU[Code.MALFORMED_LINE]])[0]["Описание"] == russian
