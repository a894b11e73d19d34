"""Refuse zip containers (XLSX) that would blow up memory, before any reader decompresses them.

An XLSX file is a zip archive. A hostile or broken one can declare gigabytes of XML in a few
kilobytes (a "zip bomb"), hold thousands of entries, or be truncated. ``check_zip`` reads only the
central directory (``zipfile`` does not decompress anything to list it) and rejects, as
``BadFile``, an archive whose declared uncompressed size or compression ratio is absurd.

Limit: the sizes checked are the ones the central directory declares. A file that lies about
them is caught by the reader itself (calamine stops at the declared size or fails the CRC); the
point here is to bound memory for every archive that tells the truth, and to fail fast.
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from parsers.base import BadFile

ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True, slots=True)
class ZipLimits:
    """What a register workbook may declare. A 200,000-row register is ~60 MB of sheet XML."""

    max_total: int = 1 << 30  # 1 GiB uncompressed over all entries
    max_entries: int = 10_000
    max_ratio: float = 200.0  # real sheets compress 5-30x; bombs 1000x and more
    ratio_floor: int = 1 << 20  # entries smaller than this may have any ratio (tiny XML parts)


def check_zip(path: Path, limits: ZipLimits = ZipLimits()) -> list[str]:
    """Check ``path``'s central directory against ``limits``; return its entry names.

    Raises ``BadFile`` when the file is not a readable zip archive or declares too much.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise BadFile(path, f"not a readable zip/XLSX container: {exc}") from exc
    if len(infos) > limits.max_entries:
        raise BadFile(path, f"zip container has {len(infos)} entries (limit {limits.max_entries})")
    total = 0
    for info in infos:
        total += info.file_size
        if total > limits.max_total:
            raise BadFile(path, f"zip container declares over {limits.max_total} bytes uncompressed")
        if info.file_size > limits.ratio_floor:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                raise BadFile(
                    path,
                    f"zip entry {info.filename!r} expands {ratio:.0f} times "
                    f"(limit {limits.max_ratio:.0f}): refused as a zip bomb",
                )
    return [info.filename for info in infos]


def read_member(path: Path, name: str, limit: int = 1 << 20) -> bytes | None:
    """The content of one small archive member (at most ``limit`` bytes), or None if absent/unreadable."""
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo(name)
            if info.file_size > limit:
                return None
            with archive.open(info) as member:
                return member.read(limit + 1)[:limit]
    except (KeyError, zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError, NotImplementedError, zlib.error):
        return None
