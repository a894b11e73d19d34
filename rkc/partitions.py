"""``rkc ledger partitions``: the ledger's monthly partitions made ahead, and what they hold.

Writers make a month's partition as they post its first leg (``sql.partitions.ensure_months``);
made ahead, the first night of a month does no DDL at all. A month's legs in the default partition
(posted before it had one) are reported: its partition can then no longer be created, and its
reads are not pruned (docs/OPERATIONS.md «Ledger partitions»); the owner moves them out with
``--adopt-default``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine

from sql.engine import is_postgres
from sql.partitions import (
    Partition,
    adopt_default_months,
    default_months,
    ensure_months,
    month_of,
    next_month,
    partitions,
)


@dataclass(frozen=True)
class PartitionReport:
    """What ``make_ahead`` created and found."""

    created: list[date]
    partitions: list[Partition]
    in_default: list[tuple[date, int]]
    unpartitioned: bool = False
    adopted: list[tuple[date, int]] | None = None  # months moved out of the default, with their legs


def make_ahead(engine: Engine, today: date, ahead: int, adopt: bool = False) -> PartitionReport:
    """Create the partitions of ``today``'s month and the ``ahead`` months after it; list them all.
    ``adopt``: first move the legs the default partition holds into their months' partitions
    (``sql.partitions.adopt_default_months``: the tables' owner only, the nights stopped)."""
    adopted = None
    if adopt:
        with engine.begin() as conn:
            adopted = adopt_default_months(conn)
    with engine.begin() as conn:
        if not is_postgres(conn):
            return PartitionReport([], [], [], unpartitioned=True)
        months = [month_of(today)]
        for _ in range(max(ahead, 0)):
            months.append(next_month(months[-1]))
        created = ensure_months(conn, months)
    with engine.connect() as conn:
        return PartitionReport(created, partitions(conn), default_months(conn), adopted=adopted)
