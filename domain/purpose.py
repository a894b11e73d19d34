"""Identifiers a payer wrote in the purpose of a payment (назначение платежа).

Payers who pay the center's account directly write the ЛС and the month in free text: "ЛС 1000123
за 10.2026", "л/с №1000123 оплата ЖКУ за октябрь 2026г", "ЕЛС 77АБ000042 10/26". A configurable,
ordered list of regular expressions (``PurposePattern``, rkc.yaml ``purpose_patterns``, defaults
``DEFAULT_PATTERNS``) reads ЛС, ИПД, ИЖКУ, ЕЛС, УИП and period from each text; per field the first
pattern that matches wins. Patterns are RE2 syntax (Arrow's regex engine, no look-around); an
identifier pattern names its value ``v``, a period pattern names ``month`` (digits or a Russian
month word, any case and ending) and ``year`` (4 digits, or 2 read as 20YY).

Values come out in the form matching compares: the ЛС compact (no spaces, dashes, leading zeros),
ЕЛС/ИЖКУ/ИПД folded (upper case, Latin look-alikes to Cyrillic, one kind of dash), the period
``YYYY-MM``. An ИПД contains an ИЖКУ, and an ИЖКУ an ЕЛС: each longer one found also fills the
shorter ones, so the ЕЛС of "ИПД 77АБ000042-01-1026" is 77АБ000042. Column-wise with Arrow.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from domain.identifiers.els import fold_column, split_column

FIELDS = ("account", "ipd", "izhku", "els", "uip", "period")
_L = "[А-ЯЁа-яёA-Za-z]"  # a letter of an ЕЛС as typed: Cyrillic or a Latin look-alike, any case
_ELS = rf"\d{{2}}{_L}{{2}}\d{{6}}"
_DASH = "[-\u2010-\u2015\u2212]"
_NOT_LETTER = "(?:^|[^А-ЯЁа-яёA-Za-z])"  # RE2's \b knows ASCII letters only
_ACCOUNT_WORD = r"(?:л\s*[./]?\s*сч?|лиц(?:ев[а-яё]*|\.)?\s*сч(?:[её]т[а-яё]*|\.)?)"  # л/с, лс, лиц. сч., лицевой счёт
_MONTH_WORD = "(?:янв|фев|мар|апр|ма[йяе]|июн|июл|авг|сен|окт|ноя|дек)[а-яё]*"

DEFAULT_PATTERNS: tuple[tuple[str, str], ...] = (
    # ЛС 1000123, л/с №1000123, л.с. 1000123, лицевой счёт 1000123, лиц. сч. 1000123, ЛС:1000123
    ("account", _NOT_LETTER.join(["(?i)", _ACCOUNT_WORD]) + r"\.?\s*(?:№|N|#|:)?\s*(?P<v>\d[\d\-]{1,30}\d)"),
    ("ipd", rf"(?i)(?P<v>{_ELS}{_DASH}\d{{2}}{_DASH}\d{{4}})"),
    ("izhku", rf"(?i)(?P<v>{_ELS}{_DASH}\d{{2}})"),
    ("els", rf"(?i)(?P<v>{_ELS})"),
    ("uip", r"(?i)(?:уип|уин|uin)\s*[:№]?\s*(?P<v>\d{20}(?:\d{5})?)"),
    # за 10.2026, за 10/26, за 2026-10, 10.2026г
    ("period", r"(?:^|[^\d.])(?P<month>0?[1-9]|1[0-2])\s*[./]\s*(?P<year>20\d{2}|\d{2})(?:[^\d.]|$)"),
    ("period", r"(?:^|\D)(?P<year>20\d{2})-(?P<month>0[1-9]|1[0-2])(?:\D|$)"),
    # за октябрь 2026, октябрь 2026г., в окт. 26
    ("period", rf"(?i)(?P<month>{_MONTH_WORD})\.?\s*(?P<year>20\d{{2}}|\d{{2}})(?:\D|$)"),
)
_MONTHS = {w: i for i, w in enumerate(("янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя",
                                       "дек"), start=1)} | {"мая": 5, "мае": 5}  # fmt: skip


def _S(value: str) -> pa.Scalar:  # a large-string literal for Arrow's joins
    return pa.scalar(value, pa.large_string())


class PurposePatternError(ValueError):
    """A configured purpose pattern that cannot be used (unknown field, bad regex, missing group)."""


@dataclass(frozen=True, slots=True)
class PurposePattern:
    """One regular expression reading ``field`` (one of ``FIELDS``) from purpose texts."""

    field: str
    regex: str


def compile_patterns(specs: Iterable[tuple[str, str]] | Iterable[Mapping[str, str]]) -> tuple[PurposePattern, ...]:
    """Checked patterns from ``(field, regex)`` pairs or ``{field:, pattern:}`` mappings (rkc.yaml).

    Raises ``PurposePatternError`` for an unknown field, a regex Python cannot compile (RE2 is
    stricter still, and is tried on an empty text) or a missing named group.
    """
    pairs = tuple((s["field"], s["pattern"]) if isinstance(s, Mapping) else tuple(s) for s in specs)
    return _checked(pairs)


@functools.lru_cache(maxsize=32)  # every load of rkc.yaml checks the same patterns: RE2 compiles each
def _checked(pairs: tuple[tuple[str, str], ...]) -> tuple[PurposePattern, ...]:
    """``compile_patterns`` of ``(field, regex)`` pairs; a failure raises and is not cached."""
    out = []
    for field, regex in pairs:
        if field not in FIELDS:
            raise PurposePatternError(f"purpose pattern field {field!r} is not one of {', '.join(FIELDS)}")
        groups = ("month", "year") if field == "period" else ("v",)
        try:
            names = re.compile(regex).groupindex
            pc.extract_regex(pa.array([""]), regex)
        except (re.error, pa.ArrowInvalid) as exc:
            raise PurposePatternError(f"purpose pattern for {field} does not compile: {exc}") from exc
        if not set(groups) <= set(names):
            raise PurposePatternError(f"purpose pattern for {field} must name the group(s) {', '.join(groups)}")
        out.append(PurposePattern(field, regex))
    return tuple(out)


def _first(texts: pa.Array, patterns: list[PurposePattern], group: str) -> pa.Array:
    """Per text, ``group`` of the first pattern that matches it (null when none does)."""
    found = pa.nulls(len(texts), pa.large_string())
    for p in reversed(patterns):  # the earlier pattern overwrites: it wins
        got = pc.extract_regex(texts, p.regex)
        value = pc.if_else(pc.is_valid(got), pc.struct_field(got, group).cast(pa.large_string()), None)
        found = pc.coalesce(value, found)
    return found


def _period(texts: pa.Array, patterns: list[PurposePattern]) -> pa.Array:
    """``YYYY-MM`` of the first period pattern matching each text, with both month and year read."""
    found = pa.nulls(len(texts), pa.large_string())
    for p in reversed(patterns):
        got = pc.extract_regex(texts, p.regex)
        month = pc.utf8_lower(pc.struct_field(got, "month").cast(pa.large_string()))
        word = pc.utf8_slice_codeunits(month, 0, 3)
        by_word = pc.index_in(word, value_set=pa.array(list(_MONTHS), pa.large_string()))
        number = pc.if_else(
            pc.match_substring_regex(month, r"^\d+$"),
            pc.cast(pc.if_else(pc.match_substring_regex(month, r"^\d+$"), month, "0"), pa.int64()),
            pc.take(pa.array(list(_MONTHS.values()), pa.int64()), by_word),
        )
        year = pc.struct_field(got, "year").cast(pa.large_string())
        year = pc.if_else(pc.equal(pc.utf8_length(year), 2), pc.binary_join_element_wise(_S("20"), year, _S("")), year)
        ok = pc.and_(pc.is_valid(got), pc.and_(pc.greater_equal(number, 1), pc.less_equal(number, 12)))
        mm = pc.utf8_lpad(pc.cast(number, pa.large_string()), 2, "0")
        value = pc.if_else(pc.fill_null(ok, False), pc.binary_join_element_wise(year, mm, _S("-")), None)
        found = pc.coalesce(value, found)
    return found


def read_purposes(
    texts: pd.Series | list[str | None], patterns: Iterable[PurposePattern] | None = None
) -> pd.DataFrame:
    """The identifiers each purpose text names: one row per text (same index), columns ``FIELDS``,
    None where the text names none. ``patterns`` default to ``DEFAULT_PATTERNS``."""
    series = texts if isinstance(texts, pd.Series) else pd.Series(texts, dtype=object)
    arr = pa.array(series.astype(object).where(series.notna(), None), pa.large_string())
    chosen = list(patterns) if patterns is not None else list(compile_patterns(DEFAULT_PATTERNS))
    by_field = {f: [p for p in chosen if p.field == f] for f in FIELDS}
    ipd = fold_column(_first(arr, by_field["ipd"], "v"))
    izhku = pc.coalesce(split_column(fold_column(_first(arr, by_field["izhku"], "v")))[1],
                        pc.utf8_slice_codeunits(ipd, 0, 13))  # fmt: skip
    els = pc.coalesce(split_column(fold_column(_first(arr, by_field["els"], "v")))[0],
                      pc.utf8_slice_codeunits(izhku, 0, 10))  # fmt: skip
    account = pc.utf8_ltrim(pc.replace_substring_regex(_first(arr, by_field["account"], "v"), r"[\s\-]+", ""), "0")
    columns = {
        "account": pc.if_else(pc.equal(account, ""), None, account),
        "ipd": ipd,
        "izhku": izhku,
        "els": els,
        "uip": _first(arr, by_field["uip"], "v"),
        "period": _period(arr, by_field["period"]),
    }
    return pd.DataFrame({f: pd.Series(columns[f].to_pylist(), index=series.index, dtype=object) for f in FIELDS})


RULE_PURPOSE = "purpose"  # the match rule of a payment identified by its purpose text (docs/RULES.md)
MATCH_FIELDS = ("account", "uip", "els", "period")  # what matching reads of a payment


def unnamed(payments: pd.DataFrame) -> np.ndarray:
    """The payments whose fields name no ЛС, УИП/ИПД or ЕЛС/ИЖКУ: those read by their purpose text."""
    return (payments["account"].isna() & payments["uip"].isna() & payments["els"].isna()).to_numpy(dtype=bool)


def purpose_identifiers(texts: pd.Series, patterns: Iterable[PurposePattern] | None = None) -> pd.DataFrame:
    """What matching reads of a payment (``MATCH_FIELDS``), from purpose texts (same index): the ЛС,
    the УИП else the ИПД (a ПД's key either way), the ИЖКУ else the ЕЛС (matching tells them
    apart), the period; None where a text names none."""
    read = read_purposes(texts, patterns)
    return pd.DataFrame({
        "account": read["account"],
        "uip": read["uip"].where(read["uip"].notna(), read["ipd"]),
        "els": read["izhku"].where(read["izhku"].notna(), read["els"]),
        "period": read["period"],
    }, index=read.index)  # fmt: skip


def purpose_details(texts: pd.Series, ids: pd.DataFrame, details: pd.Series) -> pd.Series:
    """The accountant's words for a payment read by its purpose that found no ПД: the text itself,
    after ``details`` (the matcher's own) when it named something, else that it named nothing."""
    quoted = "«" + texts.fillna("").astype(str) + "»"
    named = ids[["account", "uip", "els"]].notna().any(axis=1)
    return (details.astype(str) + "; назначение платежа: " + quoted).where(
        named, "в назначении платежа нет ЛС, ИПД, ЕЛС, ИЖКУ или УИП: " + quoted
    )
