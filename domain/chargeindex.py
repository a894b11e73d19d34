"""An integer index over the night's charges, built once and shared by matching and splitting.

Strings are hashed once: every key column of the charges (УИП, ЛС, period, supplier INN, service)
becomes int codes into an Arrow dictionary, and payments are later looked up against those
dictionaries (``codes_in``) instead of being re-hashed together with the charges for every file.
Lines are sorted once into ПД groups in the deterministic tie order (ПД, INN, service, amount)
that the largest-remainder split needs.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from domain.identifiers.els import split_column


def to_arrow(values: pd.Series | np.ndarray | list | pa.Array | pa.ChunkedArray) -> pa.Array:
    """A (large) string Arrow array of identifier text; None/NaN become null, zero-copy when possible."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        arr = values
    elif isinstance(values, pd.Series):
        arr = pa.array(values, from_pandas=True)
    else:
        arr = pa.array(np.asarray(values, dtype=object), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    return arr


def _blank(dictionary: pa.Array) -> int:
    """Position of the empty string in a dictionary, or -1."""
    return pc.index(dictionary, pa.scalar("", pa.large_string())).as_py()


def encode(values: pd.Series | np.ndarray, *, sort: bool = False) -> tuple[np.ndarray, pa.Array]:
    """Int64 codes (-1 for null or empty) and the dictionary; with ``sort`` codes follow text order.

    Without ``sort`` codes are numbered by first appearance.
    """
    enc = pc.dictionary_encode(to_arrow(values))
    codes = pc.fill_null(enc.indices, -1).to_numpy().astype(np.int64)
    dictionary = enc.dictionary
    blank = _blank(dictionary)
    if blank >= 0:
        codes[codes == blank] = -1
    if sort and len(dictionary):
        order = pc.array_sort_indices(dictionary).to_numpy()
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        codes = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)
        dictionary = dictionary.take(pa.array(order))
    return codes, dictionary


def codes_in(values: pd.Series | np.ndarray, dictionary: pa.Array) -> np.ndarray:
    """Codes of ``values`` in an existing dictionary: -1 for null, empty or absent values."""
    idx = pc.index_in(to_arrow(values), value_set=dictionary)
    codes = pc.fill_null(idx, -1).to_numpy().astype(np.int64)
    blank = _blank(dictionary)
    if blank >= 0:
        codes[codes == blank] = -1
    return codes


def strings(dictionary: pa.Array, codes: np.ndarray) -> np.ndarray:
    """Object array of the texts of ``codes`` (None for -1): for the few rows that need text."""
    taken = dictionary.take(pa.array(codes, mask=codes < 0))
    return np.asarray(taken.to_pylist(), dtype=object)


def categorical(dictionary: pa.Array) -> pd.CategoricalDtype:
    """The categorical dtype of an Arrow dictionary's texts (``str`` categories, unordered).

    An Arrow dictionary holds each text once and no null, so pandas' own check of the categories
    (a hash of every text, most of the cost for a million ПД keys) is skipped where pandas allows it.
    """
    categories = pd.Index(dictionary.to_pandas(), dtype="str")
    fast = getattr(pd.CategoricalDtype, "_from_fastpath", None)  # private in pandas 3.1; public check otherwise
    return fast(categories, False) if fast is not None else pd.CategoricalDtype(categories, ordered=False)


def categories(codes: np.ndarray, dictionary: pa.Array) -> pd.Series:
    """A categorical Series of the dictionary's texts at ``codes`` (-1: missing); no text is copied."""
    return pd.Series(pd.Categorical.from_codes(codes, dtype=categorical(dictionary), validate=False))


def first_rows(codes: np.ndarray, n: int) -> np.ndarray:
    """First row of each code 0..n-1 when codes are numbered by first appearance (-1 if none)."""
    first = np.full(n, -1, dtype=np.int64)
    if len(codes):
        prev = np.maximum.accumulate(codes)
        opens = np.empty(len(codes), dtype=bool)
        opens[0] = codes[0] >= 0
        opens[1:] = codes[1:] > prev[:-1]
        rows = np.flatnonzero(opens)
        first[codes[rows]] = rows
    return first


def _runs(values: pa.Array) -> np.ndarray:
    """Whether each row starts a run of equal values (a null equals a null)."""
    starts = np.ones(len(values), dtype=bool)
    if len(values) > 1:
        a, b = values.slice(1), values.slice(0, len(values) - 1)
        same = pc.or_(pc.fill_null(pc.equal(a, b), False), pc.and_(pc.is_null(a), pc.is_null(b)))
        starts[1:] = ~same.to_numpy(zero_copy_only=False)
    return starts


def _grouped(uip: pa.Array) -> tuple[np.ndarray, pa.Array, np.ndarray] | None:
    """``encode(uip)`` and the ПД's first rows when every ПД's lines are adjacent (as the import
    stores them), from its runs alone: (codes, dictionary, run starts); None when they are not."""
    starts = _runs(uip)
    heads, dictionary = encode(uip.filter(pa.array(starts)))
    if len(dictionary) != len(heads) or (heads < 0).any():  # a ПД in two runs, or a line without a key
        return None
    return np.cumsum(starts) - 1, dictionary, starts


def _per_doc(
    values: pa.Array, starts: np.ndarray | None, first: np.ndarray, *, sort: bool
) -> tuple[np.ndarray, pa.Array]:
    """``encode(values)`` of the ПД's first lines: codes per ПД and the dictionary of all lines.

    With ПД in runs whose lines agree (the import keeps them equal) only the runs' first lines are
    hashed; they hold every value, in the same order of first appearance.
    """
    if starts is not None and not (_runs(values) & ~starts).any():
        return encode(values.filter(pa.array(starts)), sort=sort)
    codes, dictionary = encode(values, sort=sort)
    return codes[first], dictionary


def _lines(
    line_doc: np.ndarray, n_doc: int, l_inn: np.ndarray, l_svc: np.ndarray, amount: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Lines sorted by (ПД, INN, service, amount): order, start, count, weight, total, tie."""
    n_inn, n_svc = int(l_inn.max(initial=-1)) + 2, int(l_svc.max(initial=-1)) + 2
    if n_doc * n_inn * n_svc < 2**62:
        key = line_doc * n_inn  # in place below: a fresh array of millions of lines is a cost of its own
        key += l_inn + 1
        key *= n_svc
        key += l_svc + 1
        order = np.argsort(key, kind="stable")
        sk = key[order]
        if len(sk) > 1 and not (sk[1:] != sk[:-1]).all():  # same ПД, INN and service: amount decides
            order = np.lexsort((amount, l_svc, l_inn, line_doc))
    else:
        order = np.lexsort((amount, l_svc, l_inn, line_doc))
    count = np.bincount(line_doc, minlength=n_doc).astype(np.int64)
    start = np.cumsum(count) - count
    weight = amount[order]
    tie = l_inn[order]
    tie += 1
    tie <<= 32
    tie |= l_svc[order] + 1
    total = np.add.reduceat(weight, start) if n_doc else np.zeros(0, np.int64)
    return order, start, count, weight, total.astype(np.int64), tie


@dataclass(frozen=True, slots=True)
class ChargeIndex:
    """Charges as integer arrays. ПД ``d`` has lines ``order[start[d]:start[d] + count[d]]``."""

    charges: pd.DataFrame
    uips: pa.Array  # ПД keys; code d is ПД d
    line_doc: np.ndarray
    accounts: pa.Array
    doc_account: np.ndarray  # code into ``accounts``, -1 if none
    periods: pa.Array  # sorted, so a larger code is a later month
    doc_period: np.ndarray
    line_service: np.ndarray  # code into ``services``
    services: pa.Array  # sorted
    line_inn: np.ndarray  # code into ``inns``
    inns: pa.Array  # sorted
    order: np.ndarray  # line indices sorted by (ПД, INN, service, amount)
    start: np.ndarray
    count: np.ndarray
    total: np.ndarray  # int64 kopecks per ПД
    weight: np.ndarray  # line amounts in ``order``
    tie: np.ndarray  # (INN code + 1) << 32 | (service code + 1) of the lines in ``order``
    elses: pa.Array | None = None  # ЕЛС of the ПД (of its ИЖКУ when it has one); None: charges without ``els``
    doc_els: np.ndarray | None = None  # code into ``elses``, -1 if none
    izhkus: pa.Array | None = None  # ИЖКУ of the ПД that have one
    doc_izhku: np.ndarray | None = None  # code into ``izhkus``, -1 if none

    @property
    def n_docs(self) -> int:
        """Number of ПД."""
        return len(self.uips)

    @classmethod
    def build(cls, charges: pd.DataFrame) -> ChargeIndex:
        """Index ``charges`` (``CHARGE_COLUMNS``). A line without a ПД key is a bug: ``ValueError``."""
        amount = charges["amount"].to_numpy(dtype=np.int64)
        # Arrow hashing releases the GIL: the key columns are encoded two at a time.
        with ThreadPoolExecutor(max_workers=2) as pool:
            f_inn = pool.submit(encode, charges["supplier_inn"], sort=True)
            f_svc = pool.submit(encode, charges["service"], sort=True)
            uip = to_arrow(charges["uip"])
            grouped = _grouped(uip)
            line_doc, uips, starts = grouped if grouped is not None else (*encode(uip), None)
            if (line_doc < 0).any():
                raise ValueError("charge lines without a ПД key (uip)")
            first = np.flatnonzero(starts) if starts is not None else first_rows(line_doc, len(uips))
            f_acc = pool.submit(_per_doc, to_arrow(charges["account"]), starts, first, sort=False)
            f_per = pool.submit(_per_doc, to_arrow(charges["period"]), starts, first, sort=True)
            (l_inn, inns), (l_svc, services) = f_inn.result(), f_svc.result()
            # the lines' order is sorted here while the account and period are hashed
            order, start, count, weight, total, tie = _lines(line_doc, len(uips), l_inn, l_svc, amount)
            (doc_account, accounts), (doc_period, periods) = f_acc.result(), f_per.result()
        ids: tuple = ()
        if "els" in charges.columns:  # one value per ПД: its first line's (the import keeps them equal)
            els, izhku = split_column(to_arrow(charges["els"]).take(pa.array(first)))
            (doc_els, elses), (doc_izhku, izhkus) = encode(els), encode(izhku)
            ids = (elses, doc_els, izhkus, doc_izhku)
        return cls(
            charges,
            uips,
            line_doc,
            accounts,
            doc_account,
            periods,
            doc_period,
            l_svc,
            services,
            l_inn,
            inns,
            order,
            start,
            count,
            total,
            weight,
            tie,
            *ids,
        )

    def text(self, column: str, lines: np.ndarray) -> pd.Series:
        """``uip``, ``supplier_inn`` or ``service`` of the given line indices, as a categorical Series.

        Codes into the small dictionaries: millions of split lines name a few thousand ПД keys,
        suppliers and services, and the text is never copied per line.
        """
        codes, dictionary = {
            "uip": (self.line_doc, self.uips),
            "supplier_inn": (self.line_inn, self.inns),
            "service": (self.line_service, self.services),
        }[column]
        return categories(codes[lines], dictionary)

    def tie_codes(self, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Supplier INN and service codes of the lines at positions ``pos`` of ``order``."""
        t = self.tie[pos]
        service = t & 0xFFFFFFFF
        service -= 1
        t >>= 32
        t -= 1
        return t, service

    def documents(self) -> pd.DataFrame:
        """One row per ПД: ``uip``, ``account``, ``period``, ``address`` (missing when the charges
        were read without it), ``total``, ``lines``."""
        first = first_rows(self.line_doc, self.n_docs)

        def text_of(dictionary: pa.Array, codes: np.ndarray) -> pd.Series:
            return pd.Series(dictionary.take(pa.array(codes, mask=codes < 0)), dtype="str")

        return pd.DataFrame(
            {
                "uip": pd.Series(self.uips, dtype="str"),
                "account": text_of(self.accounts, self.doc_account),
                "period": text_of(self.periods, self.doc_period),
                "address": text_of(to_arrow(self.charges["address"]), first)
                if "address" in self.charges.columns
                else pd.Series([None] * self.n_docs, dtype="str"),
                "total": self.total,
                "lines": self.count,
            }
        )
