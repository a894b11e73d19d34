"""ГИС ЖКХ cancellations of payment notifications, applied by the night (docs/GIS.md, "Cancellations").

A cancellation file (``importNotificationsOfOrderExecutionCancellationRequest``) arrives in a ГИС
ЖКХ channel's inbox beside the notifications. The night sets it aside before intake (it is no
register), and after posting applies it: each cancellation is stored once; a posted payment of
its OrderID in the ГИС ЖКХ channels is reversed (``rkc.reverse.reverse_payment``: a reversal
entry, nothing edited; one reversed already stays as it is); a cancellation whose payment is not
posted yet is held, tried again every night, and reported as GIS_CANCELLATION_HELD meanwhile. An
unreadable file is quarantined with its reason (BAD_FILE), like a register.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from domain.codes import Code
from parsers.base import BadFile, read_head
from parsers.gis_cancellations import is_cancellation, read_cancellations
from rkc.config import Config
from rkc.filing import file_away, record_bad_file
from rkc.reverse import ReversalRefused, reverse_payment
from sql import gis_cancellations as store
from sql.discrepancies import add_discrepancies, clear_codes
from sql.uow import UnitOfWork

log = logging.getLogger("rkc.gis_cancel")


@dataclass(frozen=True)
class CancellationSummary:
    """What the night did with ГИС ЖКХ cancellations (JSON-able)."""

    files: int = 0
    new: int = 0
    applied: int = 0
    held: int = 0
    bad_files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """As a plain dict, for passing between tasks and into the run summary."""
        return asdict(self)


def set_cancellations_aside(config: Config, files: list[tuple[str, Path]]) -> tuple[list, list]:
    """The registers to read, and the cancellation files of the ГИС ЖКХ channels (applied after
    posting), both as ``(channel, path)`` in inbox order."""
    gis = set(config.gis_channels)
    registers, cancellations = [], []
    for channel, path in files:
        wanted = channel in gis and is_cancellation(read_head(path))
        (cancellations if wanted else registers).append((channel, path))
    return registers, cancellations


def apply_cancellations(
    config: Config, engine: Engine, run_date: date, files: list[tuple[str, Path]]
) -> CancellationSummary:
    """Store the cancellations of ``files`` and apply every held one whose payment is posted."""
    new, bad = 0, []
    for channel, path in files:
        try:
            items = read_cancellations(path, config.gis_xsd_dir)
        except BadFile as exc:
            bad.append(f"{path.name}: {exc.reason}")
            record_bad_file(engine, run_date, channel, path.name, exc.reason)
            file_away(path, config.quarantine / run_date.isoformat() / channel, exc.reason)
            continue
        rows = [{"channel": channel, "order_id": c.order_id, "transport_guid": c.transport_guid,
                 "cancelled_on": c.cancelled_on, "comment": c.comment, "file": path.name, "received_on": run_date}
                for c in items]  # fmt: skip
        with UnitOfWork(engine) as uow:
            new += store.add_new(uow.conn, rows)
            uow.commit()
        file_away(path, config.archive / run_date.isoformat() / channel, None)
    with engine.connect() as conn:
        waiting = store.held(conn)
    done = [_apply(config, engine, run_date, c) for c in waiting]
    still = [c for c, applied in zip(waiting, done, strict=True) if not applied]
    _report_held(engine, run_date, still)
    summary = CancellationSummary(len(files), new, sum(done), len(still), bad)
    log.info("ГИС ЖКХ cancellations: %s", summary)
    return summary


def _apply(config: Config, engine: Engine, run_date: date, cancellation: dict) -> bool:
    """Reverse the payments of one cancellation; whether it is applied now."""
    with engine.connect() as conn:
        payments = store.payments_of_order(conn, config.gis_channels, cancellation["order_id"])
    if not payments:
        return False
    reason = f"аннулировано в ГИС ЖКХ {cancellation['cancelled_on']:%d.%m.%Y}" + (
        f": {cancellation['comment']}" if cancellation["comment"] else "")  # fmt: skip
    notes = []
    for payment_id in payments:
        try:
            done = reverse_payment(engine, payment_id, reason, run_date)
            notes.append(f"платёж {payment_id}: сторнировано проводок {done.entries}")
        except ReversalRefused as exc:  # reversed before (by hand, or its register recalled)
            notes.append(f"платёж {payment_id}: {exc}")
    with UnitOfWork(engine) as uow:
        store.set_applied(uow.conn, cancellation["id"], payments[0], run_date, "; ".join(notes))
        uow.commit()
    return True


def _report_held(engine: Engine, run_date: date, waiting: list[dict]) -> None:
    """GIS_CANCELLATION_HELD for each cancellation still held, written anew by every run of the night."""
    rows = pd.DataFrame([
        {"run_date": run_date.isoformat(), "code": Code.GIS_CANCELLATION_HELD.value, "channel": c["channel"],
         "file": c["file"], "operation_id": c["order_id"], "detail": _held_detail(c)}
        for c in waiting
    ])  # fmt: skip
    with UnitOfWork(engine) as uow:
        clear_codes(uow.conn, run_date, (Code.GIS_CANCELLATION_HELD.value,))
        if len(rows):
            add_discrepancies(uow.conn, rows)
        uow.commit()


def _held_detail(cancellation: dict) -> str:
    """What the accountant reads about a held cancellation."""
    comment = f" ({cancellation['comment']})" if cancellation["comment"] else ""
    return (f"аннулирование ГИС ЖКХ от {cancellation['cancelled_on']:%d.%m.%Y}{comment}: платёж "
            f"{cancellation['order_id']} не проведён; будет сторнирован, когда поступит")  # fmt: skip
