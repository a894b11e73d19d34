"""Line shapes seen in the field: quoted fields, variable widths, meter readings, parts of fields,
periods in several spellings or two columns, one payment over several lines (group_by)."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers.census import count_records
from parsers.dialect import load_dialect
from parsers.text import TextRegisterParser
from tests.dialectutil import assert_refused
from tests.golden import parsed_summary

IDENTIFY = "identify: {first_line: '^\\d'}\n"


def run(tmp_path: Path, dialect: str, text: str, block_bytes: int = 1 << 20) -> dict:
    """Parse ``text`` with a dialect given as YAML; checks the record balance on the way."""
    (tmp_path / "bank.yaml").write_text("format: text\nname: bank\n" + dialect + IDENTIFY, encoding="utf-8")
    register = tmp_path / "r.txt"
    register.write_text(text, encoding="utf-8")
    parser = TextRegisterParser(load_dialect(tmp_path / "bank.yaml"), block_bytes=block_bytes, workers=1)
    summary = parsed_summary(parser, register)
    lines = len(summary["payments"]) + sum(summary["non_payments"].values()) + len(summary["rejected"])
    assert lines == count_records(register)
    return summary


def test_quoted_fields_hold_the_separator_and_doubled_quotes(tmp_path: Path) -> None:
    dialect = "quote: '\"'\nfield_count: 4\nfields: {date: 1, payer: 2, account: 3, amount: 4}\n"
    text = '15.03.2026;"ООО ""РОМАШКА""; склад";"0012";"1 500,00"\n15.03.2026;ИВАНОВ;0013;10,00\n'
    summary = run(tmp_path, dialect, text)
    assert [(p["payer"], p["account"], p["amount"]) for p in summary["payments"]] == [
        ('ООО "РОМАШКА"; склад', "12", 150000),
        ("ИВАНОВ", "13", 1000),
    ]
    unquoted = run(tmp_path, dialect.replace("quote: '\"'\n", ""), text)  # the same line breaks apart unquoted
    assert [e["line_no"] for e in unquoted["rejected"]] == [1]


def test_a_quote_left_open_ends_with_its_line(tmp_path: Path) -> None:
    """An unbalanced quote must not swallow the next lines (every row after it would shift), and a
    lone CR inside a line is no reason to stop the file."""
    dialect = "quote: '\"'\nfield_count: 4\nfields: {date: 1, payer: 2, account: 3, amount: 4}\n"
    text = ('15.03.2026;"ИВАНОВ;0012;1 500,00\n15.03.2026;ПЕТРОВ;0013;10,00\n'
            '15.03.2026;СИДОРОВ\rС;0014;20,00\n15.03.2026;КУЗНЕЦОВ;0015;30,00\n')  # fmt: skip
    summary = run(tmp_path, dialect, text)
    assert [e["line_no"] for e in summary["rejected"]] == [1]  # two fields: the open quote took the rest
    assert [(p["line_no"], p["account"], p["amount"]) for p in summary["payments"]] == [
        (2, "13", 1000), (3, "14", 2000), (4, "15", 3000),
    ]


METERS = """
field_count: {min: 4, max: 40}
fields: {date: 1, operation_id: 2, account: {key: "ACC:"}, amount: {key: "SUM:"}}
meters: {id_key: CounterId_, value_key: CounterVal_}
"""


@pytest.mark.parametrize("block_bytes", [1 << 20, 16])
def test_key_value_fields_and_trailing_meter_readings(tmp_path: Path, block_bytes: int) -> None:
    text = (
        "15.03.2026;77001;ACC:0012;SUM:1500,00\n"
        "15.03.2026;77002;SUM:450,00;ACC:0013;CounterId_1:ХВ-123;CounterVal_1:00123,4;CounterId_2:ГВ-9;CounterVal_2:77\n"
        "15.03.2026;77003;ACC:0014;SUM:1500,00;CounterVal_1:12;CounterVal_2:\n"
    )
    summary = run(tmp_path, METERS, text, block_bytes)
    assert [(p["account"], p["amount"], p["meters"]) for p in summary["payments"]] == [
        ("12", 150000, None),
        ("13", 45000, [["ХВ-123", "00123,4"], ["ГВ-9", "77"]]),
        ("14", 150000, [["1", "12"]]),
    ]
    assert summary["rejected"] == []


def test_field_count_range_rejects_outside_it(tmp_path: Path) -> None:
    dialect = "field_count: {min: 3, max: 4}\nfields: {date: 1, account: 2, amount: 3}\n"
    summary = run(tmp_path, dialect, "15.03.2026;12;1,00\n15.03.2026;12;2,00;x\n15.03.2026;12;3,00;x;y\n")
    assert [p["amount"] for p in summary["payments"]] == [100, 200]
    assert [(e["line_no"], e["reason"], e["amount"]) for e in summary["rejected"]] == [
        (3, "expected 3 to 4 fields, found 5", 300)
    ]


@pytest.mark.parametrize(
    "date",
    ["{column: 1, slice: [0, 6]}", "{column: 1, regex: '^(\\d{6})'}", "{column: 1, regex: '^(?P<d>\\d{6})\\d+$'}"],
)
def test_date_from_the_first_six_digits_of_the_operation_id(tmp_path: Path, date: str) -> None:
    fields = f"fields: {{operation_id: 1, date: {date}, account: 2, amount: 3}}"
    dialect = f"field_count: 3\n{fields}\ndate_formats: [ddmmyy]\n"
    summary = run(tmp_path, dialect, "150326000123;12;1,00\n310226000124;12;2,00\n990326000125;12;3,00\n")
    assert [(p["operation_id"], p["paid_date"]) for p in summary["payments"]] == [("150326000123", "2026-03-15")]
    assert [(e["line_no"], e["reason"]) for e in summary["rejected"]] == [
        (2, "date missing or unreadable"),
        (3, "date missing or unreadable"),
    ]


def test_period_spellings_date_range_and_two_columns(tmp_path: Path) -> None:
    dialect = (
        "field_count: 4\nfields: {date: 1, account: 2, amount: 3, period: 4}\n"
        "period_formats: [mmyy, mm.yyyy, dd/mm/yyyy, dd.mm.yyyy-dd.mm.yyyy, dd.mm.yyyy]\n"
    )
    periods = ["0324", "03.2024", "01/03/2024", "01.03.2024-31.03.2024", "15.03.2024", "junk"]
    text = "".join(f"15.03.2026;12;1,00;{p}\n" for p in periods)
    assert [p["period"] for p in run(tmp_path, dialect, text)["payments"]] == ["2024-03"] * 5 + [None]
    two = "field_count: 5\nfields: {date: 1, account: 2, amount: 3, period: {month: 4, year: 5}}\n"
    text = "15.03.2026;12;1,00;3;2024\n15.03.2026;12;1,00;03;24\n15.03.2026;12;1,00;13;2024\n"
    assert [p["period"] for p in run(tmp_path, two, text)["payments"]] == ["2024-03", "2024-03", None]


GROUPED = """
field_count: 6
fields: {operation_id: 1, date: 2, account: 3, payer: 4, service_code: 5, amount: 6}
group_by: operation_id
"""


@pytest.mark.parametrize("block_bytes", [1 << 20, 20])
def test_one_payment_over_several_lines(tmp_path: Path, block_bytes: int) -> None:
    text = (
        "A1;15.03.2026;0012;ИВАНОВ;ХВС;300,00\n"
        "A2;15.03.2026;0013;ПЕТРОВ;ЭЛ;100,00\n"
        "A1;15.03.2026;0012;ИВАНОВ;ГВС;700,00\n"
        "A3;15.03.2026;0014;СИДОРОВ;;50,00\n"
        "A1;15.03.2026;0012;ИВАНОВ;ОТП;50,00\n"
    )
    summary = run(tmp_path, GROUPED, text, block_bytes)
    assert [(p["operation_id"], p["amount"], p["services"], p["line_no"]) for p in summary["payments"]] == [
        ("A1", 105000, [["ХВС", 30000], ["ГВС", 70000], ["ОТП", 5000]], 1),
        ("A2", 10000, [["ЭЛ", 10000]], 2),
    ]
    assert summary["non_payments"] == {"continuation": 2}
    assert [(e["line_no"], e["reason"], e["amount"]) for e in summary["rejected"]] == [
        (4, "service code missing", 5000)
    ]


def test_grouped_by_payer_and_payment_order(tmp_path: Path) -> None:
    dialect = (
        "field_count: 6\nfields: {payment_order: 1, date: 2, account: 3, payer: 4, service_code: 5, amount: 6}\n"
        "group_by: [payer, payment_order]\n"
    )
    text = (
        "17;15.03.2026;0012;ИВАНОВ;ХВС;300,00\n17;15.03.2026;0013;ПЕТРОВ;ЭЛ;100,00\n"
        "17;15.03.2026;0012;ИВАНОВ;ГВС;700,00\n17;15.03.2026;0099;ПЕТРОВ;ГВС;1,00\n"
    )
    summary = run(tmp_path, dialect, text)
    assert [(p["payer"], p["amount"]) for p in summary["payments"]] == [("ИВАНОВ", 100000)]
    assert all(p["operation_id"].startswith("~") for p in summary["payments"])
    assert [e["line_no"] for e in summary["rejected"]] == [2, 4]  # ПЕТРОВ's п/п 17 names two accounts
    assert summary["non_payments"] == {"continuation": 1}


@pytest.mark.parametrize(
    ("patch", "key"),
    [
        ("quote: '||'", "quote"),
        ("field_count: {min: 5, max: 2}", "field_count"),
        ("field_count: {least: 2}", "field_count"),
        ("meters: {id_key: CounterId_}", "meters.value_key"),
        ("meters: {value_key: 'Val:'}", "meters.value_key"),
        ("meters: [CounterVal_]", "meters"),
        ("group_by: account", "fields.service_code"),
        ("group_by: cashier", "group_by"),
        (
            "fields: {date: 1, account: 2, amount: 3, service_code: 4}\nservices: {after_column: 4}",
            "fields.service_code",
        ),
        ("fields: {date: {column: 1, slice: [6, 0]}, account: 2, amount: 3}", "fields.date.slice"),
        ("fields: {date: {column: 1, regex: '\\d+'}, account: 2, amount: 3}", "fields.date.regex"),
        ("fields: {date: {column: 1}, account: 2, amount: 3}", "fields.date"),
        ("fields: {date: 1, account: 2, amount: 3, period: {month: 4}}", "fields.period"),
        ("fields: {date: 1, account: 2, amount: 3, period: {month: 0, year: 3}}", "fields.period.month"),
    ],
)
def test_wrong_shape_keys_name_file_and_key(tmp_path: Path, patch: str, key: str) -> None:
    assert_refused(tmp_path, patch, key, field_count=3)
