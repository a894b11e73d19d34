"""Control totals of text registers that are not a trailing footer: header lines, Итого anywhere, none."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers.base import BadFile
from parsers.census import count_records
from parsers.dialect import DialectError, load_dialect
from parsers.text import TextRegisterParser
from tests.golden import parsed_summary

FILESUM = r"""
format: text
name: filesum
separator: ";"
field_count: 4
comment_prefix: "#"
fields: {date: 1, operation_id: 2, account: 3, amount: 4}
totals:
  lines:
    - '^#FILESUM\s+(?P<amount>[\d.,]+)\s*$'
    - '^#COUNT\s+(?P<count>\d+)\s*$'
    - '^Итого;(?P<count>\d*);(?P<amount>[\d ,]+)'
  required: {required}
identify: {{first_line: '^\d{{2}}\.\d{{2}}\.\d{{4}};'}}
"""


def parser(tmp_path: Path, required: bool = True, block_bytes: int = 1 << 20) -> TextRegisterParser:
    """The ``filesum`` dialect: totals in ``#FILESUM``/``#COUNT`` header lines or an Итого line."""
    path = tmp_path / "filesum.yaml"
    path.write_text(FILESUM.replace("{{", "{").replace("}}", "}").replace("{required}", str(required).lower()))
    return TextRegisterParser(load_dialect(path), block_bytes=block_bytes, workers=1)


def write(tmp_path: Path, text: str) -> Path:
    """A register file with ``text``."""
    path = tmp_path / "r.txt"
    path.write_text(text, encoding="utf-8")
    return path


PAYMENTS = "15.03.2026;1;0012;900,00\n15.03.2026;2;0013;1500,00\n15.03.2026;3;0014;1050,00\n"


@pytest.mark.parametrize("block_bytes", [1 << 20, 9])
def test_totals_in_header_lines(tmp_path: Path, block_bytes: int) -> None:
    register = write(tmp_path, "#REESTR SBER\n#FILESUM 3450.00\n#COUNT 3\n" + PAYMENTS)
    summary = parsed_summary(parser(tmp_path, block_bytes=block_bytes), register)
    assert summary["declared"] == {"count": 3, "amount": 345000}
    assert summary["non_payments"] == {"comment": 1, "totals": 2}
    assert len(summary["payments"]) == 3 and summary["rejected"] == []
    assert len(summary["payments"]) + 3 == count_records(register)


def test_itogo_line_anywhere(tmp_path: Path) -> None:
    register = write(tmp_path, "Итого;3;3 450,00\n" + PAYMENTS)
    summary = parsed_summary(parser(tmp_path), register)
    assert summary["declared"] == {"count": 3, "amount": 345000}
    assert summary["non_payments"] == {"totals": 1}


def test_conflicting_or_unreadable_totals_are_rejected_lines(tmp_path: Path) -> None:
    register = write(tmp_path, "#FILESUM 3450.00\n#FILESUM 3451.00\n#FILESUM 12.345\n" + PAYMENTS)
    summary = parsed_summary(parser(tmp_path), register)
    assert summary["declared"] == {"amount": 345000}
    assert [(e["line_no"], e["reason"]) for e in summary["rejected"]] == [
        (2, "a second, different totals value for amount"),
        (3, "unreadable totals: amount"),
    ]
    assert summary["non_payments"] == {"totals": 1}


def test_required_totals_missing_is_a_bad_file(tmp_path: Path) -> None:
    register = write(tmp_path, "#REESTR\n" + PAYMENTS)
    with pytest.raises(BadFile, match="no totals line"):
        parsed_summary(parser(tmp_path), register)
    assert parsed_summary(parser(tmp_path, required=False), register)["declared"] is None


def test_totals_none_says_the_bank_declares_no_totals(tmp_path: Path) -> None:
    base = FILESUM.replace("{{", "{").replace("}}", "}").split("totals:")[0]
    ident = "identify: {first_line: '^\\d'}\n"
    (tmp_path / "a.yaml").write_text(base + "totals: none\n" + ident)
    (tmp_path / "b.yaml").write_text(base + ident)
    none, silent = load_dialect(tmp_path / "a.yaml"), load_dialect(tmp_path / "b.yaml")
    assert none.no_totals and not none.declares_totals
    assert not silent.no_totals and not silent.declares_totals
    summary = parsed_summary(TextRegisterParser(none), write(tmp_path, PAYMENTS))
    assert summary["declared"] is None and len(summary["payments"]) == 3


@pytest.mark.parametrize(
    ("patch", "key"),
    [
        ("totals: some", "totals"),
        ("totals: {lines: '^#SUM (?P<sum>.*)'}", "totals.lines[0]"),
        ("totals: {lines: ['(']}", "totals.lines[0]"),
        ("totals: {lines: ['^#S (?P<amount>.*)'], required: yes please}", "totals.required"),
        ("totals: {line: ['^#S (?P<amount>.*)']}", "totals.line"),
        ("totals: none\nfooter: {prefix: '=', fields: {count: 1}}", "totals"),
        ("comment_prefix: [1]", "comment_prefix"),
        ("comment_lines: ['[']", "comment_lines"),
    ],
)
def test_wrong_totals_keys_name_file_and_key(tmp_path: Path, patch: str, key: str) -> None:
    base = FILESUM.replace("{{", "{").replace("}}", "}").split("comment_prefix")[0]
    rest = "fields: {date: 1, operation_id: 2, account: 3, amount: 4}\nidentify: {first_line: '^\\d'}\n"
    path = tmp_path / "bank.yaml"
    path.write_text(base + rest + patch + "\n")
    with pytest.raises(DialectError) as info:
        load_dialect(path)
    assert info.value.key == key and str(path) in str(info.value)
