"""The ledger's tamper evidence: a hash over every entry's content, chained, and a chain of batches.

Every entry's hash is ``sha256(previous hash || content)``, where the previous hash is that of the
entry before it *in the same batch* (a register's posting, a п/п, a correction), the first entry
starting from the batch's seed. A batch, when committed, is linked to the batch committed before it
(``batch_hash``), so batches form one chain while several writers can hash their own entries at
once, without waiting for each other (docs/LEDGER.md, "Tamper evidence").

The content is canonical bytes built column-wise with Arrow, the same from the frames being posted
and from the rows read back: fields joined by US (0x1F), legs by RS (0x1E), the entry's, its
payment's and its legs' sections by GS (0x1D). Text has ``%`` and those separators percent-escaped,
and NUL spelled ``\\x00`` as PostgreSQL stores it, so no two contents share bytes; NULL is a bare NUL.
"""

from __future__ import annotations

import binascii
import hashlib
import itertools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

VERSION = "v1"  # of the content rules: a change of rules is a new version, never a silent change
ENTRY_FIELDS = (
    "id", "kind", "source_key", "value_date", "payment_id", "reverses_id", "document_version", "batch",
    "description",
)  # fmt: skip
# What of a payment its entries cover: its key, register, date, money and match.
PAYMENT_FIELDS = (
    "channel", "operation_id", "occurrence", "register_id", "paid_date", "amount", "commission", "matched_uip",
)  # fmt: skip
LEG_FIELDS = ("leg", "account", "amount", "service")
NULL = "\x00"
_SPECIAL = "[%\x00\x1d\x1e\x1f]"
_ESCAPES = (("%", "%25"), ("\x1d", "%1D"), ("\x1e", "%1E"), ("\x1f", "%1F"), ("\x00", "\\x00"))


@dataclass(frozen=True)
class BatchLink:
    """One committed batch as the chain of batches records it."""

    seq: int
    batch: str
    prev: str  # the hash of the batch committed before (``GENESIS`` for the first)
    entries: int
    legs: int
    first_entry: int
    last_entry: int
    head: str  # the hash of the batch's last entry

    @property
    def hash(self) -> str:
        """The batch's own hash, which the next batch names as ``prev``."""
        return batch_hash(self)


GENESIS = hashlib.sha256(f"rkc-ledger-genesis-{VERSION}".encode()).hexdigest()


def batch_seed(batch: str) -> str:
    """The hash the first entry of ``batch`` is chained to."""
    return hashlib.sha256(f"rkc-batch-seed-{VERSION}\x1f{batch}".encode()).hexdigest()


def batch_hash(link: BatchLink) -> str:
    """The hash of one link of the chain of batches.

    >>> link = BatchLink(1, "b", GENESIS, 1, 2, 7, 7, "ab" * 32)
    >>> len(batch_hash(link)), batch_hash(link) == batch_hash(link)
    (64, True)
    """
    fields = (VERSION, link.seq, link.batch, link.prev, link.entries, link.legs, link.first_entry,
              link.last_entry, link.head)  # fmt: skip
    return hashlib.sha256("\x1f".join(str(f) for f in fields).encode()).hexdigest()


def text_field(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Any column as canonical text: integers in decimal, dates ISO, text escaped, NULL a bare NUL.

    >>> text_field(pa.array(["a%b", None, "x\\x1fy"])).to_pylist()
    ['a%25b', '\\x00', 'x%1Fy']
    >>> text_field(pa.array([5, None], pa.int64())).to_pylist()
    ['5', '\\x00']
    >>> text_field(pa.array(["a%", None, "a%"]).dictionary_encode()).to_pylist()
    ['a%25', '\\x00', 'a%25']
    """
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_dictionary(array.type):
        # a few account or service names under millions of legs: escaped once each, then spelled out
        words = text_field(array.dictionary)
        return pc.fill_null(pa.DictionaryArray.from_arrays(array.indices, words).cast(pa.large_string()), NULL)
    if pa.types.is_timestamp(array.type):
        array = array.cast(pa.date32())
    if pa.types.is_null(array.type):
        array = array.cast(pa.string())
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        array = pc.cast(array, pa.string())
    else:
        array = _escaped(array)
    return pc.fill_null(array.cast(pa.large_string()), NULL)


def _escaped(array: pa.Array) -> pa.Array:
    """Text with ``%``, the separators and NUL escaped. Whether any is there at all is asked of the
    bytes (none of them occurs inside a multi-byte UTF-8 character); a control character such as a
    tab only costs the exact pass."""
    data = array.buffers()[2] if len(array) else None
    if data is None:
        return array
    raw = np.frombuffer(data, dtype=np.uint8)
    if not bool(np.any((raw < 0x20) | (raw == 0x25))):
        return array
    if not pc.any(pc.match_substring_regex(array, _SPECIAL)).as_py():
        return array
    for old, new in _ESCAPES:
        array = pc.replace_substring(array, old, new)
    return array


def _joined(columns: list[pa.Array], tag: str) -> pa.Array:
    """Per row: ``tag`` and the columns' canonical text, joined by the field separator."""
    parts = [text_field(c) for c in columns]
    return pc.binary_join_element_wise(pa.scalar(tag, pa.large_string()), *parts, _sep("\x1f"))


def _sep(char: str) -> pa.Scalar:
    """A separator as the large text the joins take."""
    return pa.scalar(char, pa.large_string())


def _date_text(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A date as ``YYYY-MM-DD`` whether it comes as a date, a timestamp or text with a time."""
    return pc.utf8_slice_codeunits(text_field(array), 0, 10)


def entry_part(entries: pa.Table) -> pa.Array:
    """The entry's own fields (``ENTRY_FIELDS``) as canonical text, one per row."""
    columns = [_date_text(entries[f]) if f == "value_date" else entries[f] for f in ENTRY_FIELDS]
    return _joined(columns, "E")


def payment_part(payments: pa.Table) -> pa.Array:
    """The fields of the payment an entry names (``PAYMENT_FIELDS``) as canonical text; a row
    flagged ``missing`` (the entry names a payment that is not stored) says so instead."""
    columns = [_date_text(payments[f]) if f == "paid_date" else payments[f] for f in PAYMENT_FIELDS]
    paid = _joined(columns, "P")
    if "missing" in payments.column_names:
        paid = pc.if_else(payments["missing"], pa.scalar("P\x1fmissing", pa.large_string()), paid)
    return paid


def legs_part(legs: pa.Table, offsets: np.ndarray) -> pa.Array:
    """Each entry's legs (``LEG_FIELDS``) as canonical text; entry ``i`` has rows
    ``offsets[i]:offsets[i + 1]`` of ``legs``."""
    per_entry = pa.LargeListArray.from_arrays(
        pa.array(offsets, pa.int64()), _joined([legs[f] for f in LEG_FIELDS], "L")
    )
    return pc.binary_join(per_entry, _sep("\x1e"))


def entry_contents(entries: pa.Table, paid: pa.Array | None, legs: pa.Array) -> pa.Array:
    """The canonical content of each entry: ``entry_part``, the ``payment_part`` of the payment it
    names (empty when it names none; ``paid`` row for row with ``entries``, None when no entry
    names one) and its ``legs_part``."""
    empty = pa.scalar("", pa.large_string())
    if paid is None:
        paid = pa.array([""] * len(entries), pa.large_string())
    else:
        paid = pc.if_else(pc.is_valid(entries["payment_id"]), paid, empty)
    return pc.binary_join_element_wise(entry_part(entries), paid, legs, _sep("\x1d"))


def chain_hashes(
    batches: list[str], contents: pa.Array, heads: dict[str, str] | None = None, order: np.ndarray | None = None
) -> list[str]:
    """The hash of every entry: its content chained to the entry before it in its batch.

    ``batches[i]`` is the i-th entry's batch, entries in id order: ``contents`` in that order, or
    ``contents[order[i]]`` is the i-th (the contents of a million entries weigh hundreds of MB: they
    are not copied into order). ``heads`` carries each batch's last hash from one call to the next
    (a slice at a time) and is updated in place; a batch not in it starts from its seed.

    >>> contents = pa.array(["a", "b"], pa.large_string())
    >>> one = chain_hashes(["x", "x"], contents)
    >>> one[1] == chain_hashes(["x"], pa.array(["b"], pa.large_string()), {"x": one[0]})[0]
    True
    >>> chain_hashes(["x", "x"], pa.array(["b", "a"], pa.large_string()), order=np.array([1, 0])) == one
    True
    """
    state = {} if heads is None else heads
    data = contents.cast(pa.large_binary()).to_pylist()
    if order is not None:
        data = [data[i] for i in order.tolist()]
    out: list[str] = []
    for batch, start, end in _runs(batches):  # one run in the common case (a register)
        digests = chain_run(state.get(batch, batch_seed(batch)).encode(), data[start:end])
        out.extend(d.decode() for d in digests)
        state[batch] = out[-1]
    return out


def chain_run(prev: bytes, contents: list[bytes]) -> list[bytes]:
    """The hex digests, as ASCII bytes, of ``contents`` chained one after the other from ``prev``
    (a hash as ASCII bytes): the inner loop of ``chain_hashes``, kept to one hash call and one
    hexlify an entry (a register posts a million; ``hexdigest`` and ``encode`` cost a third more).

    >>> chain_run(b"s", [b"a"]) == [hashlib.sha256(b"sa").hexdigest().encode()]
    True
    """
    sha, hexlify = hashlib.sha256, binascii.hexlify
    out: list[bytes] = []
    append = out.append
    for content in contents:
        prev = hexlify(sha(prev + content).digest())
        append(prev)
    return out


def _runs(batches: list[str]) -> list[tuple[str, int, int]]:
    """Runs of consecutive equal names in ``batches``: (name, start, end) positions."""
    runs: list[tuple[str, int, int]] = []
    start = 0
    for batch, group in itertools.groupby(batches):
        end = start + sum(1 for _ in group)
        runs.append((batch, start, end))
        start = end
    return runs


def leg_offsets(entry_ids: np.ndarray, leg_entry_ids: np.ndarray) -> np.ndarray:
    """Where each entry's legs start in legs sorted by entry (entries sorted the same way), plus the
    end. Legs of entries not in ``entry_ids`` must have been left out before.

    >>> leg_offsets(np.array([3, 5, 6]), np.array([3, 3, 5, 5, 5])).tolist()
    [0, 2, 5, 5]
    """
    starts = np.searchsorted(leg_entry_ids, entry_ids, side="left")
    return np.append(starts, len(leg_entry_ids)).astype(np.int64)


def batch_runs(batches: pa.Array | pa.ChunkedArray) -> list[tuple[str, int, int]]:
    """Runs of consecutive entries of one batch: (batch, start, end) positions.

    >>> batch_runs(pa.array(["a", "a", "b", "a"]))
    [('a', 0, 2), ('b', 2, 3), ('a', 3, 4)]
    """
    encoded = pc.dictionary_encode(batches)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    names = encoded.dictionary.to_pylist()
    starts = [*np.flatnonzero(np.diff(codes, prepend=-1) != 0).tolist(), len(codes)]
    return [(names[codes[a]], a, b) for a, b in itertools.pairwise(starts)]


def mismatched_hashes(
    batches: pa.Array, contents: pa.Array, stored: pa.Array, heads: dict[str, str]
) -> list[int]:
    """Positions of the entries whose stored hash is not their content's chained to the hash
    *stored* for the entry before it in its batch (``heads`` carries each batch's last stored hash
    across calls, updated in place); entries in id order, ``stored`` NULL where there is none.

    Chaining to the stored hashes, not to recomputed ones, points at the entries that changed:
    an edited entry fails itself, an entry deleted or slipped in fails the entry after it, and a
    batch's last entry is held by the batch's recorded head.

    >>> contents = pa.array(["a", "b"], pa.large_string())
    >>> good = chain_hashes(["x", "x"], contents)
    >>> mismatched_hashes(pa.array(["x", "x"]), contents, pa.array(good), {})
    []
    >>> mismatched_hashes(pa.array(["x", "x"]), pa.array(["a", "c"], pa.large_string()), pa.array(good), {})
    [1]
    """
    sha = hashlib.sha256
    bad: list[int] = []
    data = contents.cast(pa.large_binary()).to_pylist()
    text = stored.to_pylist()
    raw = stored.cast(pa.binary()).to_pylist()
    for batch, start, end in batch_runs(batches):  # a register's entries are one run
        prev = heads.get(batch)
        prev_raw = (prev if prev is not None else batch_seed(batch)).encode()
        for i in range(start, end):
            if sha(prev_raw + data[i]).hexdigest() != text[i]:
                bad.append(i)
            prev_raw = raw[i] or b""
        heads[batch] = text[end - 1] or ""
    return bad
