"""Service lines numbered within their ПД by integer offsets: as pandas' ``groupby().cumcount()`` did."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sql.charges import _line_numbers


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 6).flatmap(lambda n: st.tuples(st.just(n), st.lists(st.integers(0, n - 1), max_size=30))),
       st.booleans())  # fmt: skip
def test_line_numbers_count_each_documents_lines_in_order(drawn: tuple[int, list[int]], grouped: bool) -> None:
    count, docs = drawn
    doc = np.array(sorted(docs) if grouped else docs, dtype=np.int64)  # sorted: the path without a sort
    expected = pd.Series(doc).groupby(doc, sort=False).cumcount().to_numpy() + 1
    assert _line_numbers(doc, count).tolist() == expected.tolist()


def test_lines_of_interleaved_documents_are_numbered_apart() -> None:
    assert _line_numbers(np.array([1, 0, 1, 1, 0], dtype=np.int64), 3).tolist() == [1, 1, 2, 3, 2]
