"""The month's payments spilled once and joined to each group of legs on the client
(``sql.statement_payments``): the join is a left join by payment id, whatever the file's batches
and the legs' order; a leg naming a payment the file lacks is a bug and raises."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sql.reporting import PAYMENT_MOVEMENT_COLUMNS
from sql.statement_payments import PAYMENT_COLUMNS, MissingPaymentError, SpilledPayments, payment_parts

_SCHEMA = pa.schema([pa.field("payment_id", pa.int64())] + [pa.field(c, pa.string()) for c in PAYMENT_MOVEMENT_COLUMNS])


def _spilled(folder: Path, ids: list[int], cuts: list[int]) -> Path:
    """A payments file as ``spill_payments`` writes it: ``ids`` in batches cut at ``cuts``; each
    text column names its payment (``payer`` of payment 7 is ``payer-7``), ``method`` missing for even ids."""
    columns: dict[str, list] = {"payment_id": ids}
    for c in PAYMENT_MOVEMENT_COLUMNS:
        columns[c] = [None if c == "method" and i % 2 == 0 else f"{c}-{i}" for i in ids]
    table = pa.table(columns, schema=_SCHEMA)
    folder.mkdir(exist_ok=True)
    path = folder / "payments.arrow"
    with pa.ipc.new_stream(str(path), _SCHEMA) as writer:
        for lo, hi in zip([0, *cuts], [*cuts, len(ids)], strict=True):
            writer.write_table(table.slice(lo, hi - lo))
    return path


def _spilled_parts(folder: Path, ids: list[int], cuts: list[int]) -> list[Path]:
    """The payments in two parts, as two workers spill them: the first up to the middle cut."""
    middle = cuts[len(cuts) // 2] if cuts else 0
    first = _spilled(folder / "a", ids[:middle], [c for c in cuts if c < middle])
    second = _spilled(folder / "b", ids[middle:], [c - middle for c in cuts if c > middle])
    return [first, second]


def _left_join(legs: pd.DataFrame, folder: Path) -> pd.DataFrame:
    parts = [pa.ipc.open_stream(str(folder / p / "payments.arrow")).read_all() for p in ("a", "b")]
    payments = pa.concat_tables(parts).to_pandas()
    joined = legs.merge(payments, on="payment_id", how="left")
    return joined.astype({c: "str" for c in PAYMENT_MOVEMENT_COLUMNS})


def _joined(source: SpilledPayments, legs: pd.DataFrame) -> pd.DataFrame:
    table = pa.Table.from_pandas(legs, preserve_index=False)
    out = source.with_payments(table).to_pandas()
    return out.astype({c: "str" for c in PAYMENT_MOVEMENT_COLUMNS})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ids=st.one_of(
        st.lists(st.integers(1, 10_000), min_size=0, max_size=40, unique=True).map(sorted),
        st.tuples(st.integers(1, 100), st.integers(0, 40)).map(lambda run: list(range(run[0], sum(run)))),  # no gap
    ),
    data=st.data(),
)
def test_each_leg_gets_its_payments_columns(tmp_path_factory: pytest.TempPathFactory, ids: list[int],
                                            data: st.DataObject) -> None:  # fmt: skip
    folder = tmp_path_factory.mktemp("payments")
    cuts = sorted(data.draw(st.lists(st.integers(0, len(ids)), max_size=5)))
    named = data.draw(st.lists(st.sampled_from(ids), max_size=60) if ids else st.just([]))
    blanks = data.draw(st.integers(0, 5))  # legs of no payment (payouts, fees)
    order = data.draw(st.permutations(range(len(named) + blanks)))
    legs = pd.DataFrame({"leg": range(len(named) + blanks),
                         "payment_id": pd.array(named + [None] * blanks, dtype="Int64")}).iloc[list(order)]  # fmt: skip
    legs = legs.reset_index(drop=True)
    source = SpilledPayments(_spilled_parts(folder, ids, cuts))
    try:
        got = _joined(source, legs)
    finally:
        source.close()
    pd.testing.assert_frame_equal(got, _left_join(legs, folder), check_dtype=False)


@pytest.mark.parametrize(
    ("named", "scattered"),
    [
        ([41, 45, 45, 52, 60, 44], False),  # a narrow stretch, over a cut between batches
        ([86, 95, 95, 89, 91], False),  # over the cut between the two parts
        ([2, 199], True),  # a reversal of an old payment beside this month's: taken batch by batch
        ([199, 2, 2, 120], True),
    ],
)
def test_a_narrow_stretch_and_scattered_payments_join_alike(tmp_path: Path, named: list[int], scattered: bool,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    ids = list(range(1, 200, 1))
    source = SpilledPayments(_spilled_parts(tmp_path, ids, [30, 48, 90, 150]))
    taken: list[int] = []
    real = source._taken
    monkeypatch.setattr(source, "_taken", lambda rows: taken.append(len(rows)) or real(rows))
    legs = pd.DataFrame({"leg": range(len(named) + 1), "payment_id": pd.array([*named, None], dtype="Int64")})
    try:
        got = _joined(source, legs)
    finally:
        source.close()
    pd.testing.assert_frame_equal(got, _left_join(legs, tmp_path), check_dtype=False)
    assert bool(taken) == scattered


@pytest.mark.parametrize(
    ("ids", "named", "problem"),
    [
        ([1, 2, 3], [4], "lack"),  # above the file's last
        ([1, 3], [2], "lack"),  # between two of its ids
        ([5, 6, 7], [4, 6], "lack"),  # below the first of ids without a gap
        ([5, 6, 7], [6, 8], "lack"),  # above the last of them
        ([5, 6, 7, 9], [6, 8], "lack"),  # in the one gap
        ([], [1], "lack"),  # an empty file
        ([1, 3, 2], [1], "not ordered"),
    ],
)
def test_a_payment_the_file_lacks_is_a_bug(tmp_path: Path, ids: list[int], named: list[int], problem: str) -> None:
    legs = pa.table({"payment_id": pa.array(named, pa.int64())})
    with pytest.raises(MissingPaymentError, match=problem):
        source = SpilledPayments([_spilled(tmp_path, ids, [])])
        source.with_payments(legs)


def test_no_payments_named_gives_missing_columns(tmp_path: Path) -> None:
    source = SpilledPayments([])  # a month of no payment: no part
    try:
        out = source.with_payments(pa.table({"payment_id": pa.array([None, None], pa.int64())}))
    finally:
        source.close()
    assert out.column_names == PAYMENT_COLUMNS
    assert all(out.column(c).null_count == 2 for c in PAYMENT_MOVEMENT_COLUMNS)


@pytest.mark.parametrize(
    ("span", "parts", "expected"),
    [
        ((1, 10), 2, [(1, 5), (6, 10)]),
        ((1, 10), 3, [(1, 3), (4, 6), (7, 10)]),
        ((5, 6), 4, [(5, 5), (6, 6)]),  # narrower than the parts asked for
        ((7, 7), 1, [(7, 7)]),
    ],
)
def test_payment_parts_tile_the_span(span: tuple[int, int], parts: int, expected: list[tuple[int, int]]) -> None:
    assert payment_parts(span, parts) == expected


def test_doctests() -> None:
    import doctest

    import sql.statement_payments

    assert doctest.testmod(sql.statement_payments).failed == 0
