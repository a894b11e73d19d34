"""The receipt's QR code as a PNG for billing to print (segno, a maintained QR library)."""

from __future__ import annotations

import os
from pathlib import Path

import segno

ERROR_LEVEL = "m"  # 15 % of the symbol may be smudged on a printed receipt and it still reads


def write_png(payload: str, path: Path, scale: int = 4) -> Path:
    """Draw ``payload`` (UTF-8 bytes, as its ``ST00012`` header says) into ``path``; atomic."""
    code = segno.make(payload, error=ERROR_LEVEL, encoding="utf-8", micro=False, boost_error=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    code.save(str(temporary), kind="png", scale=scale, border=4)
    os.replace(temporary, path)
    return path
