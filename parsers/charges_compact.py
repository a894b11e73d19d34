"""A billing export kept compact while it is read batch by batch, and the rules that need all of it.

A batch's lines that pass the rules a line meets on its own are kept as one header row per ПД of
the batch (the ПД's first such line: uip, account, period, ЕЛС, payer, address) and, per line,
only its number, its header's row, supplier, service (dictionary codes), kopecks, whether it
agrees with its header on account, period and ЕЛС, and its payer and address only when they
differ from its header's. The file's 3.5 M lines of a million ПД then take ~150 MB instead of the
gigabytes of a frame that repeats each ПД's payer and address on every line.

When the file has been read: a ПД whose lines disagree on account, period or ЕЛС is rejected
whole, then every other ПД with a rejected line (a ПД is loaded whole or not at all), then a line
identical in every field to an earlier good one (its first copy stays). The raw text of lines
rejected only by those rules is read again from the file (``parsers.charges_stream``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from domain.records import CHARGE_COLUMNS, LineError
from parsers.charges_lines import RAW_KEPT

TORN = "lines of this ПД disagree on account, period or els"
HELD = "another line of this ПД was rejected"
WIDTH = "expected 8 fields"  # CHARGE_FIELDS
_NO_ELS = "\x00"  # stands for a null ЕЛС in comparisons: a compact ЕЛС never holds it
_RUNS = 8  # runs of kept rows a batch of headers is sliced into, at most; more: filtered
_HEADS = ["uip", "account", "compact", "period", "els", "payer", "address"]


@dataclass(frozen=True)
class Part:
    """One batch, compact: the header rows of its ПД, the good-so-far lines, the lines it rejected."""

    heads: pa.Table  # ``_HEADS``, one row per ПД of the batch, in order of first appearance
    line_no: np.ndarray  # int64, per kept line
    head: np.ndarray  # int64: the line's row of ``heads``
    supplier_inn: pa.Array  # dictionary-encoded
    service: pa.Array  # dictionary-encoded
    amount: np.ndarray  # int64 kopecks
    agrees: np.ndarray  # bool: account, period and ЕЛС as its header's
    own_text: pd.DataFrame  # ``payer``, ``address`` of the lines (by position) whose differ from their header's
    rejected: list[tuple[int, str, str]]  # line number, reason, raw text of the lines rejected on their own
    rejected_uips: set[str]  # the ПД of those (and of lines of the wrong width, when seen)
    rows: int  # non-blank data lines of the batch
    els_given: bool  # whether a line of the batch gives an ЕЛС


@dataclass(frozen=True)
class ChargesFile:
    """A parsed billing export: the good ПД (``documents``: ``uip``, ``account``, ``account_raw``,
    ``period``, ``payer``, ``address``, ``els``; their first line's) and their service lines
    (``items``: ``doc``, the row of ``documents``; ``line_no``, ``supplier_inn``, ``service``,
    ``amount`` in kopecks), the rejected lines (``errors``) and how many data lines the file had.
    ``lines`` gives the good lines as one frame (``CHARGE_COLUMNS`` + ``line_no``)."""

    file: str
    sha256: str
    documents: pd.DataFrame
    items: pd.DataFrame
    errors: tuple[LineError, ...]
    rows: int
    own_text: pd.DataFrame = field(default_factory=pd.DataFrame)  # payer/address of items that differ from their ПД's
    els_given: bool = False  # some line gave an ЕЛС: ``lines`` holds ``els`` as text (NaN for none), as ever

    @cached_property
    def lines(self) -> pd.DataFrame:
        """The good service lines, one row each, in file order: ``CHARGE_COLUMNS`` + ``line_no``."""
        docs = self.documents.iloc[self.items["doc"].to_numpy()].reset_index(drop=True)
        frame = pd.DataFrame({c: docs[c] for c in ["uip", "account_raw", "account", "period"]})
        for column in ("supplier_inn", "service"):
            values = self.items[column]
            frame[column] = pd.array(values.cat.categories.to_numpy(dtype=object)[values.cat.codes.to_numpy()], "str")
        frame["amount"] = self.items["amount"].to_numpy(dtype=np.int64)
        for column in ("payer", "address"):
            frame[column] = docs[column]
            if len(self.own_text):
                frame.loc[self.own_text.index, column] = self.own_text[column].to_numpy()
        frame["els"] = docs["els"].astype("str" if self.els_given else object)
        if not self.rows:  # as the whole-file parser gave it: the normal forms of no account
            frame["account"] = frame["account"].astype(object)
        frame["line_no"] = self.items["line_no"].to_numpy(dtype=np.int64)
        return frame[[*CHARGE_COLUMNS, "line_no"]]


def compact_part(table: pd.DataFrame, wrong: pd.DataFrame, reasons: np.ndarray, els_given: bool) -> Part:
    """A judged batch (``parsers.charges._judge``: ``table`` with its per-line ``reasons``, ``wrong``
    the lines that could not be split) in compact form."""
    ok = reasons == ""
    bad = ~ok
    rejected = [(int(i) + 1, reason or WIDTH, str(raw)[:RAW_KEPT])
                for i, raw, reason in zip(wrong.index, wrong["raw"], wrong["reason"], strict=True)]  # fmt: skip
    rejected += [(int(n), str(r), str(raw)[:RAW_KEPT])
                 for n, r, raw in zip(table["line_no"][bad], reasons[bad], table["raw"][bad], strict=True)]  # fmt: skip
    rejected_uips = set(table.loc[bad, "uip"]) | set(wrong.loc[wrong["uip"] != "", "uip"])
    good = np.flatnonzero(ok)

    def text(column: str) -> pa.Array:
        values = pa.array(table[column], pa.large_string(), from_pandas=True)
        values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
        return values.take(pa.array(good)) if len(good) < len(table) else values

    uips = pc.dictionary_encode(text("uip"))
    head = uips.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    first = _firsts(head, len(uips.dictionary))
    columns = {c: text(c) for c in _HEADS}
    columns["els"] = pc.fill_null(columns["els"], _NO_ELS)
    heads = pa.table({c: v.take(pa.array(first)) for c, v in columns.items()})
    at = pa.array(head)

    def same(*names: str) -> np.ndarray:
        result = np.ones(len(head), dtype=bool)
        for name in names:
            result &= pc.equal(columns[name], heads[name].take(at)).to_numpy(zero_copy_only=False)
        return result

    differ = np.flatnonzero(~same("payer", "address"))
    own = pd.DataFrame({c: columns[c].take(pa.array(differ)).to_pylist() for c in ("payer", "address")}, index=differ)
    return Part(heads, table["line_no"].to_numpy(dtype=np.int64)[good], head,
                pc.dictionary_encode(text("supplier_inn")), pc.dictionary_encode(text("service")),
                table["amount"].to_numpy(dtype=np.int64)[good], same("account", "period", "els"), own,
                rejected, rejected_uips, len(table) + len(wrong), els_given)  # fmt: skip


def assemble(
    name: str, sha256: str, parts: list[Part], lines_at: Callable[[np.ndarray], dict[int, str]]
) -> ChargesFile:
    """The whole file's verdicts over its compact batches (module doc), as a ``ChargesFile``.
    ``lines_at`` gives the text of lines by position (line number - 1). ``parts`` is emptied."""
    batches, parts = [p for p in parts if p.rows] or parts[:1], parts
    parts.clear()  # consumed: a batch's arrays are freed once concatenated below, not held with their copies
    heads = pa.concat_tables([p.heads for p in batches]) if batches else pa.table({c: pa.array([], pa.large_string())
                                                                                    for c in _HEADS})  # fmt: skip
    starts = np.cumsum([0, *[p.heads.num_rows for p in batches]])[:-1]
    head = _concat([p.head + s for p, s in zip(batches, starts, strict=True)], np.int64)
    line_no = _concat([p.line_no for p in batches], np.int64)
    agrees = _concat([p.agrees for p in batches], bool)
    rejected_uips = set().union(*(p.rejected_uips for p in batches)) if batches else set()
    inn, service = (_unified([getattr(p, c) for p in batches]) for c in ("supplier_inn", "service"))
    amount = _concat([p.amount for p in batches], np.int64)
    own = pd.concat([p.own_text.set_axis(p.own_text.index + s) for p, s in
                     zip(batches, np.cumsum([0, *[len(p.line_no) for p in batches]])[:-1], strict=True)])  # fmt: skip
    own = own if len(own) else pd.DataFrame({"payer": [], "address": []}, dtype=object)
    errors = [LineError(name, n, r, raw) for p in batches for n, r, raw in p.rejected]
    rows, els_given = sum(p.rows for p in batches), any(p.els_given for p in batches)
    del batches
    encoded = pc.dictionary_encode(heads["uip"].combine_chunks())
    doc_of_head = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    count = len(encoded.dictionary)
    first = _firsts(doc_of_head, count)  # the ПД's first header row: its first line's, the ПД's header
    ref = pa.array(first[doc_of_head])
    heads_agree = np.ones(len(doc_of_head), dtype=bool)
    for column in ("account", "period", "els"):
        heads_agree &= pc.equal(heads[column], heads[column].take(ref)).to_numpy(zero_copy_only=False)
    doc = doc_of_head[head]
    torn = np.zeros(count, dtype=bool)
    torn[doc_of_head[~heads_agree]] = True
    torn[doc[~agrees]] = True
    named = pc.is_in(encoded.dictionary, value_set=pa.array(sorted(rejected_uips), pa.large_string()))
    held = named.to_numpy(zero_copy_only=False) & ~torn
    reasons = np.full(len(doc), "", dtype=object)
    reasons[torn[doc]] = TORN
    reasons[held[doc]] = HELD

    def payer_address(positions: np.ndarray) -> pd.DataFrame:
        """The payer and address of lines by position: their own, else their header row's."""
        rows = pa.array(head[positions])
        frame = pd.DataFrame({c: heads[c].take(rows).to_pylist() for c in ("payer", "address")}, index=positions)
        mine = own.index.intersection(positions)
        frame.loc[mine, ["payer", "address"]] = own.loc[mine, ["payer", "address"]].to_numpy()
        return frame

    _reject_duplicates(reasons, doc, inn, service, amount, line_no, payer_address)
    late = np.flatnonzero(reasons != "")
    texts = lines_at(line_no[late] - 1) if len(late) else {}
    errors += [LineError(name, int(line_no[i]), str(reasons[i]), texts[int(line_no[i]) - 1][:RAW_KEPT]) for i in late]
    errors.sort(key=lambda e: e.line_no)
    return _charges_file(name, sha256, heads, first, torn | held, reasons == "", doc, head, line_no, inn, service,
                         amount, payer_address, own, errors, rows, els_given)  # fmt: skip


def _charges_file(name: str, sha256: str, heads: pa.Table, first: np.ndarray, dropped: np.ndarray,
                  good: np.ndarray, doc: np.ndarray, head: np.ndarray, line_no: np.ndarray,
                  inn: pa.DictionaryArray, service: pa.DictionaryArray, amount: np.ndarray,
                  payer_address: Callable[[np.ndarray], pd.DataFrame], own: pd.DataFrame,
                  errors: list[LineError], rows: int, els_given: bool) -> ChargesFile:  # fmt: skip
    """The good ПД and lines (``ChargesFile``): ПД in order of first appearance, lines in file order."""
    kept = np.flatnonzero(~dropped)
    documents = _rows(heads, first[kept]).rename_columns(
        ["uip", "account_raw", "account", "period", "els", "payer", "address"])  # fmt: skip
    no_els = pc.equal(documents["els"], _NO_ELS)
    els = documents["els"]
    documents = documents.drop_columns(["els"]).to_pandas()  # zero-copy: pandas ``str`` keeps the Arrow chunks
    if pc.all(no_els).as_py() is not False:  # most exports: no ЕЛС, and 1M Python strings "\x00" are not made
        documents["els"] = np.full(len(documents), None, dtype=object)
    else:
        documents["els"] = pd.Series(els.to_numpy(), dtype=object).where(~no_els.to_numpy(), None)
    documents = documents[["uip", "account_raw", "account", "period", "els", "payer", "address"]]
    number = np.full(len(dropped), -1, dtype=np.int64)
    number[kept] = np.arange(len(kept))
    at = np.flatnonzero(good)
    every = len(at) == len(good)  # nearly always: then no 28 MB copy per column (3.5M lines)

    def pick(values: np.ndarray) -> np.ndarray:
        return values if every else values[at]

    doc = pick(doc)
    items = pd.DataFrame({
        "doc": doc if len(kept) == len(dropped) else number[doc],  # no ПД dropped: their numbers are as ever
        "line_no": pick(line_no),
        "supplier_inn": pd.Categorical.from_codes(pick(inn.indices.to_numpy(zero_copy_only=False)),
                                                  categories=inn.dictionary.to_pylist()),
        "service": pd.Categorical.from_codes(pick(service.indices.to_numpy(zero_copy_only=False)),
                                             categories=service.dictionary.to_pylist()),
        "amount": pick(amount),
    }, copy=False)  # fmt: skip
    # lines whose payer or address may differ from their ПД's header: their own text, or another batch's header
    maybe = np.flatnonzero((pick(head) != first[doc]) | np.isin(at, own.index))
    texts = payer_address(at[maybe])
    header = documents.iloc[items["doc"].to_numpy()[maybe]]
    differs = (texts["payer"].to_numpy() != header["payer"].to_numpy()) | (
        texts["address"].to_numpy() != header["address"].to_numpy())  # fmt: skip
    own_text = texts[differs].set_axis(maybe[differs])
    return ChargesFile(name, sha256, documents, items, tuple(errors), rows, own_text, els_given)


def _reject_duplicates(reasons: np.ndarray, doc: np.ndarray, inn: pa.DictionaryArray, service: pa.DictionaryArray,
                       amount: np.ndarray, line_no: np.ndarray,
                       payer_address: Callable[[np.ndarray], pd.DataFrame]) -> None:  # fmt: skip
    """Mark every good line identical in all fields to an earlier good line as its duplicate.

    Amounts compare in kopecks (``100,00`` repeats ``100.00``). The first copy stays good, so its ПД
    loads with the line once: an export that repeats a line must not double a receipt. Lines of one
    good ПД share account, period and ЕЛС; payer and address are compared only for lines that
    agree on all the rest (few).
    """
    good = np.flatnonzero(reasons == "")
    codes = [inn.indices.to_numpy(zero_copy_only=False), service.indices.to_numpy(zero_copy_only=False)]
    pair = codes[0].astype(np.int64)[good] * (len(service.dictionary) + 1) + codes[1][good]
    order = np.lexsort((amount[good], pair, doc[good]))  # equal keys side by side: no hash table of 3.5M rows
    ranked = [doc[good][order], pair[order], amount[good][order]]
    same = np.ones(max(len(good) - 1, 0), dtype=bool)
    for key in ranked:
        same &= key[1:] == key[:-1]
    twin = np.zeros(len(good), dtype=bool)
    twin[order[1:][same]] = True
    twin[order[:-1][same]] = True
    if not twin.any():
        return
    at = good[twin]
    keys = pd.DataFrame({"doc": doc[at], "inn": codes[0][at], "service": codes[1][at], "amount": amount[at]}, index=at)
    group = pd.concat([keys, payer_address(at)], axis=1)
    group["line_no"] = line_no[at]
    fields = ["doc", "inn", "service", "amount", "payer", "address"]
    twins = group[group.duplicated(subset=fields, keep=False)]
    first = twins.groupby(fields, sort=False, dropna=False)["line_no"].transform("min")
    later = twins["line_no"] != first
    for position, number in zip(later[later].index, first[later], strict=True):
        reasons[position] = f"duplicate of line {number}; an identical line is not summed"


def _rows(table: pa.Table, rows: np.ndarray) -> pa.Table:
    """``table.take(rows)`` for increasing ``rows``, without copying runs of consecutive rows: the ПД
    headers are ~200 MB, and a batch's rows to drop are mostly one, its first (a ПД begun in the
    batch before). A batch with many runs (many dropped ПД) is filtered, so chunks stay few."""
    if len(rows) and not (np.diff(rows) > 0).all():
        return table.take(pa.array(rows))
    if len(rows) == table.num_rows:  # increasing and as many as the rows: all of them, in order
        return table
    keep = np.zeros(table.num_rows, dtype=bool)
    keep[rows] = True
    pieces, start = [], 0
    for batch in table.to_batches():
        mask = keep[start:start + batch.num_rows]
        edges = np.flatnonzero(np.diff(np.concatenate([[False], mask, [False]]).astype(np.int8)))
        if len(edges) <= 2 * _RUNS:
            pieces += [batch.slice(a, b - a) for a, b in zip(edges[::2], edges[1::2], strict=True)]
        else:
            pieces.append(batch.filter(pa.array(mask)))
        start += batch.num_rows
    return pa.Table.from_batches(pieces, schema=table.schema)


def _firsts(codes: np.ndarray, count: int) -> np.ndarray:
    """Per code, the position of its first occurrence."""
    first = np.full(count, -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    return first


def _concat(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.zeros(0, dtype=dtype)


def _unified(chunks: list[pa.Array]) -> pa.DictionaryArray:
    """Dictionary arrays of the batches as one, with one dictionary."""
    if not chunks:
        return pa.array([], pa.large_string()).dictionary_encode()
    return pa.chunked_array(chunks).unify_dictionaries().combine_chunks()
