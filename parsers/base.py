"""The one contract every register parser follows.

``identify(path, head)`` answers, cheaply and conservatively, whether this parser can read the
file (``head`` is its first bytes). ``parse(path)`` streams the file and yields ``Chunk``\\ s of
normalised payments (columns of ``domain.records.PAYMENT_COLUMNS``) together with the lines it
rejected; the last chunk carries the register's declared control totals where the format has
them. A file no parser claims, or that cannot be read at all, raises ``BadFile`` with the reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

import pandas as pd

from domain.records import DeclaredTotals, LineError

HEAD_BYTES = 64 * 1024
CHUNK_ROWS = 100_000


class BadFile(Exception):
    """The whole file cannot be read as a register (BAD_FILE): wrong encoding, structure, size."""

    def __init__(self, file: str | Path, reason: str) -> None:
        super().__init__(f"{file}: {reason}")
        self.file = str(file)
        self.reason = reason


@dataclass(frozen=True)
class Chunk:
    """A batch of parsed payments from one file, with the lines rejected in that batch."""

    payments: pd.DataFrame
    errors: tuple[LineError, ...] = ()
    declared: DeclaredTotals | None = None  # set on the final chunk when the format has totals
    meta: dict[str, str] = field(default_factory=dict)  # e.g. register date, agent INN
    # Records of this batch that are declared non-payments, counted by kind (``RecordKind``):
    # payments + non-payments + rejected = the file's records (``parsers.census``), checked by intake.
    non_payments: dict[str, int] = field(default_factory=dict)


@runtime_checkable
class RegisterParser(Protocol):
    """A parser for one register format (or one dialect of a format)."""

    name: str  # e.g. "text:sber_classic", "xlsx:portal", "gis_xml"
    format: str  # "text", "xlsx", "xml"

    def identify(self, path: Path, head: bytes) -> bool:
        """Whether this parser can read the file; cheap and conservative."""
        ...

    def parse(self, path: Path) -> Iterator[Chunk]:
        """Stream the file as chunks of payments; raise ``BadFile`` if it cannot be read."""
        ...


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """The first ``size`` bytes of a file, for ``identify``."""
    with path.open("rb") as handle:
        return handle.read(size)


def pick_parser(path: Path, parsers: list[RegisterParser]) -> RegisterParser:
    """The one parser that claims ``path``; none or several is a ``BadFile``."""
    head = read_head(path)
    claims = [p for p in parsers if p.identify(path, head)]
    if not claims:
        raise BadFile(path, "not a register of any configured format")
    if len(claims) > 1:
        names = ", ".join(p.name for p in claims)
        raise BadFile(path, f"claimed by several parsers ({names}); the configuration is ambiguous")
    return claims[0]


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's content, read in blocks (the register's identity)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
