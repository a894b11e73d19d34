"""Values given once for the whole file (``file_values``), money fields summed from several
columns (``{sum: [...]}``) and two-column periods by header names."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers.census import count_records
from parsers.dialect import load_dialect
from parsers.text import TextRegisterParser
from tests.dialectutil import assert_refused
from tests.golden import parsed_summary

IDENTIFY = "identify: {first_line: '^\\d'}\n"
DATE_LINE = "file_values: {date: {line: '^Дата платежей:\\s*(?P<v>\\S+)'}}\n"


def run(tmp_path: Path, dialect: str, text: str, identify: str = IDENTIFY) -> dict:
    """Parse ``text`` with a dialect given as YAML; checks the record balance on the way."""
    (tmp_path / "bank.yaml").write_text("format: text\nname: bank\n" + dialect + identify, encoding="utf-8")
    register = tmp_path / "r.txt"
    register.write_text(text, encoding="utf-8")
    parser = TextRegisterParser(load_dialect(tmp_path / "bank.yaml"), workers=1)
    assert parser.identify(register, register.read_bytes())
    summary = parsed_summary(parser, register)
    lines = len(summary["payments"]) + sum(summary["non_payments"].values()) + len(summary["rejected"])
    assert lines == count_records(register)
    return summary


def test_a_title_line_gives_every_payment_its_date(tmp_path: Path) -> None:
    dialect = "skip_lines: 2\nfield_count: 2\nfields: {account: 1, amount: 2}\n" + DATE_LINE
    text = "РЕЕСТР ПЛАТЕЖЕЙ\nДата платежей: 20.11.2026\n0012;100,00\n0013;5,00\n"
    summary = run(tmp_path, dialect, text)
    assert [(p["paid_date"], p["amount"]) for p in summary["payments"]] == [("2026-11-20", 10000), ("2026-11-20", 500)]
    assert summary["non_payments"] == {"title": 2} and summary["rejected"] == []


def test_a_file_value_fills_only_the_lines_that_leave_the_field_empty(tmp_path: Path) -> None:
    dialect = "field_count: 3\nfields: {date: 1, account: 2, amount: 3}\n" + DATE_LINE
    text = "Дата платежей: 20.11.2026\n;0012;100,00\n19.11.2026;0013;5,00\n"
    summary = run(tmp_path, dialect, text, "identify: {first_line: ';'}\n")
    assert [p["paid_date"] for p in summary["payments"]] == ["2026-11-20", "2026-11-19"]


@pytest.mark.parametrize(
    ("text", "rejected", "reason"),
    [
        # below the first payment: the payments above cannot take it
        ("0012;100,00\nДата платежей: 20.11.2026\n", [1, 2], "stands below the first payment line"),
        # a second, different date
        ("Дата платежей: 20.11.2026\nДата платежей: 21.11.2026\n0012;100,00\n", [2], "a second, different date"),
        # the line without a value (the payment then has no date either)
        ("Дата платежей:   \n0012;100,00\n", [1, 2], "(file_values) without a value"),
    ],
)
def test_file_value_lines_out_of_place_are_rejected(tmp_path: Path, text: str, rejected: list, reason: str) -> None:
    dialect = "field_count: 2\nfields: {account: 1, amount: 2}\n"
    dialect += "file_values: {date: {line: '^Дата платежей:\\s*(?P<v>.*)'}}\n"
    summary = run(tmp_path, dialect, text, "identify: {first_line: '^0'}\n")
    assert [e["line_no"] for e in summary["rejected"]] == rejected
    assert any(reason in e["reason"] for e in summary["rejected"])


def test_a_repeated_identical_title_is_a_title(tmp_path: Path) -> None:
    dialect = "field_count: 2\nfields: {account: 1, amount: 2}\n" + DATE_LINE
    text = "Дата платежей: 20.11.2026\nДата платежей: 20.11.2026\n0012;100,00\n"
    summary = run(tmp_path, dialect, text, "identify: {first_line: '^0'}\n")
    assert summary["non_payments"] == {"title": 2} and len(summary["payments"]) == 1


def test_a_comment_line_can_give_the_value(tmp_path: Path) -> None:
    dialect = "comment_prefix: '#'\nfield_count: 2\nfields: {account: 1, amount: 2}\n"
    dialect += "file_values: {date: {line: '^#DATE (\\d{2}\\.\\d{2}\\.\\d{4})'}}\n"
    summary = run(tmp_path, dialect, "#REESTR\n#DATE 15.03.2026\n0012;100,00\n", "identify: {first_line: '^0'}\n")
    assert summary["payments"][0]["paid_date"] == "2026-03-15"
    assert summary["non_payments"] == {"comment": 1, "title": 1}


def test_a_payment_line_matching_the_file_value_pattern_is_rejected_with_its_amount(tmp_path: Path) -> None:
    dialect = "field_count: 3\nfields: {date: 1, account: 2, amount: 3}\n"
    dialect += "file_values: {supplier_inn: {line: '^(\\d{2})\\.03'}}\n"
    text = "15.04.2026;0011;1,00\n15.03.2026;0012;100,00\n"
    summary = run(tmp_path, dialect, text, "identify: {first_line: '^1'}\n")
    assert [(e["line_no"], e["amount"]) for e in summary["rejected"]] == [(2, 10000)]
    assert "file_values pattern" in summary["rejected"][0]["reason"]


def test_a_commission_summed_from_two_columns_exactly(tmp_path: Path) -> None:
    dialect = "field_count: 5\nfields: {date: 1, account: 2, amount: 3, commission: {sum: [4, 5]}}\n"
    text = (
        "15.03.2026;0012;1500.00;19.17;3.83\n"  # 23.00
        "15.03.2026;0013;100.00;0.1;0.2\n"  # 0.30 in kopecks, never 0.30000000000000004
        "15.03.2026;0014;100.00;1,00;x\n"  # one part unreadable: rejected with its amount
        "15.03.2026;0015;100.00;1,00;\n"  # one part missing
        "15.03.2026;0016;100.00;;\n"  # no part given: the commission is unknown
    )
    summary = run(tmp_path, dialect, text)
    assert [(p["account"], p["commission"]) for p in summary["payments"]] == [("12", 2300), ("13", 30), ("16", None)]
    assert [(e["line_no"], e["amount"]) for e in summary["rejected"]] == [(3, 10000), (4, 10000)]
    assert all("commission unreadable (a sum of 2 columns" in e["reason"] for e in summary["rejected"])


def test_an_amount_summed_from_columns_by_header_names(tmp_path: Path) -> None:
    dialect = "header: true\nfields: {date: Дата, account: ЛС, amount: {sum: [Сумма, [Пени, Пеня]]}}\n"
    text = "Дата;ЛС;Сумма;Пени\n15.03.2026;0012;1000,00;12,50\n15.03.2026;0013;1000,00;оо\n"
    summary = run(tmp_path, dialect, text, "identify: {header: '^Дата;ЛС'}\n")
    assert [p["amount"] for p in summary["payments"]] == [101250]
    assert [(e["line_no"], e["amount"]) for e in summary["rejected"]] == [(3, None)]
    assert summary["rejected"][0]["reason"].startswith("amount missing or unreadable (a sum of 2 columns")


def test_a_two_column_period_by_header_names(tmp_path: Path) -> None:
    dialect = "header: true\nfields: {date: Дата, account: ЛС, amount: Сумма, period: {month: [Месяц, мес], year: Год}}"
    dialect += "\n"
    text = "Дата;Месяц;Год;ЛС;Сумма\n15.03.2026;3;2024;0012;10,00\n15.03.2026;13;2024;0013;10,00\n"
    summary = run(tmp_path, dialect, text, "identify: {header: '^Дата;'}\n")
    assert [p["period"] for p in summary["payments"]] == ["2024-03", None]


@pytest.mark.parametrize(
    ("patch", "key"),
    [
        ("file_values: {amount: {line: '^S (.*)'}}", "file_values.amount"),
        ("file_values: {date: '^D (.*)'}", "file_values.date"),
        ("file_values: {date: {line: '^D (.*) (.*)'}}", "file_values.date.line"),
        ("file_values: {date: {line: '^D ('}}", "file_values.date.line"),
        ("file_values: [date]", "file_values"),
        ("fields: {date: 1, account: 2, amount: 3, commission: {sum: [4]}}", "fields.commission.sum"),
        ("fields: {date: 1, account: 2, amount: 3, payer: {sum: [4, 5]}}", "fields.payer"),
        ("fields: {date: 1, account: 2, amount: 3, commission: {sum: [4, 0]}}", "fields.commission.sum[1]"),
        ("fields: {date: 1, account: 2, amount: 3, commission: {sum: [4, Н]}}", "fields.commission.sum[1]"),
        ("fields: {date: 1, account: 2, amount: 3, commission: {sum: [4, 9]}}", "fields.commission.sum[1]"),
        ("fields: {date: 1, account: 2, amount: 3, commission: {sum: [3, 4]}}", "fields"),
        ("fields: {account: 2, amount: 3}", "fields.date"),
        ("fields: {date: 1, account: 2, amount: 3, period: {month: 4, year: Год}}", "fields.period.year"),
    ],
)
def test_wrong_keys_name_file_and_key(tmp_path: Path, patch: str, key: str) -> None:
    assert_refused(tmp_path, patch, key, field_count=5)


def test_a_date_given_per_file_is_enough_for_the_loader(tmp_path: Path) -> None:
    path = tmp_path / "bank.yaml"
    path.write_text(f"format: text\nfield_count: 2\nfields: {{account: 1, amount: 2}}\n{DATE_LINE}{IDENTIFY}")
    d = load_dialect(path)
    assert "date" not in d.fields and set(d.file_values) == {"date"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.lists(st.integers(0, 10**9), min_size=2, max_size=2), min_size=1, max_size=20))
def test_summed_commission_is_exact_in_kopecks(tmp_path: Path, parts: list[list[int]]) -> None:
    dialect = "field_count: 5\nfields: {date: 1, account: 2, amount: 3, commission: {sum: [4, 5]}}\n"
    rub = lambda k: f"{k // 100},{k % 100:02d}"  # noqa: E731
    text = "".join(f"15.03.2026;{i + 1};{rub(a + b + 1)};{rub(a)};{rub(b)}\n" for i, (a, b) in enumerate(parts))
    summary = run(tmp_path, dialect, text)
    assert [p["commission"] for p in summary["payments"]] == [a + b for a, b in parts]
