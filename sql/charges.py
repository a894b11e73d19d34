"""Storing the billing export: suppliers, ПД and their service lines.

The newest export of a ПД replaces the stored one until a payment has been posted against it
(matched to it, or resolved to it by an accountant); after that a correction is refused with a
reason, because the money already split must keep matching the lines it was split by.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, Engine, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite

from domain.nearmiss import normalize_address
from domain.records import LineError, Supplier
from parsers.charges import ChargesFile
from sql.bulk import bulk_insert
from sql.models import ChargesImport
from sql.models import Supplier as SupplierRow


@dataclass(frozen=True)
class ChargesReport:
    """The outcome of one charges import."""

    import_id: int
    documents_new: int
    documents_replaced: int
    lines: int
    errors: tuple[LineError, ...]


def previous_import(conn: Connection, sha256: str) -> tuple[int, datetime, int] | None:
    """The latest import of a file with these bytes (its id, time and rejected lines), or ``None``."""
    row = conn.execute(
        select(ChargesImport.id, ChargesImport.imported_at, ChargesImport.rejected)
        .where(ChargesImport.sha256 == sha256)
        .order_by(ChargesImport.id.desc())
        .limit(1)
    ).first()
    return (int(row.id), row.imported_at, int(row.rejected)) if row else None


def upsert_suppliers(conn: Connection, suppliers: Sequence[Supplier]) -> int:
    """Insert suppliers or update their details; returns how many rows were written."""
    if not suppliers:
        return 0
    rows = [
        {
            "inn": s.inn,
            "name": s.name,
            "kpp": s.kpp,
            "bank_account": s.bank_account,
            "bic": s.bic,
            "email": s.email,
            "contract_no": s.contract_no,
            "fee_percent": s.fee_percent,
            "fee_min": s.fee_min,
            "fee_max": s.fee_max,
            "fee_services": s.fee_services,
        }
        for s in suppliers
    ]
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(SupplierRow)
    stmt = stmt.on_conflict_do_update(
        index_elements=["inn"],
        set_={c: stmt.excluded[c] for c in rows[0] if c != "inn"},
    )
    conn.execute(stmt, rows)
    return len(rows)


def import_charges(conn: Connection, charges: ChargesFile) -> ChargesReport:
    """Store a parsed billing export inside the caller's transaction."""
    lines = charges.lines
    errors = list(charges.errors)
    known_suppliers = set(conn.execute(select(SupplierRow.inn)).scalars())
    unknown = ~lines["supplier_inn"].isin(known_suppliers)
    bad_docs = set(lines.loc[unknown, "uip"])
    locked = _locked_documents(conn, set(lines["uip"].unique()))
    for row in lines[lines["uip"].isin(bad_docs | locked)].itertuples():
        if row.uip in locked:
            reason = "ПД already has payments posted against it; the correction is not applied"
        elif row.supplier_inn not in known_suppliers:
            reason = f"supplier {row.supplier_inn} is not in the suppliers directory"
        else:
            reason = "another line of this ПД was rejected"
        errors.append(LineError(charges.file, int(row.line_no), reason, ""))
    lines = lines[~lines["uip"].isin(bad_docs | locked)]

    docs = _documents(lines)
    existing = _existing(conn, docs["uip"])
    import_id = int(
        conn.execute(
            insert(ChargesImport)
            .values(file=charges.file, sha256=charges.sha256, rows=charges.rows, documents=len(docs),
                    rejected=len(errors))
            .returning(ChargesImport.id)
        ).scalar_one()
    )  # fmt: skip
    if existing:
        _delete_documents(conn, existing)
    docs["import_id"] = import_id
    bulk_insert(conn, "payment_document", docs, ["uip", "account", "account_raw", "period", "total", "payer",
                                                   "address", "address_key", "import_id"])  # fmt: skip
    service = lines.copy()
    service["line_no"] = service.groupby("uip", sort=False).cumcount() + 1
    bulk_insert(conn, "service_line", service, ["uip", "line_no", "supplier_inn", "service", "amount"])
    errors.sort(key=lambda e: e.line_no)
    return ChargesReport(import_id, len(docs) - len(existing), len(existing), len(service), tuple(errors))


def refresh_statistics(engine: Engine) -> None:
    """After a charges import is committed: the planner's statistics, and on PostgreSQL the
    visibility map and hint bits, of the tables it filled.

    Without this the night after an import reads a million fresh service lines with statistics
    from before it and sets their hint bits itself, or meets autovacuum working on them (it runs
    when it gets to it). PostgreSQL's VACUUM cannot run in a transaction; it takes ~1.2 s for
    345,000 ПД and 1.2 M lines. SQLite only gets ANALYZE (its VACUUM rewrites the whole file).
    """
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE) payment_document, service_line"))
        return
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def _documents(lines: pd.DataFrame) -> pd.DataFrame:
    """One row per ПД with its total and its address in normal form, in file order."""
    grouped = lines.groupby("uip", sort=False)
    docs = grouped[["account", "account_raw", "period", "payer", "address"]].first()
    docs["total"] = grouped["amount"].sum()
    docs["address_key"] = normalize_address(docs["address"]).to_numpy(dtype=object)
    return docs.reset_index()


def _locked_documents(conn: Connection, uips: set[str]) -> set[str]:
    """ПД of this file that already have money posted against them."""
    if not uips:
        return set()
    paid = conn.execute(
        text(
            "SELECT DISTINCT matched_uip FROM payment WHERE matched_uip IS NOT NULL"
            " UNION SELECT target_uip FROM resolution"
        )
    ).scalars()
    return uips & set(paid)


def _existing(conn: Connection, uips: pd.Series) -> list[str]:
    stored = set(conn.execute(text("SELECT uip FROM payment_document")).scalars())
    return uips[uips.isin(stored)].tolist() if stored else []


def _delete_documents(conn: Connection, uips: list[str]) -> None:
    """Drop stored ПД that this export replaces (their lines go with them)."""
    for start in range(0, len(uips), 5000):
        part = uips[start : start + 5000]
        params = {f"u{i}": u for i, u in enumerate(part)}
        names = ", ".join(f":u{i}" for i in range(len(part)))
        conn.execute(text(f"DELETE FROM service_line WHERE uip IN ({names})"), params)  # noqa: S608
        conn.execute(text(f"DELETE FROM payment_document WHERE uip IN ({names})"), params)  # noqa: S608
