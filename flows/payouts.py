"""Payouts to suppliers for a date: usable alone (daily, after the night), or from
``rkc payouts prepare``."""

from __future__ import annotations

from datetime import date

from prefect import flow, get_run_logger

from flows.common import config_and_engine
from sql.engine import migrate


@flow(name="payouts", log_prints=True)
def payouts(pay_date: date | None = None, home: str | None = None) -> dict:
    """Accrue the center's fee and prepare ``pay_date``'s payment orders (default: today on the
    center's clock); a date already prepared gets the same files again and nothing is posted."""
    from rkc.payouts import prepare

    config, engine = config_and_engine(home)
    day = pay_date or config.today()
    try:
        migrate(engine)
        done = prepare(config, engine, day)
    finally:
        engine.dispose()
    get_run_logger().info(
        "%s: %d payment orders, %d kopecks, %d suppliers not paid%s; %s", day, done.payouts, done.total,
        len(done.skipped), " (prepared before: nothing posted)" if done.again else "", done.orders_file,
    )
    return {"date": day.isoformat(), "again": done.again, "payouts": done.payouts, "total": done.total,
            "fee_entries": done.fee_entries, "skipped": done.skipped, "orders": str(done.orders_file),
            "register": str(done.register_file), "refunds": done.refunds,
            "refund_total": done.refund_total}  # fmt: skip
