"""Application services: plain functions the CLI and the Prefect flows both call."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from domain.money import format_ru
from domain.records import LineError
from parsers.base import file_sha256
from parsers.charges import read_charges, read_suppliers
from reports.charges_rejections import write_rejections
from rkc.config import Config, ConfigError
from rkc.context import open_database
from rkc.corrections import Accepted, accept_in
from rkc.memory import libraries_out_of_the_collector, release_memory
from sql.charges import import_charges, previous_import, refresh_statistics, upsert_suppliers
from sql.corrections import HeldCorrections
from sql.uow import UnitOfWork


@dataclass(frozen=True)
class ChargesOutcome:
    """What `rkc charges import` did."""

    documents_new: int
    documents_corrected: int
    lines: int
    suppliers: int
    errors: tuple[LineError, ...]
    import_id: int | None = None
    rejections_csv: Path | None = None  # every rejected line, when there are any
    same_as: tuple[int, datetime, int] | None = None  # the latest import of these bytes (id, when, rejected)
    documents_unchanged: int = 0
    held: HeldCorrections = field(default_factory=HeldCorrections)  # corrected ПД with money split
    accepted: Accepted | None = None  # with ``accept``: what moved to the corrected splits

    def no_change_line(self) -> str:
        """The one line a byte-identical re-import prints."""
        if self.same_as is None:
            return ""
        number, when, rejected = self.same_as
        hint = f" It rejected {rejected} rows; --again reads the file anew." if rejected else ""
        return f"No change: the same file was imported as import {number} on {when:%Y-%m-%d %H:%M}.{hint}"

    def summary_lines(self) -> list[str]:
        """What the import did, for the operator: one line, or the no-change line, then the
        corrections of ПД with money already split and what became of them."""
        if self.same_as is not None:
            return [self.no_change_line()]
        if not self.documents_new and not self.documents_corrected and self.documents_unchanged:
            lines = [f"No change: all {self.documents_unchanged} ПД of the export are as stored; "
                     f"0 corrected; {len(self.errors)} rows rejected."]  # fmt: skip
        else:
            lines = [f"Imported {self.documents_new} new and {self.documents_corrected} corrected ПД "
                     f"({self.lines} service lines), {self.documents_unchanged} unchanged; {self.suppliers} suppliers; "
                     f"{len(self.errors)} rows rejected."]  # fmt: skip
        held = self.held
        if held.payments and self.accepted is None:
            lines.append(f"{held.documents} corrected ПД already have money split by their earlier version: "
                         f"{held.payments} payments, {format_ru(held.amount)} ₽. The money stays on the old split "
                         "until the correction is accepted (rkc charges accept).")  # fmt: skip
        elif self.accepted is not None and self.accepted.payments:
            a = self.accepted
            lines.append(f"Corrections accepted: {a.payments} payments ({format_ru(a.amount)} ₽) of {a.documents} ПД "
                         "moved to the corrected split.")  # fmt: skip
        return lines


def import_charges_files(
    config: Config, charges: Path, suppliers: Path | None = None, *, again: bool = False, accept: bool = False
) -> ChargesOutcome:
    """Read the suppliers directory and the billing export and store them in one transaction.

    A billing export whose bytes were imported before is not read again (unless ``again``): the
    result would be the same, and re-reading it only repeats every refusal of the first import.
    Only when that import rejected lines and a suppliers directory comes with it is the export read
    again, since the directory may now accept them. The suppliers directory is stored either way.
    Rejected lines are written to ``out/charges/<import id>/rejections.csv``. A ПД whose content
    changed gets a new version; money already split by an earlier one stays there unless
    ``accept``: then every ПД of the export, corrected now or by an earlier import, is accepted as
    it now stands, in the import's transaction (``rkc.corrections``), and the export is read even
    if its bytes were imported before.
    """
    for named in (charges, suppliers):
        if named is not None and not named.is_file():
            raise ConfigError(f"{named}: no such file")
    supplier_rows, supplier_errors = read_suppliers(suppliers) if suppliers else ([], ())
    engine = open_database(config)
    try:
        earlier = None
        if not (again or accept):
            with engine.connect() as conn:
                earlier = previous_import(conn, file_sha256(charges))
        if earlier is not None and not (supplier_rows and earlier[2]):
            with UnitOfWork(engine) as uow:
                written = upsert_suppliers(uow.conn, supplier_rows)
                uow.commit()
            return ChargesOutcome(0, 0, 0, written, supplier_errors, same_as=earlier)
        # The collections of the parse and of release_memory skip the libraries' objects
        with libraries_out_of_the_collector():
            parsed = read_charges(charges, config.charges_max_text)
            release_memory()  # the batches' freed text, scattered over the C heap, back to the OS before the COPYs
            with UnitOfWork(engine) as uow:
                written = upsert_suppliers(uow.conn, supplier_rows)
                report = import_charges(uow.conn, parsed)
                accepted = accept_in(uow.conn, config.today(), report.documents) if accept else None
                uow.commit()
        if report.documents_new or report.documents_corrected:  # else nothing of theirs was written
            refresh_statistics(engine)  # the night's lookups then start from settled tables
    finally:
        engine.dispose()
    errors = supplier_errors + report.errors
    target = config.out / "charges" / str(report.import_id) / "rejections.csv"
    return ChargesOutcome(
        report.documents_new,
        report.documents_corrected,
        report.lines,
        written,
        errors,
        import_id=report.import_id,
        rejections_csv=write_rejections(target, errors) if errors else None,
        documents_unchanged=report.documents_unchanged,
        held=report.held,
        accepted=accepted,
    )


def accept_charge_corrections(config: Config, uips: list[str] | None) -> Accepted:
    """Accept corrected ПД (``uips``, or every corrected ПД when ``None``): see ``rkc.corrections``."""
    from rkc.corrections import accept_corrections

    engine = open_database(config)
    try:
        return accept_corrections(engine, config.today(), uips)
    finally:
        engine.dispose()
