"""Encoding detection and line reading shared by the CSV-like readers."""

from __future__ import annotations

from pathlib import Path

HEAD = 256 * 1024


def detect_encoding(head: bytes, candidates: tuple[str, ...] = ("utf-8-sig", "cp1251")) -> str:
    """The first candidate that decodes ``head`` strictly (a cut last character is forgiven).

    ``cp1251`` decodes any byte string except 0x98, so it belongs last, as the fallback.
    """
    for encoding in candidates:
        try:
            head.decode(encoding)
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 3 and encoding.startswith("utf"):
                return encoding  # the head cut a multi-byte character in two
            continue
        return encoding
    raise UnicodeError(f"none of {', '.join(candidates)} decodes the file")


def read_text(path: Path, candidates: tuple[str, ...] = ("utf-8-sig", "cp1251")) -> str:
    """The whole file decoded with the detected encoding, newlines normalised."""
    data = path.read_bytes()
    encoding = detect_encoding(data[:HEAD], candidates)
    return data.decode(encoding).replace("\r\n", "\n").replace("\r", "\n")
