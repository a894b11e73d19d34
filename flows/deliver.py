"""Delivery of supplier statements through the outbox (``rkc.deliver``): queued, sent, retried."""

from __future__ import annotations

from prefect import flow

from flows.common import config_and_engine, run_logger
from flows.statements import previous_month
from sql.engine import migrate


class DeliveryFailed(Exception):
    """Deliveries were given up after their last attempt: the flow run fails, naming them."""


@flow(name="deliver-statements", log_prints=True)
def deliver_statements(period: str | None = None, home: str | None = None, resend: bool = False) -> dict:
    """Queue the statements of ``period`` (default: the previous month on the center's clock),
    send every delivery that is due, and write the delivery report."""
    from rkc.deliver import deliver

    config, engine = config_and_engine(home)
    period = period or previous_month(config.today())
    try:
        migrate(engine)
        run = deliver(config, engine, period, resend=resend, logger=run_logger())
    finally:
        engine.dispose()
    if run.failed:
        raise DeliveryFailed(f"{len(run.failed)} deliveries given up: {'; '.join(run.failed)}; report {run.report}")
    return {"period": period, "queued": run.queued, "sent": run.sent, "pending": run.pending,
            "unaddressed": run.unaddressed, "report": run.report}  # fmt: skip
