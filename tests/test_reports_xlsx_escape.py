"""Text cells of the report's sheets: the look at the bytes decides only which replacements run,
never what the XML says (table-driven against the full escape)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from reports.xlsx_values import ILLEGAL_XML as _ILLEGAL_XML
from reports.xlsx_values import escape_text as _escape


def _full(s: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    s = pc.replace_substring_regex(s, _ILLEGAL_XML, "")
    for old, new in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;")):
        s = pc.replace_substring(s, old, new)
    return s


# (values, whether the text has anything to change)
CASES = [
    (["ИВАНОВ И.И.", "Москва, ул. Ленина, д. 1", "40817810099910004312", ""], False),
    ([None, None], False),
    ([], False),
    (["tab\tand\nnewline are kept"], False),
    (["ИП СИДОРОВ & СЫН"], True),
    (["<b>", "x"], True),
    (["a>b", "&lt; already"], True),
    (["<notification><Amount>100</Amount></notification>"], True),
    (["строка\r"], True),
    (["bell\x07"], True),
    (["\x00"], True),
    (["non-character \ufffe", "\uffff"], True),
    (["BOM \ufeff"], False),  # shares the lead byte: the slow path, nothing to change
    (["&\x01<\r>\uffff"], True),
]


@pytest.mark.parametrize(("values", "changes"), CASES)
@pytest.mark.parametrize("text_type", [pa.string(), pa.large_string()])
def test_escape_equals_the_full_escape(values: list, changes: bool, text_type: pa.DataType) -> None:
    s = pa.array(values, type=text_type)
    out = _escape(s)
    assert out.to_pylist() == _full(s).to_pylist()
    assert (out.to_pylist() != s.to_pylist()) is changes


def test_clean_text_comes_back_untouched() -> None:
    s = pa.array(["ИВАНОВ И.И.", None, "40817810099910004312"])
    assert _escape(s) is s


@pytest.mark.parametrize(
    "s",
    [
        pa.array(["a&b", "clean", "текст", "x<y"]).slice(1, 2),
        pa.array(["a&b", "clean", "текст", "x<y"]).slice(0, 3),
        pa.chunked_array([pa.array(["clean", "x<y"]), pa.array(["a&b"])]),
        pa.chunked_array([pa.array(["a\rb", "clean"]).slice(1, 1)]),
        pa.chunked_array([], type=pa.string()),
    ],
)
def test_slices_and_chunks_are_judged_by_their_own_text(s: pa.Array | pa.ChunkedArray) -> None:
    assert _escape(s).to_pylist() == _full(s).to_pylist()
