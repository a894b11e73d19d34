"""Filing processed files away: into the archive or quarantine, never overwriting, with a reason."""

from __future__ import annotations

import glob
import shutil
from pathlib import Path

from parsers.base import file_sha256


def file_away(source: Path, folder: Path, reason: str | None) -> Path:
    """Move ``source`` into ``folder`` without overwriting; write ``<name>.reason.txt`` beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    target, counter = folder / source.name, 1
    while target.exists() or _reason_of(target).exists():  # nor beside another file's stale reason
        target = folder / f"{source.stem}.{counter}{source.suffix}"
        counter += 1
    if reason:  # first: a file moved without its reason would leave no trace of why
        _reason_of(target).write_text(reason + "\n", encoding="utf-8")
    try:
        shutil.move(str(source), target)
    except BaseException:
        _reason_of(target).unlink(missing_ok=True)  # no reason left beside no file
        raise
    return target


def _reason_of(target: Path) -> Path:
    return target.with_name(target.name + ".reason.txt")


def file_or_find(source: Path, folder: Path, reason: str | None, sha256: str) -> Path | None:
    """``file_away`` when ``source`` is still there; else where an attempt that failed after its
    move put it (``find_filed``), or None."""
    if source.exists():
        return file_away(source, folder, reason)
    return find_filed(source.name, folder, sha256)


def find_filed(name: str, folder: Path, sha256: str) -> Path | None:
    """Where ``file_away`` put a file of this name and content in ``folder`` (it may have added a
    counter to the name), if it did."""
    stem, suffix = Path(name).stem, Path(name).suffix
    if not folder.is_dir():
        return None
    candidates = [folder / name, *sorted(folder.glob(f"{glob.escape(stem)}.*{glob.escape(suffix)}"))]
    return next((c for c in candidates if c.is_file() and file_sha256(c) == sha256), None)
