"""Identifiers relabelled for people: a distinct value at a time (``reports.labels.relabelled``),
and channels by their agents' names whatever the column's storage (``russian_channels``)."""

from __future__ import annotations

import pandas as pd
import pytest

from reports.labels import relabelled, russian_channels
from reports.statements import KIND_RU


@pytest.mark.parametrize("dtype", ["str", object])
def test_each_value_relabelled_and_missing_kept(dtype: object) -> None:
    kinds = pd.Series(["payment", None, "reversal", "something_new", "payment"], index=[5, 3, 9, 1, 0], dtype=dtype)
    got = relabelled(kinds, lambda kind: KIND_RU.get(kind, kind))
    assert got.index.tolist() == [5, 3, 9, 1, 0]
    assert got.tolist()[:1] + got.tolist()[2:] == ["Платеж", "Сторно", "something_new", "Платеж"]
    assert pd.isna(got.iloc[1])


def test_channels_named_alike_in_arrow_and_object_columns() -> None:
    names = {"sber": "ПАО Сбербанк"}
    codes = ["sber", "post", None, "sber"]
    arrow = russian_channels(pd.DataFrame({"channel": pd.Series(codes, dtype="str")}), names)["channel"]
    plain = russian_channels(pd.DataFrame({"channel": pd.Series(codes, dtype=object)}), names)["channel"]
    assert arrow.tolist()[:2] == plain.tolist()[:2] == ["ПАО Сбербанк", "post"]
    assert arrow.tolist()[3] == plain.tolist()[3] == "ПАО Сбербанк"
    assert pd.isna(arrow.iloc[2]) and pd.isna(plain.iloc[2])
    assert russian_channels(pd.DataFrame({"channel": pd.Series([], dtype="str")}), names).empty
