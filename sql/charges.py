"""Storing the billing export: suppliers, ПД and their versions.

An import adds a version of a ПД only when its content changed (``domain.chargeversions``): a new
ПД gets version 1, a corrected one its next version, an unchanged one nothing. Versions and their
service lines are never edited or deleted (``sql.append_only``); ``payment_document`` points at
each ПД's current version. Money already split by an earlier version stays on that split until
an accountant accepts the correction (``rkc.corrections``).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite

from domain.chargeversions import document_hashes
from domain.nearmiss import normalized_addresses
from domain.records import LineError, Supplier
from sql.bulk import bulk_insert, staged
from sql.corrections import HeldCorrections, held_corrections
from sql.engine import is_postgres
from sql.models import ChargesImport
from sql.models import Supplier as SupplierRow

HELD = "another line of this ПД was rejected"
CHARGES_LOCK = 0x726B65  # serialises charges imports on PostgreSQL (version numbers); readers never wait
DOCUMENT_COLUMNS = ["uip", "version", "content_hash", "account", "account_raw", "period", "total", "payer",
                    "address", "address_key", "els", "import_id"]  # fmt: skip
VERSION_COLUMNS = ["uip", "version", "import_id", "content_hash", "account", "account_raw", "period", "total",
                   "payer", "address", "els"]  # fmt: skip


class ParsedCharges(Protocol):
    """What an import stores: a parsed billing export. ``parsers.charges.ChargesFile`` has this
    shape; storage names the shape instead of importing the parser (layers: sql does not see parsers)."""

    @property
    def file(self) -> str: ...
    @property
    def sha256(self) -> str: ...
    @property
    def documents(self) -> pd.DataFrame: ...  # good ПД: uip, account, account_raw, period, payer, address, els
    @property
    def items(self) -> pd.DataFrame: ...  # their lines: doc (row of documents), line_no, supplier_inn, service, amount
    @property
    def errors(self) -> tuple[LineError, ...]: ...
    @property
    def rows(self) -> int: ...


@dataclass(frozen=True)
class ChargesReport:
    """The outcome of one charges import."""

    import_id: int
    documents_new: int
    documents_corrected: int  # ПД given a new version by this import
    documents_unchanged: int  # ПД of the export identical to their stored current version
    lines: int  # service lines stored (of the new versions only)
    errors: tuple[LineError, ...]
    corrected: tuple[str, ...] = ()  # УИП of the corrected ПД
    documents: tuple[str, ...] = ()  # УИП of every ПД of the export now stored as it says (new, corrected, unchanged)
    held: HeldCorrections = field(default_factory=HeldCorrections)  # of those, the ones with money split


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
    dialect = postgresql if is_postgres(conn) else sqlite
    stmt = dialect.insert(SupplierRow)
    stmt = stmt.on_conflict_do_update(
        index_elements=["inn"],
        set_={c: stmt.excluded[c] for c in rows[0] if c != "inn"},
    )
    conn.execute(stmt, rows)
    return len(rows)


def import_charges(conn: Connection, charges: ParsedCharges) -> ChargesReport:
    """Store a parsed billing export inside the caller's transaction: a version per new or changed ПД."""
    if is_postgres(conn):  # two imports at once would number the same versions
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHARGES_LOCK})
    documents, items = charges.documents, charges.items
    errors = list(charges.errors)
    known_suppliers = set(conn.execute(select(SupplierRow.inn)).scalars())
    inn = items["supplier_inn"].astype("category")
    known = inn.cat.categories.isin(list(known_suppliers))[inn.cat.codes.to_numpy()]
    doc = items["doc"].to_numpy(dtype=np.int64)
    bad = np.zeros(len(documents), dtype=bool)
    bad[doc[~known]] = True
    if bad.any():  # the rejected ПД's lines only
        rejected = np.flatnonzero(bad[doc])
        for n, supplier, ok in zip(items["line_no"].to_numpy()[rejected], inn.to_numpy()[rejected], known[rejected],
                                   strict=True):  # fmt: skip
            reason = HELD if ok else f"supplier {supplier} is not in the suppliers directory"
            errors.append(LineError(charges.file, int(n), reason, ""))
        renumber = np.cumsum(~bad) - 1
        items = items[~bad[doc]].assign(doc=lambda f: renumber[f["doc"].to_numpy()])
        documents = documents[~bad].reset_index(drop=True)

    docs = _documents(documents, items)
    stored = _stored_versions(conn, docs[["uip"]])
    docs = docs.merge(stored, on="uip", how="left")
    new = docs["stored_version"].isna()
    same = ~new & docs["stored_hash"].eq(docs["content_hash"])
    docs["is_new"] = new
    import_id = int(
        conn.execute(
            insert(ChargesImport)
            .values(file=charges.file, sha256=charges.sha256, rows=charges.rows, documents=len(docs),
                    rejected=len(errors))
            .returning(ChargesImport.id)
        ).scalar_one()
    )  # fmt: skip
    written = _rows(docs, ~same).assign(
        version=docs.loc[~same, "stored_version"].fillna(0).astype("int64") + 1, import_id=import_id
    )
    # Every table is sent in uip order (``_key_order``) from one sort of the ПД: a service line's
    # place is its ПД's, then its number (a string sort of 3.5M lines cost more than the rest).
    rank = _key_ranks(docs["uip"])
    at = np.flatnonzero(~same.to_numpy())  # the written ПД's rows of ``docs``
    by_key = np.argsort(rank[at], kind="stable")
    is_new = written["is_new"].to_numpy(dtype=bool)
    # A first import stores every ПД it writes: the same order serves both tables.
    fresh_by_key = by_key if is_new.all() else np.argsort(rank[at[is_new]], kind="stable")
    del at
    bulk_insert(conn, "payment_document_version", written, VERSION_COLUMNS, by_key)
    service, order = _service_lines(docs, items, same.to_numpy(), written, rank)
    del rank
    bulk_insert(conn, "service_line", service, ["uip", "version", "line_no", "supplier_inn", "service", "amount"],
                order)  # fmt: skip
    lines = len(service)
    del service, order, by_key  # its 3.5M uip texts, freed before the ПД are stored
    fresh = _rows(written, is_new)
    bulk_insert(conn, "payment_document", fresh, DOCUMENT_COLUMNS, fresh_by_key)
    corrected = written[~written["is_new"]]
    _point_to(conn, corrected)
    uips = tuple(corrected["uip"])
    held = held_corrections(conn, list(uips)) if uips else HeldCorrections()
    errors.sort(key=lambda e: e.line_no)
    return ChargesReport(import_id, int(new.sum()), len(corrected), int(same.sum()), lines, tuple(errors),
                         uips, tuple(docs["uip"]), held)  # fmt: skip


def _rows(frame: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    """``frame[mask]``, or ``frame`` itself when every row is taken (a first import): the copy of a
    million ПД's texts, hashes and address keys raised the import's peak by hundreds of MB."""
    return frame if bool(np.all(mask)) else frame[mask]


def refresh_statistics(engine: Engine) -> None:
    """After a charges import is committed: the planner's statistics, and on PostgreSQL the
    visibility map and hint bits, of the tables it filled.

    Without this the night after an import reads a million fresh service lines with statistics
    from before it and sets their hint bits itself, or meets autovacuum working on them (it runs
    when it gets to it). PostgreSQL's VACUUM cannot run in a transaction; it takes ~1.2 s for
    345,000 ПД and 1.2 M lines. SQLite only gets ANALYZE (its VACUUM rewrites the whole file).
    """
    if is_postgres(engine):
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE) payment_document, service_line"))
        return
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def _documents(documents: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """One row per ПД with its total, its address in normal form and its content hash, in file order.

    The header is the ПД's first line's (the parser keeps it so): the parser holds back a ПД whose
    lines disagree on account, period or ЕЛС.
    """
    docs = documents[["uip", "account", "account_raw", "period", "payer", "address", "els"]].copy()
    doc = items["doc"].to_numpy(dtype=np.int64)
    docs["total"] = _sums(doc, items, len(docs))
    # The two are independent: the addresses (Arrow's RE2, without the GIL) are normalised on a thread
    # while this one hashes the contents. Kept as Arrow text (pandas ``str``): a million Python
    # strings made only to be converted back were ~100 MB each of the import's peak.
    with ThreadPoolExecutor(1, thread_name_prefix="charges-addresses") as pool:
        keys = pool.submit(normalized_addresses, docs["address"])
        hashes = document_hashes(docs, doc, items)
        docs["address_key"] = keys.result().to_pandas().array
    docs["content_hash"] = hashes.to_pandas().array
    return docs


def _sums(doc: np.ndarray, items: pd.DataFrame, count: int) -> np.ndarray:
    """Each ПД's total in kopecks, exact in int64 (no float on the way)."""
    totals = np.zeros(count, dtype=np.int64)
    np.add.at(totals, doc, items["amount"].to_numpy(dtype=np.int64))
    return totals


def _service_lines(docs: pd.DataFrame, items: pd.DataFrame, same: np.ndarray, written: pd.DataFrame,
                   rank: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:  # fmt: skip
    """The service lines of the versions written, numbered 1.. within their ПД in file order, and
    their order by key: their ПД's ``rank`` (``_key_ranks`` of ``docs``), then their number."""
    doc = items["doc"].to_numpy(dtype=np.int64)
    keep = ~same[doc]
    every = bool(keep.all())  # a first import: every line, no copy of a column to drop none

    def kept(values: pd.Series | np.ndarray) -> pd.Series | np.ndarray:
        return values if every else values[keep]

    doc = kept(doc)
    # The order first: its temporaries come before the frame's columns (the import's peak is here).
    order = np.argsort(rank[doc], kind="stable")
    version = np.zeros(len(docs), dtype=np.int32)
    version[np.flatnonzero(~same)] = written["version"].to_numpy(dtype=np.int32)
    uips = pa.array(docs["uip"], pa.large_string())
    uips = uips.combine_chunks() if isinstance(uips, pa.ChunkedArray) else uips
    service = pd.DataFrame({
        "uip": uips.take(pa.array(doc)).to_pandas(),
        "version": version[doc],
        "line_no": _line_numbers(doc, len(docs)).astype(np.int32),
        "supplier_inn": kept(items["supplier_inn"]).reset_index(drop=True),  # categories: COPY prints their text
        "service": kept(items["service"]).reset_index(drop=True),
        "amount": kept(items["amount"].to_numpy(dtype=np.int64)),
    })  # fmt: skip
    return service, order


def _line_numbers(doc: np.ndarray, count: int) -> np.ndarray:
    """Each line's number within its ПД (1.., in the order given), ``doc`` being its ПД's row of
    ``count``. By integer offsets, not a pandas ``groupby().cumcount()``: that peaked ~90 MB higher
    for 3.5M lines, at the top of the 1M import's peak (docs/PERFORMANCE.md, «Session 15»)."""
    starts = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(np.bincount(doc, minlength=count), out=starts[1:])
    if len(doc) < 2 or bool(np.all(doc[1:] >= doc[:-1])):  # each ПД's lines together, ПД in order: no sort
        return np.arange(1, len(doc) + 1, dtype=np.int64) - starts[doc]
    order = np.argsort(doc, kind="stable")  # stable: the lines of a ПД keep their order
    numbers = np.empty(len(doc), dtype=np.int64)
    numbers[order] = np.arange(1, len(doc) + 1, dtype=np.int64) - starts[doc[order]]
    return numbers


def _key_order(uips: pd.Series) -> np.ndarray:
    """Row positions by ``uip`` (byte order, stable): COPY in key order fills the unique indexes
    left to right instead of touching a random leaf page per row."""
    return np.asarray(pc.sort_indices(pa.array(uips, pa.large_string())))


def _key_ranks(uips: pd.Series) -> np.ndarray:
    """Each row's place in ``_key_order``: rows ordered by their ranks (stable) are in key order,
    and so are the rows of another table ordered by the rank of the row they belong to."""
    rank = np.empty(len(uips), dtype=np.int32)  # int32: the import's peak is at the COPYs that keep it
    rank[_key_order(uips)] = np.arange(len(uips), dtype=np.int32)
    return rank


def _stored_versions(conn: Connection, uips: pd.DataFrame) -> pd.DataFrame:
    """``uip``, ``stored_version`` and ``stored_hash`` of the export's ПД already stored (by a join
    on the key: the table holds every month ever imported)."""
    with staged(conn, "probe_document", uips, {"uip": "TEXT"}):
        found = pd.read_sql_query(
            text(
                "SELECT d.uip, d.version AS stored_version, d.content_hash AS stored_hash"
                " FROM probe_document k JOIN payment_document d ON d.uip = k.uip"
            ),
            conn,
        )
    return found.astype({"uip": object, "stored_version": "int64", "stored_hash": object})


def _point_to(conn: Connection, versions: pd.DataFrame) -> None:
    """Point the corrected ПД at their new versions (the header of ``payment_document`` is the
    current version's)."""
    if versions.empty:
        return
    columns = [c for c in DOCUMENT_COLUMNS if c != "uip"]
    types = {"uip": "TEXT", "version": "INTEGER", "content_hash": "TEXT", "account": "TEXT", "account_raw": "TEXT",
             "period": "TEXT", "total": "BIGINT", "payer": "TEXT", "address": "TEXT", "address_key": "TEXT",
             "els": "TEXT", "import_id": "BIGINT"}  # fmt: skip
    with staged(conn, "stage_document", versions, types):
        conn.execute(
            text(
                f"UPDATE payment_document SET {', '.join(f'{c} = s.{c}' for c in columns)}"  # noqa: S608
                " FROM stage_document s WHERE payment_document.uip = s.uip"
            )
        )
