"""The content hashes built a chunk of ПД at a time: the hashes stored so far, for any chunk size."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.chargeversions import FIELD_SEP, HEADER_FIELDS, LINE_FIELDS, LINE_SEP, _text, document_hashes


def _whole_table(headers: pd.DataFrame, doc: np.ndarray, lines: pd.DataFrame) -> list[str]:
    """``document_hashes`` as it was before chunking (session 14): every line's text at once."""
    line_text = pc.binary_join_element_wise(*[_text(lines[c]) for c in LINE_FIELDS], FIELD_SEP,
                                            null_handling="replace")  # fmt: skip
    order = pc.sort_indices(pa.table({"doc": doc, "line": line_text}), sort_keys=[("doc", "ascending"),
                                                                              ("line", "ascending")])  # fmt: skip
    offsets = np.concatenate([[0], np.cumsum(np.bincount(doc, minlength=len(headers)))]).astype(np.int64)
    grouped = pa.LargeListArray.from_arrays(pa.array(offsets), line_text.take(order))
    head = pc.binary_join_element_wise(*[_text(headers[c]) for c in HEADER_FIELDS], FIELD_SEP, null_handling="replace")
    if "els" in headers.columns:
        els = _text(headers["els"])
        present = pc.fill_null(pc.not_equal(els, ""), False)
        head = pc.if_else(present, pc.binary_join_element_wise(head, els, FIELD_SEP), head)
    canonical = pc.binary_join_element_wise(head, pc.binary_join(grouped, LINE_SEP), LINE_SEP).cast(pa.large_binary())
    return [hashlib.sha256(text).hexdigest() for text in canonical.to_pylist()]


def _golden() -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    headers = pd.DataFrame({
        "account": ["1001", "2002", "3003", "4004"],
        "account_raw": ["10-01", "2002", "3003", "4 004"],
        "period": ["2026-03", "2026-03", "2026-04", "2026-04"],
        "payer": ["Иванов И.И.", "Пётр", "", "O'Neil; \"Ltd\""],
        "address": ["г. Москва, ул. Ленина, д. 5", "A", "Ёлкино 12А", "x"],
        "els": [None, "12АБ345678", "", None],
    })  # fmt: skip
    doc = np.array([2, 0, 1, 0, 2, 2, 0, 3, 1], dtype=np.int64)
    lines = pd.DataFrame({
        "supplier_inn": pd.Categorical(["7830002293", "7707083893", "7830002293", "7830002293", "7707083893",
                                        "7707083893", "7707083893", "7830002293", "7707083893"]),
        "service": pd.Categorical(["Свет", "ЖКУ", "Вода", "Свет", "ЖКУ", "ЖКУ", "Газ", "Свет", "вода"]),
        "amount": np.array([5000, 10000, 0, 123456789012, 1, 1, 99, 7, 250], dtype=np.int64),
    })  # fmt: skip
    return headers, doc, lines


# Computed by session 14's code (main at dff7086): stored versions carry these, so they must not change.
GOLDEN = [
    "3a3f5206d04117b0611a120eae184046fa6da6e1e799a365a4d901b090e906bc",
    "697df54605dd78bf7a51e7be680dbe90ad6b563de772e31ef7b0f2452e2a11eb",
    "8c55d8bf9bc823fa0b6b5e3dd5f5afb67a0adba1489c546f4d71facd86b0bcaa",
    "0bd687f4be2a1eb2dd38b14029561d6465b0f5d579027ba604d1778224589050",
]
GOLDEN_WITHOUT_ELS = [GOLDEN[0], "467ff5ad6c114dc2a056693144d5cc9c9dd92ebf65762a8f592330c20fbc8ddd", *GOLDEN[2:]]


@pytest.mark.parametrize("chunk", [1, 2, 3, 4, 1 << 16])
def test_the_hashes_stored_so_far_come_out_at_any_chunk_size(chunk: int) -> None:
    headers, doc, lines = _golden()
    assert document_hashes(headers, doc, lines, chunk).to_pylist() == GOLDEN
    assert document_hashes(headers.drop(columns=["els"]), doc, lines, chunk).to_pylist() == GOLDEN_WITHOUT_ELS


def test_a_chunk_size_below_one_is_refused() -> None:
    headers, doc, lines = _golden()
    with pytest.raises(ValueError, match="chunk"):
        document_hashes(headers, doc, lines, 0)


TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x1e\x1f"), max_size=5)


@st.composite
def _documents(draw: st.DrawFn) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    count = draw(st.integers(1, 12))
    headers = pd.DataFrame({c: draw(st.lists(TEXT, min_size=count, max_size=count)) for c in HEADER_FIELDS})
    if draw(st.booleans()):
        headers["els"] = draw(st.lists(st.none() | TEXT, min_size=count, max_size=count))
    doc = np.array(draw(st.lists(st.integers(0, count - 1), max_size=40)), dtype=np.int64)  # some ПД may have none
    size = len(doc)
    categorical = draw(st.booleans())
    inn = draw(st.lists(st.sampled_from(["7707083893", "7830002293", "77"]), min_size=size, max_size=size))
    service = draw(st.lists(TEXT, min_size=size, max_size=size))
    lines = pd.DataFrame({
        "supplier_inn": pd.Categorical(inn) if categorical else pd.Series(inn, dtype=object),
        "service": pd.Categorical(service) if categorical else pd.Series(service, dtype=object),
        "amount": np.array(draw(st.lists(st.integers(-(10**15), 10**15), min_size=size, max_size=size)),
                           dtype=np.int64),
    })  # fmt: skip
    return headers, doc, lines


@settings(max_examples=200, deadline=None)
@given(_documents(), st.integers(1, 14))
def test_chunked_equals_the_whole_table_for_any_chunk_size(documents: tuple, chunk: int) -> None:
    headers, doc, lines = documents
    assert document_hashes(headers, doc, lines, chunk).to_pylist() == _whole_table(headers, doc, lines)
