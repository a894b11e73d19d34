"""Helpers for tests of text dialect files."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers.dialect import DialectError, load_dialect

IDENTIFY = "identify: {first_line: '^\\d'}\n"


def assert_refused(tmp_path: Path, patch: str, key: str, field_count: int) -> None:
    """A dialect of three fields (date, account, amount) with ``patch`` replacing or adding its top
    key is refused by the loader, naming the file and ``key``."""
    base = {"field_count": f"field_count: {field_count}", "fields": "fields: {date: 1, account: 2, amount: 3}"}
    top = patch.split(":")[0]
    body = "\n".join(v for k, v in base.items() if k != top)
    path = tmp_path / "bank.yaml"
    path.write_text(f"format: text\n{body}\n{patch}\n{IDENTIFY}", encoding="utf-8")
    with pytest.raises(DialectError) as info:
        load_dialect(path)
    assert info.value.key == key and str(path) in str(info.value)
