"""Import the billing export (charges) and the suppliers directory: usable alone."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger

from reports.charges_rejections import summary_lines
from rkc.app import import_charges_files
from rkc.config import load_config
from rkc.memory import return_memory_promptly


@flow(name="charges-import", log_prints=True)
def charges_import(
    charges: str, suppliers: str | None = None, home: str | None = None, again: bool = False,
    accept_corrections: bool = False,
) -> dict:  # fmt: skip
    """Load ``charges`` (and ``suppliers``) into the database; a changed ПД gets a new version, and
    money already split by an earlier one moves only with ``accept_corrections``.

    A file whose bytes were imported before is skipped with one line unless ``again``."""
    logger = get_run_logger()
    return_memory_promptly()
    config = load_config(home)
    charges_path = Path(charges) if Path(charges).is_absolute() else config.home / charges
    suppliers_path = None
    if suppliers:
        suppliers_path = Path(suppliers) if Path(suppliers).is_absolute() else config.home / suppliers
    outcome = import_charges_files(config, charges_path, suppliers_path, again=again, accept=accept_corrections)
    summary = summary_lines(outcome.errors, outcome.rejections_csv)
    if summary:  # one message: counts by reason, the first lines, where the CSV of all of them is
        logger.warning("\n".join(summary))
    for line in outcome.summary_lines():
        logger.info(line)
    if outcome.same_as is not None:
        return {"documents_new": 0, "documents_corrected": 0, "documents_unchanged": 0, "lines": 0,
                "suppliers": outcome.suppliers, "rejected": len(outcome.errors),
                "same_as_import": outcome.same_as[0]}  # fmt: skip
    return {"documents_new": outcome.documents_new, "documents_corrected": outcome.documents_corrected,
            "documents_unchanged": outcome.documents_unchanged, "lines": outcome.lines,
            "suppliers": outcome.suppliers, "rejected": len(outcome.errors),
            "held_payments": outcome.held.payments, "held_amount": outcome.held.amount,
            "accepted_payments": outcome.accepted.payments if outcome.accepted else 0,
            "rejections_csv": str(outcome.rejections_csv or "")}  # fmt: skip
