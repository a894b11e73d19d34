"""Storing signed run manifests and reading what a night's manifest lists as its inputs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

from domain.direct import REGISTER_FORMAT as DIRECT_FORMAT


@dataclass(frozen=True)
class StoredManifest:
    """One row of ``run_manifest``."""

    id: int
    kind: str
    run_date: date | None
    path: str
    body: str
    key_id: str
    signature: str


def store_manifest(
    conn: Connection, *, kind: str, run_date: date | None, path: str, body: str, key_id: str, signature: str
) -> int:
    """Record a manifest as written; returns its id."""
    return int(
        conn.execute(
            text(
                "INSERT INTO run_manifest (kind, run_date, path, body, key_id, signature)"
                " VALUES (:kind, :run_date, :path, :body, :key_id, :signature) RETURNING id"
            ),
            {"kind": kind, "run_date": run_date, "path": path, "body": body, "key_id": key_id, "signature": signature},
        ).scalar_one()
    )


def manifests(conn: Connection, since: date | None = None, until: date | None = None) -> list[StoredManifest]:
    """Every stored manifest in signing order, or those of runs dated in [since, until]."""
    query = "SELECT id, kind, run_date, path, body, key_id, signature FROM run_manifest"
    params: dict = {}
    if since is not None and until is not None:
        query += " WHERE run_date BETWEEN :since AND :until"
        params = {"since": since, "until": until}
    rows = conn.execute(text(query + " ORDER BY id"), params).all()
    return [StoredManifest(int(r.id), r.kind, _day(r.run_date), r.path, r.body, r.key_id, r.signature) for r in rows]


def manifest_count(conn: Connection) -> int:
    """How many manifests are stored."""
    return int(conn.execute(text("SELECT COUNT(*) FROM run_manifest")).scalar_one())


def manifest_ids_page(conn: Connection, offset: int, limit: int) -> list[int]:
    """The ids of one page of manifests, newest first."""
    rows = conn.execute(text("SELECT id FROM run_manifest ORDER BY id DESC LIMIT :n OFFSET :o"),
                        {"n": limit, "o": offset})  # fmt: skip
    return [int(r.id) for r in rows]


def manifests_since(conn: Connection, first_id: int) -> list[StoredManifest]:
    """The manifests from ``first_id`` on, in signing order."""
    rows = conn.execute(text("SELECT id, kind, run_date, path, body, key_id, signature FROM run_manifest"
                             " WHERE id >= :first ORDER BY id"), {"first": first_id}).all()  # fmt: skip
    return [StoredManifest(int(r.id), r.kind, _day(r.run_date), r.path, r.body, r.key_id, r.signature) for r in rows]


def night_inputs(conn: Connection, run_date: date) -> list[dict]:
    """What a night read: its registers (posted, quarantined, refused) with their sha256 and where
    they were filed (not a register of payers' п/п: its source is a statement), and the bank
    statements read that night."""
    registers = conn.execute(
        text(
            "SELECT file, sha256, channel, status, stored_path, format FROM register WHERE run_date = :d"
            " AND status IN ('posted', 'quarantined', 'bad_file') ORDER BY channel, file, id"
        ),
        {"d": run_date},
    ).all()
    statements = conn.execute(
        text("SELECT file, sha256 FROM bank_statement WHERE run_date = :d ORDER BY id"), {"d": run_date}
    ).all()
    return [
        # A register of payers' п/п is no file: its sha256 names its payments, its statement is listed below.
        *({"role": "register", "file": r.file, "sha256": r.sha256, "channel": r.channel, "status": r.status,
           "stored": None if r.format == DIRECT_FORMAT else r.stored_path} for r in registers),
        *({"role": "bank_statement", "file": s.file, "sha256": s.sha256} for s in statements),
    ]  # fmt: skip


def _day(value: object) -> date | None:
    """A date column's value (SQLite hands text back)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
