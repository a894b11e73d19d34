"""The fields of a block of plainly written notifications, read from its bytes with numpy and arrow.

libxml2 has parsed the block already (it is well-formed); this module finds the facts the
streaming reader takes from parsed elements, vectorized over the block's tags instead of one
Python step per element. It only takes blocks whose bytes say exactly what the tree would: no
comment, CDATA section or processing instruction (the caller checks), no attribute and no blank
in a tag, no character reference, no carriage return, every prefix declared in the request's
scope. Then every ``<`` starts a tag, the first ``>`` after it ends it, a tag's name is a
qualified name resolved through that scope, and an element's ``.text`` is the text after its
start tag up to the next ``<`` (predefined entities decoded).

The rules are those of the streaming reader: a field is a leaf with the right parent, the last
one in a notification wins, its value is the leaf's text. A block that needs more (a request
child that is not a notification, a notification inside another, a field leaf with elements
inside it) gets None, and the caller reads it with the streaming rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from parsers.gis_fields import LEAVES, NOTIFICATION, NOTIFICATION_139, TEXT_FIELDS

_LT, _GT, _SLASH, _EQUALS, _NL = (ord(c) for c in "<>/=\n")
_BLANKS = np.zeros(256, dtype=bool)
_BLANKS[[ord(c) for c in " \t\r\n"]] = True
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&"))  # &amp; last
# Identities of the names that matter (0: any other element); a field's identity is _FIELD + its
# index in TEXT_FIELDS.
_NOTE, _NOTE_139 = 1, 2
_NOTE_LOCAL = NOTIFICATION.rpartition("}")[2]
_PARENTS = tuple(dict.fromkeys(parent for parent, _ in LEAVES.values()))
_FIELD = 3 + len(_PARENTS)
_IDENTITIES = {NOTIFICATION: _NOTE, NOTIFICATION_139: _NOTE_139}
_IDENTITIES |= {parent: 3 + i for i, parent in enumerate(_PARENTS)}
_IDENTITIES |= {leaf: _FIELD + slot - 2 for leaf, (_, slot) in LEAVES.items()}
_PARENT_OF = np.array([3 + _PARENTS.index(LEAVES[leaf][0]) for leaf in sorted(
    LEAVES, key=lambda leaf: LEAVES[leaf][1])], dtype=np.int64)  # fmt: skip


@dataclass(frozen=True)
class Names:
    """How the names that matter are spelt in one request's scope."""

    identities: dict[str, int]  # qualified name -> identity
    prefixes: frozenset[str]  # the prefixes declared in the scope

    @classmethod
    def of(cls, nsmap: dict[str | None, str]) -> Names:
        """The spellings of the notifications, the fields and their parents under ``nsmap``."""
        identities = {}
        for clark, ident in _IDENTITIES.items():
            uri, local = clark[1:].split("}")
            for prefix, bound in nsmap.items():
                if bound == uri:
                    identities[f"{prefix}:{local}" if prefix else local] = ident
        return cls(identities, frozenset(p for p in nsmap if p))

    def identity(self, name: str) -> int:
        """The identity of a tag name; -1 if the tree builder would refuse it (an undeclared
        prefix, or a colon elsewhere than between a prefix and a local name) or if it is a
        notification of another namespace."""
        prefix, colon, local = name.partition(":")
        if colon and (not prefix or not local or ":" in local or prefix not in self.prefixes):
            return -1
        ident = self.identities.get(name, 0)
        if ident == 0 and (local if colon else prefix) == _NOTE_LOCAL:
            return -1  # a notification of another namespace: the streaming reader refuses it, naming it
        return ident

    def identify(self, data: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray | None:
        """The identity of each name ``data[start:stop]``, None if one is refused."""
        bounds = np.empty(2 * len(start), dtype=np.int32)
        bounds[0::2], bounds[1::2] = start, stop
        spans = pa.StringArray.from_buffers(len(bounds) - 1, pa.py_buffer(bounds), pa.py_buffer(data))
        names = pc.dictionary_encode(spans.take(pa.array(np.arange(0, len(bounds), 2, dtype=np.int32))))
        table = np.array([self.identity(name) for name in names.dictionary.to_pylist()], dtype=np.int64)
        if (table < 0).any():
            return None
        return table[names.indices.to_numpy()]


def read_tokens(
    wrapped: bytes, start: int, stop: int, names: Names, depth: int
) -> tuple[np.ndarray, np.ndarray, dict[str, pa.Array]] | None:
    """Per notification of ``wrapped`` (a block between ``start`` and ``stop`` inside the tags of
    the request and its ancestors, ``depth`` of them): its line (block-relative, from 1), its
    source span and its untrimmed text fields.

    Returns ``(lines, spans, columns)`` with ``spans`` the notifications' ``(begin, end)`` byte
    offsets, or None when the block is not plainly written (see the module docstring).
    """
    entities = wrapped.find(b"&", start, stop) >= 0  # memchr first: a two-byte search is far slower
    if wrapped.find(b"\r", start, stop) >= 0 or (entities and wrapped.find(b"&#", start, stop) >= 0):
        return None
    data = np.frombuffer(wrapped, dtype=np.uint8)
    lt = np.flatnonzero(data == _LT)
    gt = np.flatnonzero(data == _GT)
    # Tags hold no ">", so each tag's end is the first ">" after its "<"; with as many of both,
    # no text holds one and the pairs are in order.
    end = gt if len(gt) == len(lt) else gt[np.searchsorted(gt, lt)]
    if wrapped.find(b"=", start, stop) >= 0:  # an "=" inside a tag: an attribute
        equals = np.flatnonzero(data[start:stop] == _EQUALS) + start
        if (end[np.searchsorted(lt, equals) - 1] > equals).any():
            return None
    close = data[lt + 1] == _SLASH
    empty = data[end - 1] == _SLASH
    inner = slice(depth, len(lt) - depth)  # the wrapping tags are known
    if _BLANKS[data[end[inner] - 1 - empty[inner]]].any():
        return None  # a blank before ">" or "/>": the tag may have held more than its name
    # Names of start tags only: libxml2 has checked that each end tag repeats its start tag's.
    opening = ~close
    opening[:depth] = opening[len(lt) - depth :] = False
    named = np.flatnonzero(opening)
    if not len(named):
        return None
    ident = np.zeros(len(lt), dtype=np.int64)
    found = names.identify(data, lt[named] + 1, end[named] - empty[named])
    if found is None:
        return None
    ident[named] = found
    opening = ~close
    delta = opening.view(np.int8) - empty.view(np.int8) - close.view(np.int8)  # +1 start, -1 end, 0 empty
    before = np.cumsum(delta, dtype=np.int32) - delta  # open elements before each tag
    notes = np.flatnonzero(opening & (before == depth))
    if not len(notes) or (ident[notes] != _NOTE).any():
        return None
    kinds = opening & ((ident == _NOTE) | (ident == _NOTE_139))
    if kinds.sum() != len(notes):
        return None  # a notification (of either kind) inside another one
    columns = _fields(data, lt, end, close, empty, ident, before, opening, notes, entities)
    if columns is None:
        return None
    nl = np.flatnonzero(data == _NL)
    lines = np.searchsorted(nl, lt[notes]) + 1
    last = np.append(notes[1:] - 1, len(lt) - depth - 1)  # a notification's end tag precedes the next one
    last = np.where(empty[notes], notes, last)
    spans = np.stack([lt[notes], end[last] + 1], axis=1)
    return lines.astype(np.int64), spans, columns


def _fields(
    data: np.ndarray, lt: np.ndarray, end: np.ndarray, close: np.ndarray, empty: np.ndarray, ident: np.ndarray,
    before: np.ndarray, opening: np.ndarray, notes: np.ndarray, entities: bool,
) -> dict[str, pa.Array] | None:  # fmt: skip
    """The text fields of each notification, None if a field leaf has elements inside it."""
    count = len(notes)
    leaves = np.flatnonzero(opening & (ident >= _FIELD))
    full = leaves[~empty[leaves]]
    if not close[full + 1].all():
        return None  # the tag after a leaf's start tag is not its end tag: elements inside
    # A tag's parent is the last start tag before it with one open element less (between them
    # every tag has at least as many open); leaves sit at a few depths only.
    depth = before[leaves]
    parent = np.full(len(leaves), -1, dtype=np.int64)
    for level in np.flatnonzero(np.bincount(depth)):
        here = depth == level
        above = np.flatnonzero(opening & ~empty & (before == level - 1))
        at = np.searchsorted(above, leaves[here]) - 1
        parent[here] = np.where(at >= 0, above[np.maximum(at, 0)], -1)
    field = ident[leaves] - _FIELD
    matched = (parent >= 0) & (ident[parent] == _PARENT_OF[field])
    leaves, field = leaves[matched], field[matched]
    # Each leaf's text: after its start tag up to the next tag ("" for an empty element).
    bounds = np.empty(2 * len(leaves), dtype=np.int64)
    bounds[0::2] = end[leaves] + 1
    bounds[1::2] = np.where(empty[leaves], end[leaves] + 1, lt[np.minimum(leaves + 1, len(lt) - 1)])
    note = np.searchsorted(notes, leaves, side="right") - 1
    take = np.full((len(TEXT_FIELDS), count), -1, dtype=np.int64)
    np.maximum.at(take, (field, note), 2 * np.arange(len(leaves)))  # the last one wins
    flat = take.ravel()
    if len(leaves):
        segments = pa.StringArray.from_buffers(
            len(bounds) - 1, pa.py_buffer(bounds.astype(np.int32)), pa.py_buffer(data)
        )
        values = segments.take(pa.array(flat, mask=flat < 0))
    else:
        values = pa.nulls(len(flat), pa.string())
    if entities:
        for entity, char in _ENTITIES:
            values = pc.replace_substring(values, entity, char)
    return {name: values.slice(i * count, count) for i, name in enumerate(TEXT_FIELDS)}
