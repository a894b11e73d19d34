"""Files land whole or not at all; any remote name becomes a safe inbox name; backoff grows."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.transport import next_attempt_at
from rkc.transport.landing import land, part_path, safe_name, stale_parts, writing


@given(st.text(max_size=300))
def test_any_remote_name_is_a_plain_visible_file_name(name: str) -> None:
    safe = safe_name(name)
    assert safe and "/" not in safe and "\\" not in safe and not safe.startswith(".")
    assert not any(ord(c) < 32 for c in safe) and len(safe) <= 200


@given(st.integers(min_value=1, max_value=60), st.integers(min_value=0, max_value=1440))
def test_backoff_never_shrinks_and_stays_within_a_day(attempts: int, minutes: int) -> None:
    now = datetime(2026, 12, 1, 7, 0)
    first, second = next_attempt_at(now, attempts, minutes), next_attempt_at(now, attempts + 1, minutes)
    assert now <= first <= second <= now + timedelta(days=1)


def test_a_landed_file_never_replaces_another(tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_bytes(b"first")
    for content in (b"second", b"third"):
        part = part_path(tmp_path, "r.txt")
        part.write_bytes(content)
        land(part, tmp_path, "r.txt")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {"r.txt": b"first", "r~1.txt": b"second",
                                                                   "r~2.txt": b"third"}  # fmt: skip


def test_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(ConnectionResetError), writing(part_path(tmp_path, "../r.txt")) as part:
        part.write_bytes(b"half")
        raise ConnectionResetError
    assert list(tmp_path.iterdir()) == []
    part_path(tmp_path, "x").write_bytes(b"killed run")
    assert [p.name for p in stale_parts(tmp_path)] == [".x.rkc-part"]


def test_the_doctests_of_the_transport_vocabulary() -> None:
    import doctest

    import domain.transport
    import rkc.transport.imap

    for module in (domain.transport, rkc.transport.imap):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0
