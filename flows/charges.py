"""Import the billing export (charges) and the suppliers directory: usable alone."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger

from rkc.app import import_charges_files
from rkc.config import load_config
from rkc.memory import return_memory_promptly


@flow(name="charges-import", log_prints=True)
def charges_import(charges: str, suppliers: str | None = None, home: str | None = None) -> dict:
    """Load ``charges`` (and ``suppliers``) into the database; corrected ПД replace unpaid ones."""
    logger = get_run_logger()
    return_memory_promptly()
    config = load_config(home)
    charges_path = Path(charges) if Path(charges).is_absolute() else config.home / charges
    suppliers_path = None
    if suppliers:
        suppliers_path = Path(suppliers) if Path(suppliers).is_absolute() else config.home / suppliers
    outcome = import_charges_files(config, charges_path, suppliers_path)
    for error in outcome.errors:
        logger.warning("rejected %s:%s: %s", error.file, error.line_no, error.reason)
    logger.info("%d new and %d corrected ПД, %d rows rejected", outcome.documents_new,
                outcome.documents_replaced, len(outcome.errors))  # fmt: skip
    return {"documents_new": outcome.documents_new, "documents_replaced": outcome.documents_replaced,
            "lines": outcome.lines, "suppliers": outcome.suppliers, "rejected": len(outcome.errors)}  # fmt: skip
