"""Registers: the files agents send, recorded once each by content hash."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, RowMapping, Select, case, func, insert, select, update

from domain.records import DeclaredTotals
from domain.statuses import COMMITTED, RegisterStatus
from sql.models import Payment, Register


def stored_files(conn: Connection, sha256s: set[str]) -> set[str]:
    """Which of these file hashes have a register posted or quarantined (a row of a file refused
    as unreadable does not count: such a file is read again when it comes back)."""
    if not sha256s:
        return set()
    query = select(Register.sha256).where(Register.sha256.in_(sorted(sha256s)),
                                          Register.status.in_(COMMITTED))  # fmt: skip
    return set(conn.execute(query).scalars())


# The rows a file read again may take over: refused as unreadable, or quarantined and then accepted.
_READ_AGAIN = (RegisterStatus.BAD_FILE, RegisterStatus.QUARANTINED)


def create_register(
    conn: Connection,
    *,
    file: str,
    sha256: str,
    channel: str,
    fmt: str,
    run_date: date,
    status: str = RegisterStatus.RECEIVED,
    declared: DeclaredTotals | None = None,
    reason: str | None = None,
    replaces: int | None = None,
) -> int:
    """Record a register file; the unique sha256 makes a second copy of the same file fail.

    ``replaces`` names the row of the same file refused earlier as unreadable (``bad_file``), or
    quarantined and then accepted in the workbench: read again, it takes that row over, since the
    content hash can be recorded once."""
    declared = declared or DeclaredTotals()
    values = {
        "file": file,
        "sha256": sha256,
        "channel": channel,
        "format": fmt,
        "status": status,
        "run_date": run_date,
        "declared_count": declared.count,
        "declared_amount": declared.amount,
        "declared_transfer": declared.transfer,
        "declared_commission": declared.commission,
        "payment_order_number": declared.payment_order_number,
        "payment_order_date": declared.payment_order_date,
        "reason": reason,
    }
    if replaces is not None:
        fresh = {column: None for column in ("tie_status", "tie_rule", "transfer_id", "stored_path")}
        replaced = conn.execute(
            update(Register)
            .where(Register.id == replaces, Register.sha256 == sha256, Register.status.in_(_READ_AGAIN))
            .values(**values, **fresh, received_at=func.current_timestamp())
            .returning(Register.id)
        ).scalar_one_or_none()
        if replaced is None:
            raise RuntimeError(f"register {replaces} is not the refused copy of {file} it was read again for")
        return int(replaced)
    return int(conn.execute(insert(Register).values(**values).returning(Register.id)).scalar_one())


def finish_register(conn: Connection, register_id: int, **values: object) -> None:
    """Set the outcome of a register: status, parsed line counts and totals, reason."""
    conn.execute(update(Register).where(Register.id == register_id).values(**values))


def unfiled_registers(conn: Connection) -> list[dict]:
    """Registers committed (posted, quarantined, or refused as unreadable) whose file's place was
    never recorded: the run that committed them stopped before (or just after) filing the file away.
    Keys: register_id, file, sha256, channel, status, run_date (a ``date``)."""
    query = select(Register.id.label("register_id"), Register.file, Register.sha256, Register.channel,
                   Register.status, Register.run_date).where(
        Register.stored_path.is_(None), Register.status.in_((*COMMITTED, RegisterStatus.BAD_FILE))
    ).order_by(Register.id)  # fmt: skip
    return [dict(row) for row in conn.execute(query).mappings()]


def set_stored_path(conn: Connection, register_id: int, stored_path: str) -> None:
    """Record where a register's file was filed away (archive or quarantine)."""
    conn.execute(update(Register).where(Register.id == register_id).values(stored_path=stored_path))


def night_registers(
    conn: Connection, run_date: date, statuses: tuple[str, ...] = COMMITTED
) -> list[dict]:
    """The night's registers (posted or quarantined, or ``statuses``, by whichever run of the night), with their
    bridge in the keys of ``rkc.commit.RegisterOutcome``, in inbox order (channel, file name).

    The night's report is built from these, not from what one run posted: a rerun that finds
    nothing new, or finishes the work of a run that died, must not leave a report of fewer
    registers than the night had."""
    rows = conn.execute(
        _bridge_select().where(Register.run_date == run_date, Register.status.in_(statuses))
    ).mappings()
    registers = [_outcome(row) for row in rows]
    return sorted(registers, key=lambda r: (r["channel"], r["file"], r["register_id"]))


def register_outcome(conn: Connection, sha256: str) -> dict | None:
    """The stored register of this content hash with its bridge (as ``night_registers``), if any."""
    row = conn.execute(_bridge_select().where(Register.sha256 == sha256)).mappings().first()
    return None if row is None else _outcome(row)


def _bridge_select() -> Select:
    return select(
        Register.id.label("register_id"), Register.file, Register.sha256, Register.channel, Register.format,
        Register.status, Register.lines, Register.rejected_lines, Register.records, Register.non_payment_lines,
        Register.amount_total,
        Register.posted_amount.label("posted"), Register.suspense_amount.label("suspense"),
        Register.rejected_amount.label("rejected"), Register.duplicate_amount.label("duplicate"),
        Register.quarantined_amount.label("quarantined"), Register.stored_path, Register.reason, Register.run_date,
    )  # fmt: skip


def _outcome(row: RowMapping) -> dict:
    return {**row, "stored_path": row["stored_path"] or "", "reason": row["reason"] or "",
            "run_date": row["run_date"].isoformat()}  # fmt: skip


def quarantined_registers(conn: Connection, since: date, until: date) -> list[dict]:
    """Registers quarantined by runs of ``since``…``until``: id, file, channel, their п/п number
    and date as declared, net amount (declared transfer, else total less commission) and reason;
    a п/п the tie-out cannot place may be paying one of them."""
    net = func.coalesce(Register.declared_transfer, Register.amount_total - Register.commission_total)
    rows = conn.execute(
        select(Register.id.label("register_id"), Register.file, Register.channel, Register.payment_order_number,
               Register.payment_order_date, net.label("net_amount"), Register.reason)
        .where(Register.status == RegisterStatus.QUARANTINED, Register.run_date.between(since, until))
        .order_by(Register.id)
    ).mappings()  # fmt: skip
    return [dict(row) for row in rows]


def night_payments_by_method(conn: Connection, run_date: date) -> list[dict]:
    """The payments stored from the night's registers (posted or quarantined, by whichever run of the
    night) summed by method: method (None: stored without one), payments, posted (matched to a ПД)
    and suspense kopecks. Posted plus suspense over the rows is the registers' posted plus suspense."""
    matched = Payment.matched_uip.is_not(None)
    rows = conn.execute(
        select(Payment.method, func.count().label("payments"),
               func.coalesce(func.sum(case((matched, Payment.amount), else_=0)), 0).label("posted"),
               func.coalesce(func.sum(case((matched, 0), else_=Payment.amount)), 0).label("suspense"))
        .join(Register, Register.id == Payment.register_id)
        .where(Register.run_date == run_date, Register.status.in_(COMMITTED))
        .group_by(Payment.method)
    ).mappings()  # fmt: skip
    return [{"method": r["method"], "payments": int(r["payments"]), "posted": int(r["posted"]),
             "suspense": int(r["suspense"])} for r in rows]  # fmt: skip
