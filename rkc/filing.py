"""Filing processed files away: into the archive or quarantine, never overwriting, with a reason."""

from __future__ import annotations

import shutil
from pathlib import Path


def file_away(source: Path, folder: Path, reason: str | None) -> Path:
    """Move ``source`` into ``folder`` without overwriting; write ``<name>.reason.txt`` beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    counter = 1
    while target.exists():
        target = folder / f"{source.stem}.{counter}{source.suffix}"
        counter += 1
    shutil.move(str(source), target)
    if reason:
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    return target
