"""The content of a ПД as one canonical text, and its hash: a ПД gets a new version only when this changes.

The canonical text of a ПД is its header (account in normal form, account as printed, period,
payer, address, and the ЕЛС/ИЖКУ only when the ПД has one, so that the hashes of ПД without it
stay those computed before the ``els`` column existed) followed by its service lines (supplier
INN, service, amount in kopecks), the lines sorted (by their UTF-8 bytes) so that an export
listing them in another order is not a correction. Fields are joined by U+001F, and the header
and the lines by U+001E: characters that do not occur in a billing export's text.
The hash is SHA-256 of that text in UTF-8, as hex: an auditor can recompute it from the stored
version's header and lines.

Built column-wise with Arrow (one string per line, then one per ПД); the only Python loop is the
one hash per ПД.
"""

from __future__ import annotations

import binascii
import hashlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

HEADER_FIELDS = ("account", "account_raw", "period", "payer", "address")
LINE_FIELDS = ("supplier_inn", "service", "amount")
FIELD_SEP = pa.scalar("\x1f", pa.large_string())
LINE_SEP = pa.scalar("\x1e", pa.large_string())
HASH_CHUNK = 1 << 16  # ПД whose canonical text is built and hashed at a time


def _text(values: pd.Series) -> pa.Array:
    if isinstance(values.dtype, pd.CategoricalDtype):  # codes: spelled out here, in Arrow
        names = pa.array(values.cat.categories.to_numpy(dtype=object), pa.large_string())
        return names.take(pa.array(values.cat.codes.to_numpy()))
    if pd.api.types.is_integer_dtype(values.dtype):  # kopecks as decimal text, as ``str(int)`` spells them
        return pa.array(values.to_numpy(dtype=np.int64)).cast(pa.large_string())
    array = pa.array(values, from_pandas=True)  # a ChunkedArray when pandas holds Arrow chunks
    return pc.cast(array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array, pa.large_string())


def content_hashes(lines: pd.DataFrame) -> pd.Series:
    """SHA-256 (hex) of each ПД's canonical content, indexed by ``uip`` in order of first appearance.

    ``lines`` holds one row per service line with ``uip``, ``HEADER_FIELDS`` (the ПД's header,
    the same on each of its lines; optionally ``els``) and ``LINE_FIELDS`` (``amount`` in integer kopecks).
    """
    if lines.empty:
        return pd.Series([], index=pd.Index([], name="uip", dtype=object), dtype=object, name="content_hash")
    encoded = pc.dictionary_encode(_text(lines["uip"]))
    doc = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    first = np.full(len(encoded.dictionary), -1, dtype=np.int64)
    first[doc[::-1]] = np.arange(len(doc) - 1, -1, -1)  # each ПД's first line: its header
    headers = lines.iloc[first]
    digests = document_hashes(headers, doc, lines).to_pylist()
    index = pd.Index(encoded.dictionary.to_pylist(), name="uip", dtype=object)
    return pd.Series(digests, index=index, dtype=object, name="content_hash")


def document_hashes(
    headers: pd.DataFrame, doc: np.ndarray, lines: pd.DataFrame, chunk: int = HASH_CHUNK
) -> pa.LargeStringArray:
    """SHA-256 (hex) of each ПД's canonical content, one per row of ``headers`` (``HEADER_FIELDS``,
    optionally ``els``); ``lines`` holds ``LINE_FIELDS`` per service line, ``doc`` its row of
    ``headers``. The compact form of ``content_hashes``: the header is not repeated per line.

    Built ``chunk`` ПД at a time: the lines are put in ПД order once (a stable sort of integers),
    then each chunk's lines are spelled out, sorted and joined. Building every line's text and a
    sorted copy of it at once held ~550 MB for 1M ПД (docs/PERFORMANCE.md, «Session 15»).
    Returns Arrow text, not a Python string per ПД.
    """
    if chunk < 1:
        raise ValueError(f"chunk must be positive, not {chunk}")
    count = len(headers)
    doc = np.asarray(doc, dtype=np.int64)
    by_doc = np.argsort(doc, kind="stable")
    offsets = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(np.bincount(doc, minlength=count), out=offsets[1:])
    fields = lines[list(LINE_FIELDS)]
    parts: list[bytes] = []
    for start in range(0, count, chunk):
        stop = min(start + chunk, count)
        rows = by_doc[offsets[start] : offsets[stop]]
        parts.append(_chunk_digests(headers.iloc[start:stop], doc[rows] - start, fields.iloc[rows],
                                    offsets[start : stop + 1] - offsets[start]))  # fmt: skip
    hexes = binascii.hexlify(b"".join(parts))
    width = 2 * hashlib.sha256().digest_size
    positions = pa.py_buffer(np.arange(0, count * width + 1, width, dtype=np.int64))
    return pa.LargeStringArray.from_buffers(count, positions, pa.py_buffer(hexes))


def _chunk_digests(headers: pd.DataFrame, doc: np.ndarray, lines: pd.DataFrame, offsets: np.ndarray) -> bytes:
    """The SHA-256 digests (32 bytes each, concatenated) of the ПД of ``headers``; ``lines`` are
    theirs in ПД order, ``doc`` their row of ``headers``, ``offsets`` where each ПД's lines start."""
    line_text = pc.binary_join_element_wise(*[_text(lines[c]) for c in LINE_FIELDS], FIELD_SEP,
                                            null_handling="replace")  # fmt: skip
    order = pc.sort_indices(pa.table({"doc": doc, "line": line_text}), sort_keys=[("doc", "ascending"),
                                                                              ("line", "ascending")])  # fmt: skip
    grouped = pa.LargeListArray.from_arrays(pa.array(offsets), line_text.take(order))
    head = pc.binary_join_element_wise(*[_text(headers[c]) for c in HEADER_FIELDS], FIELD_SEP, null_handling="replace")
    if "els" in headers.columns:  # optional: appended only where present
        els = _text(headers["els"])
        present = pc.fill_null(pc.not_equal(els, ""), False)
        head = pc.if_else(present, pc.binary_join_element_wise(head, els, FIELD_SEP), head)
    canonical = pc.binary_join_element_wise(head, pc.binary_join(grouped, LINE_SEP), LINE_SEP).cast(pa.large_binary())
    return b"".join(hashlib.sha256(text).digest() for text in canonical.to_pylist())  # one hash per ПД
