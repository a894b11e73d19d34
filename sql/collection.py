"""Files collected from the channels' sources (``collected_file``): what is known, what arrived."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select

from domain.transport import CollectedStatus
from sql.models import CollectedFile


def known_keys(conn: Connection, channel: str) -> set[str]:
    """The source's names (``remote_key``) of every file collected for ``channel``."""
    return set(conn.execute(select(CollectedFile.remote_key).where(CollectedFile.channel == channel)).scalars())


def collected_as(conn: Connection, sha256: str) -> str | None:
    """The channel and name under which these bytes were collected before (``channel/name``), if ever."""
    row = conn.execute(
        select(CollectedFile.channel, CollectedFile.local_name)
        .where(CollectedFile.sha256 == sha256, CollectedFile.status == CollectedStatus.LANDED.value)
        .limit(1)
    ).first()
    return f"{row.channel}/{row.local_name}" if row else None


def record_collected(
    conn: Connection,
    *,
    channel: str,
    source: str,
    remote_key: str,
    remote_name: str,
    sha256: str,
    size: int,
    local_name: str | None,
    status: CollectedStatus,
) -> None:
    """Remember one collected file (the unique (channel, remote_key) refuses a second row)."""
    conn.execute(insert(CollectedFile).values(
        channel=channel, source=source, remote_key=remote_key, remote_name=remote_name, sha256=sha256, size=size,
        local_name=local_name, status=status.value,
    ))  # fmt: skip
