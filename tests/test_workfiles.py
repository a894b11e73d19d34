"""The night's work files: payments and rejected lines survive Parquet exactly."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from domain.records import PAYMENT_COLUMNS, conform_payments
from rkc.workfiles import PaymentFileWriter, read_errors, read_payments, read_raw_lines, write_errors


def _payments(first_line: int, commission: list[int | None], services: list[tuple | None]) -> pd.DataFrame:
    n = len(commission)
    return conform_payments(
        pd.DataFrame(
            {
                "line_no": range(first_line, first_line + n),
                "raw": [f"строка;{i};\x01" for i in range(n)],
                "operation_id": [f"000{i}" for i in range(n)],
                "paid_date": ["2026-11-19"] * n,
                "account_raw": ["00-123"] * n,
                "account": ["00123"] * n,
                "amount": [9_007_199_254_740_993 + i for i in range(n)],  # above 2**53: a float would lose it
                "commission": pd.array(commission, dtype="Int64"),
                "payer": ["Иванов И. И."] * n,
                "services": services,
            }
        )
    )


def test_payments_round_trip_in_chunks(tmp_path: Path) -> None:
    a = _payments(1, [150, None], [None, (("ХВС", 100), ("ГВС", 200))])
    b = _payments(3, [None], [None])
    path = tmp_path / "p.parquet"
    with PaymentFileWriter(path) as writer:
        writer.write(a)
        writer.write(b.iloc[0:0])  # an empty chunk writes nothing
        writer.write(b)
    assert writer.rows == 3
    back = read_payments(path)
    expected = pd.concat([a, b], ignore_index=True)
    assert list(back.columns) == list(PAYMENT_COLUMNS)
    assert back["amount"].dtype == "int64" and back["commission"].dtype == "Int64"
    assert back["amount"].tolist() == expected["amount"].tolist()
    assert back["commission"].tolist() == [150, pd.NA, pd.NA]
    assert back["services"].tolist() == [None, (("ХВС", 100), ("ГВС", 200)), None]
    for column in ("raw", "operation_id", "account", "payer"):
        assert back[column].tolist() == expected[column].tolist()
    assert read_payments(path, ["operation_id", "amount"]).columns.tolist() == ["operation_id", "amount"]


def test_empty_register_still_has_a_readable_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.parquet"
    with PaymentFileWriter(path):
        pass
    assert read_payments(path).empty


@pytest.mark.parametrize("rows", [[], [(7, "нет суммы", "a;b", None), (9, "дата", "x", 12_345)]])
def test_errors_round_trip(tmp_path: Path, rows: list) -> None:
    path = tmp_path / "e.parquet"
    write_errors(rows, path)
    back = read_errors(path)
    assert back["line_no"].dtype == "int64" and back["amount"].dtype == "Int64"
    assert [tuple(None if pd.isna(v) else v for v in r) for r in back.itertuples(index=False)] == rows


@pytest.mark.parametrize("batch_rows", [2, 3, 65_536])
def test_raw_lines_are_picked_by_position_in_any_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch_rows: int
) -> None:
    import numpy as np

    monkeypatch.setattr("rkc.workfiles.RAW_BATCH_ROWS", batch_rows)
    path = tmp_path / "p.parquet"
    with PaymentFileWriter(path) as writer:
        writer.write(_payments(1, [None] * 5, [None] * 5))
        writer.write(_payments(6, [None] * 4, [None] * 4))
    raw = read_payments(path, columns=["raw"])["raw"].tolist()
    rows = [7, 0, 3, 3, 8, 4]
    picked = read_raw_lines(path, np.array(rows))
    assert picked.dtype == "str"
    assert picked.tolist() == [raw[r] for r in rows]
    assert read_raw_lines(path, np.array([], dtype=np.int64)).tolist() == []
    with pytest.raises(IndexError, match="beyond the 9 payments"):
        read_raw_lines(path, np.array([2, 9]))


def test_dictionary_columns_are_payment_columns_and_stored_as_dictionaries(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from rkc.workfiles import DICTIONARY_COLUMNS, write_payments

    assert set(DICTIONARY_COLUMNS) <= set(PAYMENT_COLUMNS)
    write_payments(_payments(1, [150, None, 150], [None, None, None]), tmp_path / "p.parquet")
    encodings = {
        (column := pq.ParquetFile(tmp_path / "p.parquet").metadata.row_group(0).column(i)).path_in_schema: column
        for i in range(len(PAYMENT_COLUMNS))
    }
    assert encodings["paid_date"].dictionary_page_offset is not None
    assert encodings["raw"].dictionary_page_offset is None
