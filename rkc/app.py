"""Application services: plain functions the CLI and the Prefect flows both call."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from domain.records import LineError
from parsers.charges import read_charges, read_suppliers
from rkc.config import Config, ConfigError
from rkc.context import open_database
from sql.charges import import_charges, refresh_statistics, upsert_suppliers
from sql.uow import UnitOfWork


@dataclass(frozen=True)
class ChargesOutcome:
    """What `rkc charges import` did."""

    documents_new: int
    documents_replaced: int
    lines: int
    suppliers: int
    errors: tuple[LineError, ...]


def import_charges_files(config: Config, charges: Path, suppliers: Path | None = None) -> ChargesOutcome:
    """Read the suppliers directory and the billing export and store them in one transaction."""
    for named in (charges, suppliers):
        if named is not None and not named.is_file():
            raise ConfigError(f"{named}: no such file")
    supplier_rows, supplier_errors = read_suppliers(suppliers) if suppliers else ([], ())
    parsed = read_charges(charges)
    engine = open_database(config)
    try:
        with UnitOfWork(engine) as uow:
            written = upsert_suppliers(uow.conn, supplier_rows)
            report = import_charges(uow.conn, parsed)
            uow.commit()
        refresh_statistics(engine)  # the night's lookups then start from settled tables
    finally:
        engine.dispose()
    return ChargesOutcome(
        report.documents_new,
        report.documents_replaced,
        report.lines,
        written,
        supplier_errors + report.errors,
    )
