"""Files arriving in a folder: written under a dot-name (which the nightly run lists as «in
transit» and never reads), flushed to disk, then given their name in one step that never replaces
another file. A download that fails leaves nothing behind."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PART_SUFFIX = ".rkc-part"


class IncompleteDownload(OSError):
    """Fewer (or more) bytes arrived than the source announced: the connection was cut."""


def safe_name(name: str, fallback: str = "file") -> str:
    """A file name fit for the inbox: no folders, no control characters, no leading dot (a dot-name
    would be taken for an upload in progress forever)."""
    base = re.split(r"[/\\]", name)[-1]
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip().lstrip(".").strip()
    return base[:200] or fallback


def part_path(folder: Path, name: str) -> Path:
    """The temporary name a file is written under in ``folder`` until it is complete."""
    return folder / f".{safe_name(name)}{PART_SUFFIX}"


def stale_parts(folder: Path) -> list[Path]:
    """Temporary files a killed collection left in ``folder``."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(PART_SUFFIX))


def sha256_of(path: Path) -> str:
    """The file's sha256, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def writing(path: Path) -> Iterator[Path]:
    """Yield ``path`` to be written; if the block fails, the partial file is removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield path
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def land(part: Path, folder: Path, name: str) -> Path:
    """Give a complete temporary file its name in ``folder``: fsync it, then link it under the
    first free name (``name``, ``stem~1.ext``, …; a link never replaces a file), then drop the
    temporary name. Returns the final path."""
    with part.open("rb") as f:
        os.fsync(f.fileno())
    stem, dot, ext = safe_name(name).rpartition(".")
    if not stem:
        stem, dot, ext = ext, "", ""
    counter = 0
    while True:
        target = folder / (safe_name(name) if counter == 0 else f"{stem}~{counter}{dot}{ext}")
        try:
            os.link(part, target)
            break
        except FileExistsError:
            counter += 1
    part.unlink()
    _fsync_dir(folder)
    return target


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (a power cut after it must not lose the new name)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
