"""Why a text dialect does not identify a file (``TextRegisterParser.explain``): what was looked
for and what was found closest, on one bounded line, for the quarantine reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers.dialect import load_dialect
from parsers.text import TextRegisterParser
from rkc.intake import _not_identified

FIXED = (
    "field_count: 4\nfields: {date: 1, account: 2, amount: 3, operation_id: 4}\n"
    "identify: {first_line: '^\\d{2}-\\d{2}-\\d{4};'}\n"
)
HEADER = (
    "header: true\nfields: {date: Дата, account: [ЛС, Лицевой счет], amount: [Сумма, Сумма платежа], payer: ФИО}\n"
    "identify: {header: '^Дата;'}\n"
)
LONG = "15-03-2026;" + "Я" * 300

CASES = [
    # (dialect, file text, fragments of the reason; [""] = identified, no reason)
    (FIXED, "15-03-2026;0012;100,00;A1\n", [""]),
    (
        FIXED,
        "15-03-2026;0012;100,00;A1;лишнее\n",
        ["line 1 (the first in the file that is not blank or a comment) has 5 fields, expected 4:",
         "'15-03-2026;0012;100,00;A1;лишнее'"],
    ),
    (
        FIXED,
        "Реестр\n\n15.03.2026;0012;100,00;A1\n",
        ["no line matches identify.first_line '^\\d{2}-\\d{2}-\\d{4};' in lines 1–3",
         "line 1 (the first in the file that is not blank or a comment) has 1 field, expected 4: 'Реестр'"],
    ),
    (
        FIXED,
        "Реестр платежей\n15-03-2026;0012;100,00;A1\n",
        ["line 1 (", "has 1 field, expected 4 and does not match identify.first_line",
         "line 2 would fit (is the preamble longer than skip_lines 0?)"],
    ),
    (FIXED.replace("identify:", "footer: {prefix: '='}\nidentify:"), "=1;1,00\n", ["is the footer (starts with '=')"]),
    (FIXED, LONG + "\n", ["has 2 fields, expected 4", "'15-03-2026;ЯЯЯ", "…'"]),
    (FIXED, "\n \n", ["empty file"]),
    (FIXED, "# only a comment\n", ["has 1 field"]),
    (
        FIXED.replace("identify:", "comment_prefix: '#'\nidentify:"),
        "# only a comment\n",
        ["no line in the file that is not blank, a comment, a totals or a file value line"],
    ),
    (HEADER, "Дата;ЛС;Сумма;ФИО\n15.03.2026;0012;100,00;ИВАНОВ\n", [""]),
    (
        HEADER,
        "Реестр\nДата;Лицевой счет;Сумма, руб.;ФИО\n15.03.2026;0012;100,00;ИВАНОВ\n",
        ["closest: line 2 names 3 of 4 columns, lacks amount (сумма / сумма платежа);",
         "it has: Дата, Лицевой счет, Сумма, руб., ФИО"],
    ),
    (
        HEADER,
        "Date;LS;Sum\n15.03.2026;0012;100,00\n",
        ["no line matches identify.header '^Дата;' in lines 1–2",
         "no line in lines 1–2 names any column the dialect asks for: date (дата), account (лс / лицевой счет)"],
    ),
    (HEADER, "Дата;ЛС;Сумма;ФИО\n", ["the header row is line 1, but no data line follows it"]),
    (
        HEADER,
        "Дата;ЛС;Сумма;ФИО\n15.03.2026;0012;100,00\n",
        ["line 2 (the first after the header row on line 1) has 3 fields, expected 4"],
    ),
    (FIXED, b"\x00\x01PK\x03\x04binary", ["not a text register: the content is"]),
]


@pytest.mark.parametrize(("dialect", "text", "fragments"), CASES)
def test_explain_says_what_was_looked_for_and_found(
    tmp_path: Path, dialect: str, text: str | bytes, fragments: list[str]
) -> None:
    (tmp_path / "bank.yaml").write_text("format: text\nname: bank\n" + dialect, encoding="utf-8")
    parser = TextRegisterParser(load_dialect(tmp_path / "bank.yaml"), workers=1)
    path = tmp_path / "r.txt"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    why = parser.explain(path)
    if fragments == [""]:
        assert why == "" and parser.identify(path, path.read_bytes())
        return
    assert not parser.identify(path, path.read_bytes())
    assert "\n" not in why and len(why) <= 600, why
    for fragment in fragments:
        assert fragment in why, why


def test_a_fixed_utf8_dialect_names_the_encoding(tmp_path: Path) -> None:
    (tmp_path / "bank.yaml").write_text("format: text\nencoding: utf-8\n" + FIXED, encoding="utf-8")
    path = tmp_path / "r.txt"
    path.write_bytes("15-03-2026;0012;100,00;ИВАНОВ;лишнее\n".encode("cp1251"))
    why = TextRegisterParser(load_dialect(tmp_path / "bank.yaml")).explain(path)
    assert why.startswith("not utf-8 text (byte ") and "the encoding the dialect declares" in why


def test_intake_puts_the_diagnosis_into_the_reason(tmp_path: Path) -> None:
    (tmp_path / "bank.yaml").write_text("format: text\nname: bank\n" + FIXED, encoding="utf-8")
    path = tmp_path / "r.txt"
    path.write_text("15-03-2026;0012;100,00;A1;лишнее\n", encoding="utf-8")
    reason = _not_identified(TextRegisterParser(load_dialect(tmp_path / "bank.yaml")), path, "sber")
    assert reason.startswith("not a text:bank register (the format configured for channel sber): line 1 (")
