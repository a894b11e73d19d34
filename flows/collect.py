"""Collection before the night: every channel's source fetched into its inbox (``rkc.collect``)."""

from __future__ import annotations

from prefect import flow

from flows.common import config_and_engine, run_logger
from sql.engine import migrate


class CollectionFailed(Exception):
    """A source could not be read (after its retries): the flow run fails, naming it; what the other
    sources gave is in the inbox all the same."""


@flow(name="collect", log_prints=True)
def collect_files(home: str | None = None, channels: list[str] | None = None) -> dict:
    """Fetch the new files of every channel with a source (or of ``channels``) into the inbox."""
    from rkc.collect import collect

    config, engine = config_and_engine(home)
    try:
        migrate(engine)
        outcomes = collect(config, engine, channels, run_logger())
    finally:
        engine.dispose()
    result = {"channels": [o.to_dict() for o in outcomes], "landed": sum(len(o.landed) for o in outcomes)}
    failed = [f"{o.channel}: {o.error}" for o in outcomes if o.error]
    if failed:
        raise CollectionFailed(f"{len(failed)} sources failed ({'; '.join(failed)}); {result['landed']} files landed")
    return result
