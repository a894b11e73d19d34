"""The scalar and column money readers and writers agree (hypothesis), and format∘parse is the identity."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import money
from domain.money import AmountError, Spelling, format_kopecks, parse
from domain.money_vec import format_column, kopecks_column, parse_column

SPELLINGS = [
    money.AMOUNT,
    Spelling(negative=True),
    money.KOPECKS,
    money.register_spelling(",", "rubles"),
    money.register_spelling(".", "rubles"),
    money.register_spelling("any", "rubles"),
    money.register_spelling("any", "kopecks"),
    Spelling(unit="kopecks", signs=False, groups=" \u00a0"),
    Spelling(unit="kopecks", signs=False, groups="", max_digits=18),
]
# What amounts are made of, and what junk around them looks like.
ALPHABET = "0123456789,.,.+-' \u00a0\u202f\u2009\t\n\x1c\u3000\u0665a₽e"
KOPECKS = st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1)


def _scalar(text: str, spelling: Spelling) -> tuple[int | None, str | None]:
    try:
        return parse(text, spelling), None
    except AmountError as exc:
        return None, exc.reason


def _texts() -> st.SearchStrategy[str]:
    digits = st.text("0123456789", min_size=1, max_size=22)
    amountish = st.builds(
        lambda s, w, sep, f, pad: f"{pad}{s}{w}{sep}{f}{pad}",
        st.sampled_from(["", "-", "+"]),
        digits,
        st.sampled_from(["", ",", "."]),
        st.text("0123456789", max_size=3),
        st.sampled_from(["", " ", "\u00a0", "\t"]),
    )
    return st.one_of(st.text(ALPHABET, max_size=25), amountish, st.text(max_size=12))


@settings(max_examples=300, deadline=None)
@given(st.lists(_texts(), max_size=30), st.sampled_from(SPELLINGS))
def test_column_parse_agrees_with_scalar(texts: list[str], spelling: Spelling) -> None:
    parsed = parse_column(pa.array(texts, pa.string()), spelling)
    expected = [_scalar(t, spelling) for t in texts]
    assert parsed.kopecks.to_pylist() == [v for v, _ in expected]
    assert parsed.reason.to_pylist() == [r for _, r in expected]
    assert kopecks_column(texts, spelling).to_pylist() == [v for v, _ in expected]


def test_column_parse_reads_null_as_missing() -> None:
    parsed = parse_column([None, "1,50"])
    assert parsed.kopecks.to_pylist() == [None, 150] and parsed.reason.to_pylist() == ["missing", None]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(KOPECKS, st.none()), max_size=30),
    st.sampled_from([(".", ""), (",", ""), (",", "\u00a0"), (".", " ")]),
)
def test_column_format_agrees_with_scalar(values: list[int | None], style: tuple[str, str]) -> None:
    decimal, group = style
    out = format_column(pa.array(values, pa.int64()), decimal=decimal, group=group).to_pylist()
    assert out == [None if v is None else format_kopecks(v, decimal=decimal, group=group) for v in values]


@settings(max_examples=500, deadline=None)
@given(KOPECKS)
def test_format_then_parse_round_trips(kopecks: int) -> None:
    signed = Spelling(negative=True)
    assert parse(money.format_amount(kopecks), signed) == kopecks
    assert parse(money.format_ru(kopecks), signed) == kopecks
    assert parse(format_kopecks(kopecks, decimal=",", group=" "), signed) == kopecks
    texts = [money.format_amount(kopecks), money.format_ru(kopecks)]
    assert kopecks_column(texts, signed).to_pylist() == [kopecks, kopecks]


@pytest.mark.parametrize(
    ("text", "spelling", "kopecks"),
    [
        ("1 234,56", money.AMOUNT, 123456),
        ("1\u00a0234.5", money.AMOUNT, 123450),
        ("000001500,00", money.AMOUNT, 150000),
        ("1'500", money.AMOUNT, 150000),
        ("+7", money.AMOUNT, 700),
        ("150000", money.KOPECKS, 150000),
        ("1 500,00", money.register_spelling(",", "rubles"), 150000),
        ("1 500", money.register_spelling("any", "kopecks"), 1500),
    ],
)
def test_dialect_quirks(text: str, spelling: Spelling, kopecks: int) -> None:
    assert parse(text, spelling) == kopecks


@pytest.mark.parametrize(
    ("text", "spelling"),
    [
        ("1.5", money.register_spelling(",", "rubles")),
        ("1,5", money.register_spelling(".", "rubles")),
        ("-5", money.AMOUNT),
        ("+5", money.register_spelling("any", "rubles")),
        ("\t5", money.register_spelling("any", "rubles")),
        ("1234567890123456", money.register_spelling("any", "rubles")),
        ("1,234", money.AMOUNT),
        ("1.2.3", money.AMOUNT),
        ("\u0665", money.AMOUNT),
        ("5\n'", money.AMOUNT),
    ],
)
def test_rejects(text: str, spelling: Spelling) -> None:
    with pytest.raises(AmountError):
        parse(text, spelling)
