"""Supplier statements for a period: usable alone (monthly), or from ``rkc statements``."""

from __future__ import annotations

import re
from datetime import date

from prefect import flow, get_run_logger

from domain.manifest import ManifestKind
from flows.common import config_and_engine
from rkc.manifest import load_signing_key, write_manifest
from rkc.memory import return_memory_promptly
from sql.engine import migrate


def previous_month(today: date | None = None) -> str:
    """``YYYY-MM`` of the month before ``today``: what a statement run on the 1st covers."""
    today = today or date.today()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


@flow(name="supplier-statements", log_prints=True)
def supplier_statements(period: str | None = None, home: str | None = None) -> dict:
    """Write every supplier's statement for ``period`` (default: the previous month)."""
    from reports.act import Party
    from rkc.statements import write_acts, write_statements

    return_memory_promptly()

    config, engine = config_and_engine(home)
    period = period or previous_month(config.today())  # the center's month, not the worker's
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        engine.dispose()
        raise ValueError(f"period must be YYYY-MM, got {period!r}")
    key = load_signing_key(config, get_run_logger())  # refused before anything is written
    try:
        migrate(engine)
        files = write_statements(engine, period, config.out,
                                 {n: c.agent_name for n, c in config.channels.items()})  # fmt: skip
        files += write_acts(engine, period, config.out, Party(config.center_name, config.center_inn))
        first = date.fromisoformat(f"{period}-01")
        write_manifest(config, engine, key, kind=ManifestKind.STATEMENTS, run_date=first,
                       name=config.out / "statements" / period / "manifest.json", inputs=[], outputs=files)  # fmt: skip
    finally:
        engine.dispose()
    get_run_logger().info("%d statement files for %s in %s", len(files), period, config.out / "statements" / period)
    return {"period": period, "files": [str(f) for f in files]}
