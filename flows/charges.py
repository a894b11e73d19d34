"""Import the billing export (charges) and the suppliers directory: usable alone."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger

from reports.charges_rejections import summary_lines
from rkc.app import import_charges_files
from rkc.config import load_config
from rkc.memory import return_memory_promptly


@flow(name="charges-import", log_prints=True)
def charges_import(charges: str, suppliers: str | None = None, home: str | None = None, again: bool = False) -> dict:
    """Load ``charges`` (and ``suppliers``) into the database; corrected ПД replace unpaid ones.

    A file whose bytes were imported before is skipped with one line unless ``again``."""
    logger = get_run_logger()
    return_memory_promptly()
    config = load_config(home)
    charges_path = Path(charges) if Path(charges).is_absolute() else config.home / charges
    suppliers_path = None
    if suppliers:
        suppliers_path = Path(suppliers) if Path(suppliers).is_absolute() else config.home / suppliers
    outcome = import_charges_files(config, charges_path, suppliers_path, again=again)
    summary = summary_lines(outcome.errors, outcome.rejections_csv)
    if summary:  # one message: counts by reason, the first lines, where the CSV of all of them is
        logger.warning("\n".join(summary))
    if outcome.same_as is not None:
        logger.info(outcome.no_change_line())
        return {"documents_new": 0, "documents_replaced": 0, "lines": 0, "suppliers": outcome.suppliers,
                "rejected": len(outcome.errors), "same_as_import": outcome.same_as[0]}  # fmt: skip
    logger.info("%d new and %d corrected ПД, %d rows rejected", outcome.documents_new,
                outcome.documents_replaced, len(outcome.errors))  # fmt: skip
    return {"documents_new": outcome.documents_new, "documents_replaced": outcome.documents_replaced,
            "lines": outcome.lines, "suppliers": outcome.suppliers, "rejected": len(outcome.errors),
            "rejections_csv": str(outcome.rejections_csv or "")}  # fmt: skip
