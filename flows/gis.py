"""The outbound ГИС ЖКХ export after the night: usable alone, scheduled in prefect.yaml."""

from __future__ import annotations

from datetime import date

from prefect import flow

from flows.common import config_and_engine, run_logger
from rkc.gis_export import export_day
from sql.engine import migrate


@flow(name="gis-export", log_prints=True)
def gis_export(run_date: str | None = None, home: str | None = None) -> dict:
    """Export ``run_date`` (default: today on the center's clock, the night that ran before) into
    ``out/<date>/gis/``. Running it again, or after answers were loaded, only adds new items."""
    config, engine = config_and_engine(home)
    when = date.fromisoformat(run_date) if run_date else config.today()
    try:
        migrate(engine)
        result = export_day(config, engine, when)
    finally:
        engine.dispose()
    logger = run_logger()
    logger.info("ГИС ЖКХ export of %s: new items %s; %d files in %s (%d written)", when, result.new_items,
                len(result.files), result.directory, len(result.written))  # fmt: skip
    if result.waiting:
        logger.info("not exported yet: %s", result.waiting)
    return {"date": when.isoformat(), "directory": str(result.directory), "new_items": result.new_items,
            "waiting": result.waiting, "files": list(result.files), "written": list(result.written)}  # fmt: skip
