"""The CSV register's text encoded a column at a time (``reports.statement_csv.encoded``) is what
``str.encode`` gives each value: ASCII relabelled, anything else decoded and encoded whole; its
lines end in CRLF and a supplier's body is its run of them (``line_bodies``)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.statement_csv import CSV_ENCODING, csv_lines, encoded, line_bodies

# Cyrillic, cp1251's punctuation (№ « » – €), characters cp1251 lacks (emoji, CJK, a combining
# accent, Latin with diacritics it has not) and ASCII, mixed.
TEXT = st.text(alphabet=st.sampled_from(list("abc;\" 019АБВяёЁ№«»–€😀中\u0301ŁœÿÄ\t")), max_size=12)


def _expected(values: list[str | None]) -> list[bytes]:
    return [(v or "").encode(CSV_ENCODING, errors="replace") for v in values]


@given(st.lists(st.one_of(st.none(), TEXT), max_size=30), st.integers(0, 5), st.integers(0, 5))
def test_each_value_is_what_str_encode_gives(values: list[str | None], head: int, tail: int) -> None:
    whole = pa.array(["x" * head] * head + values + ["y"] * tail, type=pa.string())
    sliced = whole.slice(head, len(values))  # an offset into shared buffers, as a group's slice is
    got = encoded(sliced)
    assert got.type == pa.binary()
    assert got.to_pylist() == _expected(values)


@pytest.mark.parametrize(
    "values",
    [[], [None, None], ["", ""], ["ascii only", "1234"], ["Иванов", None, "", "Ли 李"]],
)
def test_edge_columns(values: list[str | None]) -> None:
    assert encoded(pa.array(values, type=pa.string())).to_pylist() == _expected(values)


def test_a_chunked_column() -> None:
    chunked = pa.chunked_array([["Петров", "a"], ["€", None]], type=pa.string())
    assert encoded(chunked).to_pylist() == _expected(["Петров", "a", "€", None])


def test_a_multibyte_encoding_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import reports.statement_csv as module

    monkeypatch.setattr(module, "CSV_ENCODING", "utf-8")
    with pytest.raises(ValueError, match="bytes for"):
        module.encoded(pa.array(["Ж"]))


@given(st.lists(st.one_of(st.none(), TEXT), max_size=20), st.lists(st.integers(0, 6), max_size=6), st.integers(0, 3))
def test_bodies_are_runs_of_whole_lines(payers: list[str | None], runs: list[int], head: int) -> None:
    """Each line ends in CRLF and a run of lines is its lines end to end, cut from the array (also
    when the array is a slice of a larger one)."""
    n = len(payers)
    moves = pd.DataFrame({"value_date": ["2026-03-16"] * n, "kind_ru": ["Платеж"] * n, "channel": ["sber"] * n,
                          "operation_id": ["7"] * n, "paid_date": [None] * n, "account_raw": ["001"] * n,
                          "doc_uip": ["U1"] * n, "payer": payers, "address": ["Г ИПАТОВО; д 1"] * n,
                          "service": ["ЖКУ"] * n, "amount": list(range(-2, n - 2))})  # fmt: skip
    lines = csv_lines(moves)
    assert all(line.endswith(b"\r\n") and line.count(b"\r\n") == 1 for line in lines.to_pylist())
    padded = pa.concat_arrays([pa.array([b"x\r\n"] * head, pa.binary()), lines]).slice(head, n) if n else lines
    bounds, lo = [], 0
    for size in runs:
        hi = min(n, lo + size)
        bounds.append((lo, hi))
        lo = hi
    expected = [b"".join(lines.to_pylist()[a:b]) for a, b in bounds]
    assert [bytes(body) for body in line_bodies(padded, bounds)] == expected
    assert [bytes(body) for body in line_bodies(padded.cast(pa.large_binary()), bounds)] == expected
