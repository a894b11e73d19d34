"""Reads for corrected ПД: money still split by an older version, and the lines of a version.

A payment's money sits on its *current split entry*: the latest of its entries of kind
``payment`` or ``reclass`` (a payment's own entry, an accountant's reclassification, or the repost
that replaced one of them), unless that entry has been reversed. The entry records the ПД version
it split by (``document_version``; NULL on entries written before versions existed, which split
by version 1: a ПД with money posted against it could not be corrected then). The ПД is the
payment's ``matched_uip``, or the ``target_uip`` of its resolution.

A payment split across several ПД in the workbench (one ``reclass`` entry per part) is left out:
its parts stay split by the versions they used; an accountant who wants a correction to apply
undoes the split and makes it again (docs/WORKBENCH.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, text

from domain.records import CHARGE_COLUMNS
from sql.bulk import staged
from sql.queries import read_frame

_HELD = (
    "SELECT m.payment_id, m.uip, d.version AS current_version, e.id AS entry_id, e.kind,"
    " COALESCE(e.document_version, 1) AS entry_version, p.amount"
    " FROM probe_uip k JOIN payment_document d ON d.uip = k.uip"
    " JOIN (SELECT id AS payment_id, matched_uip AS uip FROM payment WHERE matched_uip IS NOT NULL"
    "       UNION ALL SELECT payment_id, target_uip FROM resolution o WHERE NOT EXISTS"
    "        (SELECT 1 FROM resolution t WHERE t.payment_id = o.payment_id AND t.id <> o.id)) m ON m.uip = k.uip"
    " JOIN payment p ON p.id = m.payment_id"
    " JOIN ledger_entry e ON e.id = (SELECT MAX(x.id) FROM ledger_entry x WHERE x.payment_id = m.payment_id"
    "                                AND x.kind IN ('payment', 'reclass'))"  # the split kinds
    " WHERE COALESCE(e.document_version, 1) < d.version"
    " AND NOT EXISTS (SELECT 1 FROM ledger_entry r WHERE r.source_key = 'reversal:' || CAST(e.id AS VARCHAR(20)))"
)
HELD_COLUMNS = ["payment_id", "uip", "current_version", "entry_id", "kind", "entry_version", "amount"]


@dataclass(frozen=True)
class HeldCorrections:
    """Corrected ПД whose money is still split by an older version: how many ПД, payments, kopecks."""

    documents: int = 0
    payments: int = 0
    amount: int = 0


def held_payments(conn: Connection, uips: Sequence[str] | None = None) -> pd.DataFrame:
    """The payments whose current split entry used an older version of its ПД than the current one
    (``HELD_COLUMNS``, by ``payment_id``), among the ПД ``uips`` (all corrected ПД when ``None``)."""
    if uips is None:
        uips = conn.execute(text("SELECT uip FROM payment_document WHERE version > 1")).scalars().all()
    keys = pd.DataFrame({"uip": sorted(set(uips))})
    if keys.empty:
        return pd.DataFrame({c: pd.Series(dtype=object if c in ("uip", "kind") else "int64") for c in HELD_COLUMNS})
    with staged(conn, "probe_uip", keys, {"uip": "TEXT"}):
        found = pd.read_sql_query(text(_HELD + " ORDER BY m.payment_id"), conn)
    numbers = {c: "int64" for c in HELD_COLUMNS if c not in ("uip", "kind")}
    return found.astype({"uip": object, "kind": object, **numbers})


def held_corrections(conn: Connection, uips: Sequence[str] | None = None) -> HeldCorrections:
    """``held_payments`` counted: ПД, payments and their amount."""
    held = held_payments(conn, uips)
    return HeldCorrections(int(held["uip"].nunique()), len(held), int(held["amount"].sum()))


def entry_legs(conn: Connection, entry_ids: Sequence[int]) -> pd.DataFrame:
    """The legs of ``entry_ids``: ``entry_id``, ``leg``, ``account``, ``amount``, ``service``."""
    keys = pd.DataFrame({"entry_id": sorted({int(i) for i in entry_ids})})
    with staged(conn, "probe_entry", keys, {"entry_id": "BIGINT"}):
        legs = pd.read_sql_query(
            text(
                "SELECT p.entry_id, p.leg, p.account, p.amount, p.service FROM probe_entry k"
                " JOIN ledger_posting p ON p.entry_id = k.entry_id ORDER BY p.entry_id, p.leg"
            ),
            conn,
        )
    legs["service"] = legs["service"].astype(object).where(legs["service"].notna(), None)
    return legs.astype({"entry_id": "int64", "leg": "int64", "amount": "int64", "account": object})


def version_lines(conn: Connection, versions: pd.DataFrame) -> pd.DataFrame:
    """The service lines of the given ПД versions (``uip``, ``version``) as a charges frame
    (``CHARGE_COLUMNS`` with the version's header) plus ``version``, in line order."""
    header = {"account_raw", "account", "period", "payer", "address", "els"}
    columns = ", ".join(("v." if c in header else "l.") + c for c in CHARGE_COLUMNS)
    keys = versions[["uip", "version"]].drop_duplicates()
    with staged(conn, "probe_version", keys, {"uip": "TEXT", "version": "INTEGER"}):
        lines = read_frame(
            conn,
            f"SELECT {columns}, l.version FROM probe_version k"  # noqa: S608 - names from CHARGE_COLUMNS
            " JOIN payment_document_version v ON v.uip = k.uip AND v.version = k.version"
            " JOIN service_line l ON l.uip = k.uip AND l.version = k.version ORDER BY l.uip, l.version, l.line_no",
            strings=tuple(c for c in CHARGE_COLUMNS if c != "amount"),
        )
    return lines.astype({"amount": "int64", "version": "int64"})


def current_lines(conn: Connection, uip: str) -> pd.DataFrame:
    """The service lines of the current version of ПД ``uip`` (``CHARGE_COLUMNS`` plus ``version``), in
    line order; read in one statement, so the version and its lines agree whatever an import commits."""
    header = {"account_raw", "account", "period", "payer", "address", "els"}
    columns = ", ".join(("d." if c in header else "l.") + c for c in CHARGE_COLUMNS)
    lines = pd.read_sql_query(
        text(
            f"SELECT {columns}, d.version FROM payment_document d"  # noqa: S608 - names from CHARGE_COLUMNS
            " JOIN service_line l ON l.uip = d.uip AND l.version = d.version WHERE d.uip = :u ORDER BY l.line_no"
        ),
        conn,
        params={"u": uip},
    )
    return lines.astype({"amount": "int64", "version": "int64"})
