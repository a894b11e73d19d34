"""Storage of the outbound ГИС ЖКХ exchange (``gis_export_item``) and the ledger reads it needs.

Candidates are read set-based: the night's payments, the supplier legs of their payment entries
and the reversals of acknowledged payments, each without the items already stored (anti-joins).
Entry kinds and item statuses are those of ``ledger_entry.kind`` and ``domain.gis_exchange``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import pandas as pd
from sqlalchemy import Connection, String, TextClause, bindparam, text

from domain.gis_exchange import ItemKind, ItemStatus
from sql.bulk import bulk_insert
from sql.queries import read_frame

ITEM_COLUMNS = ["transport_guid", "kind", "payment_id", "entry_id", "sort_key", "export_date", "file", "status",
                "payload"]  # fmt: skip
_NOT_REVERSED = (
    " NOT EXISTS (SELECT 1 FROM ledger_entry pe JOIN ledger_entry r ON r.reverses_id = pe.id AND r.kind = 'reversal'"
    " WHERE pe.payment_id = p.id AND pe.kind = 'payment')"
)
_NIGHT_PAYMENTS = text(
    "SELECT p.id AS payment_id, p.channel, p.operation_id, p.occurrence, p.paid_date, p.amount, p.els,"  # noqa: S608 — constants only
    " p.matched_uip, d.period FROM payment p JOIN register r ON r.id = p.register_id"
    " LEFT JOIN payment_document d ON d.uip = p.matched_uip"
    " WHERE r.run_date = :d AND r.status = 'posted' AND p.channel NOT IN :g AND" + _NOT_REVERSED +
    " AND NOT EXISTS (SELECT 1 FROM gis_export_item i WHERE i.payment_id = p.id AND i.kind = :k) ORDER BY p.id"
).bindparams(bindparam("g", expanding=True, type_=String()))
_ACK_LEGS = text(
    "SELECT p.id AS payment_id, p.channel, p.operation_id, p.occurrence, e.id AS entry_id, l.leg, l.service,"  # noqa: S608
    " -l.amount AS amount, p.matched_uip, n.gis_guid AS notification_guid,"
    " CASE WHEN p.channel IN :g THEN 1 ELSE 0 END AS gis_channel"
    " FROM payment p JOIN ledger_entry e ON e.payment_id = p.id AND e.kind = 'payment'"
    " JOIN ledger_posting l ON l.entry_id = e.id AND l.account LIKE 'supplier:%' AND l.amount < 0"
    " LEFT JOIN gis_export_item n ON n.payment_id = p.id AND n.kind = :nk AND n.status = :accepted"
    " WHERE LENGTH(p.matched_uip) = 18 AND (n.id IS NOT NULL OR p.register_id IN"
    " (SELECT id FROM register WHERE run_date = :d AND status = 'posted')) AND" + _NOT_REVERSED +
    " AND NOT EXISTS (SELECT 1 FROM gis_export_item a WHERE a.payment_id = p.id AND a.kind = :ak)"
    " ORDER BY p.id, l.leg"
).bindparams(bindparam("g", expanding=True, type_=String()))


def _dates(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """ISO text of a date column, whatever the driver handed back (SQLite: text, PostgreSQL: dates)."""
    frame[column] = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d") if len(frame) else []
    return frame


def _read(conn: Connection, query: TextClause, params: dict, strings: tuple[str, ...]) -> pd.DataFrame:
    """A query with bound parameters as a frame; ``strings`` stay text (object, None for NULL)."""
    frame = pd.read_sql_query(query, conn, params=params)
    for column in strings:
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def night_payments(conn: Connection, run_date: date, gis_channels: Sequence[str]) -> pd.DataFrame:
    """The payments of the night's posted registers from channels other than ``gis_channels`` that
    have no notification item yet and were not reversed, with their ПД's period."""
    frame = _read(
        conn,
        _NIGHT_PAYMENTS,
        {"d": run_date, "k": ItemKind.NOTIFICATION.value, "g": list(gis_channels)},
        ("channel", "operation_id", "els", "matched_uip", "period"),
    )
    return _dates(frame, "paid_date")


def ack_legs(conn: Connection, run_date: date, gis_channels: Sequence[str]) -> pd.DataFrame:
    """Supplier legs of the payment entries to acknowledge: of the night's payments, and of any
    payment whose notification ГИС ЖКХ has accepted since; not reversed, not acknowledged yet, and
    only where the ПД's УИП has an ИПД's length (``legs_without_ipd`` counts the others)."""
    return _read(
        conn,
        _ACK_LEGS,
        {"d": run_date, "nk": ItemKind.NOTIFICATION.value, "ak": ItemKind.ACK.value,
         "accepted": ItemStatus.ACCEPTED.value, "g": list(gis_channels)},
        ("channel", "operation_id", "service", "matched_uip", "notification_guid"),
    )  # fmt: skip


def legs_without_ipd(conn: Connection, run_date: date) -> int:
    """Supplier legs of the night's matched payments whose ПД's УИП cannot be an ИПД (not 18
    characters long): ``ack_legs`` leaves them out, the export counts them as waiting."""
    return int(
        conn.execute(
            text(
                "SELECT COUNT(*) FROM payment p JOIN register r ON r.id = p.register_id"
                " JOIN ledger_entry e ON e.payment_id = p.id AND e.kind = 'payment'"
                " JOIN ledger_posting l ON l.entry_id = e.id AND l.account LIKE 'supplier:%' AND l.amount < 0"
                " WHERE r.run_date = :d AND r.status = 'posted' AND LENGTH(p.matched_uip) <> 18"
            ),
            {"d": run_date},
        ).scalar()
        or 0
    )


def reversed_acks(conn: Connection) -> pd.DataFrame:
    """Payments whose acknowledged payment entry has been reversed and whose квитирование has not
    been cancelled yet: one row each, with the payload of its first ack item."""
    return read_frame(
        conn,
        "SELECT p.id AS payment_id, p.channel, p.operation_id, p.occurrence, r.id AS reversal_id, p.matched_uip,"
        " a.payload FROM gis_export_item a JOIN payment p ON p.id = a.payment_id"
        " JOIN ledger_entry r ON r.reverses_id = a.entry_id AND r.kind = 'reversal'"
        " WHERE a.kind = :ak AND a.status IN (:exported, :accepted)"
        " AND a.id = (SELECT MIN(b.id) FROM gis_export_item b WHERE b.payment_id = a.payment_id AND b.kind = :ak)"
        " AND NOT EXISTS (SELECT 1 FROM gis_export_item c WHERE c.payment_id = p.id AND c.kind = :ck)"
        " ORDER BY p.id",
        {"ak": ItemKind.ACK.value, "ck": ItemKind.ACK_CANCEL.value,
         "exported": ItemStatus.EXPORTED.value, "accepted": ItemStatus.ACCEPTED.value},
        strings=("channel", "operation_id", "matched_uip", "payload"),
    )  # fmt: skip


def files_of(conn: Connection, export_date: date, kind: ItemKind) -> int:
    """How many files of ``kind`` the export of ``export_date`` has written so far."""
    return int(
        conn.execute(
            text("SELECT COUNT(DISTINCT file) FROM gis_export_item WHERE export_date = :d AND kind = :k"),
            {"d": export_date, "k": kind.value},
        ).scalar()
        or 0
    )


def add_items(conn: Connection, items: pd.DataFrame) -> int:
    """Store new items (``ITEM_COLUMNS``), pending until their file is written."""
    return bulk_insert(conn, "gis_export_item", items, ITEM_COLUMNS) if len(items) else 0


def items_of(conn: Connection, export_date: date) -> pd.DataFrame:
    """Every item exported on ``export_date``, by file and in its order there."""
    return read_frame(
        conn,
        "SELECT kind, file, transport_guid, payload, status FROM gis_export_item WHERE export_date = :d"
        " ORDER BY file, sort_key",
        {"d": export_date},
        strings=("kind", "file", "transport_guid", "payload", "status"),
    )


def mark_exported(conn: Connection, export_date: date) -> int:
    """The items of ``export_date`` whose files are written: pending → exported."""
    return conn.execute(
        text("UPDATE gis_export_item SET status = :e WHERE export_date = :d AND status = :p"),
        {"e": ItemStatus.EXPORTED.value, "p": ItemStatus.PENDING.value, "d": export_date},
    ).rowcount


def known_guids(conn: Connection, guids: Sequence[str]) -> set[str]:
    """Which of ``guids`` are TransportGUIDs of stored items."""
    if not guids:
        return set()
    query = text("SELECT transport_guid FROM gis_export_item WHERE transport_guid IN :g").bindparams(
        bindparam("g", expanding=True)
    )
    found: set[str] = set()
    for start in range(0, len(guids), 1000):  # SQLite's bound-parameter limit
        found.update(r[0] for r in conn.execute(query, {"g": list(guids[start : start + 1000])}))
    return found


def record_answers(conn: Connection, answers: pd.DataFrame, answer_file: str, at: datetime) -> None:
    """Set status, ГИС ЖКХ's GUID and error of the answered items. ``answers``: transport_guid,
    status (accepted | rejected), gis_guid, error."""
    if answers.empty:
        return
    answers = answers.astype(object).where(answers.notna(), None)  # NULL, never NaN
    rows = [
        {"g": g, "s": s, "gg": gg, "e": e, "f": answer_file, "at": at}
        for g, s, gg, e in zip(answers["transport_guid"], answers["status"], answers["gis_guid"], answers["error"],
                               strict=True)
    ]  # fmt: skip
    conn.execute(
        text(
            "UPDATE gis_export_item SET status = :s, gis_guid = COALESCE(:gg, gis_guid), error = :e,"
            " answer_file = :f, answered_at = :at WHERE transport_guid = :g"
        ),
        rows,
    )


def rejected_items(conn: Connection) -> pd.DataFrame:
    """Items ГИС ЖКХ rejected, for the run report: what, which payment, which file, the error."""
    frame = read_frame(
        conn,
        "SELECT i.export_date, i.kind, i.payment_id, p.channel, p.operation_id, p.matched_uip AS uip, p.amount,"
        " i.file, i.transport_guid, i.error FROM gis_export_item i LEFT JOIN payment p ON p.id = i.payment_id"
        " WHERE i.status = :r ORDER BY i.export_date, i.file, i.sort_key",
        {"r": ItemStatus.REJECTED.value},
        strings=("kind", "channel", "operation_id", "uip", "file", "transport_guid", "error"),
    )
    if len(frame):
        frame["export_date"] = pd.to_datetime(frame["export_date"]).dt.date
    return frame


def status_counts(conn: Connection) -> dict[str, dict[str, int]]:
    """Items per kind and status: the state of the exchange at a glance."""
    rows = conn.execute(text("SELECT kind, status, COUNT(*) FROM gis_export_item GROUP BY kind, status")).all()
    out: dict[str, dict[str, int]] = {}
    for kind, status, count in rows:
        out.setdefault(kind, {})[status] = int(count)
    return out
