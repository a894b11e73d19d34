"""Bank statements (``bank_statement``) and their incoming п/п (``bank_transfer``): stored once
each, tied to registers, posted as receipts; and the registers still waiting for their п/п."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Connection, Row, bindparam, func, insert, select, text, update

from domain.statuses import RegisterStatus, TieStatus
from domain.tie_riders import RULE_WITH_BANK
from sql.bulk import staged
from sql.models import BankStatementFile, BankTransfer, Register

TRANSFER_KEY = ("date", "number", "payer_account", "amount")  # uq_bank_transfer_identity
_STAGE_TYPES = {"statement_id": "BIGINT", "number": "TEXT", "date": "DATE", "amount": "BIGINT", "payer_name": "TEXT",
                "payer_inn": "TEXT", "payer_account": "TEXT", "purpose": "TEXT", "channel": "TEXT",
                "line_no": "INTEGER"}  # fmt: skip


def statement_known(conn: Connection, sha256: str) -> bool:
    """Whether a statement file with these bytes is stored already."""
    return conn.execute(select(BankStatementFile.id).where(BankStatementFile.sha256 == sha256)).first() is not None


def add_statement(conn: Connection, **values: object) -> int:
    """Record a statement file (``bank_statement``'s columns); return its id."""
    return int(conn.execute(insert(BankStatementFile).values(**values).returning(BankStatementFile.id)).scalar_one())


def set_statement_path(conn: Connection, sha256: str, stored_path: str) -> None:
    """Record where the statement of these bytes was filed (the archive), unless recorded before (a
    copy read again is filed beside it, the first stays the statement's)."""
    conn.execute(
        update(BankStatementFile)
        .where(BankStatementFile.sha256 == sha256, BankStatementFile.stored_path.is_(None))
        .values(stored_path=stored_path)
    )


def add_new_transfers(conn: Connection, rows: pd.DataFrame) -> int:
    """Insert the transfers of ``rows`` (``bank_transfer``'s columns) not stored yet, judged by
    their identity ``TRANSFER_KEY`` (overlapping statements list a п/п again); return how many.

    The comparison is one anti-join against the table's unique index, not a read of the table."""
    if rows.empty:
        return 0
    rows = rows.drop_duplicates(list(TRANSFER_KEY))
    columns = [c for c in _STAGE_TYPES if c in rows.columns]
    names = ", ".join(columns)
    same = " AND ".join(f"t.{k} = s.{k}" for k in TRANSFER_KEY)
    with staged(conn, "stage_transfer", rows, {c: _STAGE_TYPES[c] for c in columns}) as stage:
        added = conn.execute(
            text(
                f"INSERT INTO bank_transfer ({names}) SELECT {', '.join(f's.{c}' for c in columns)}"  # noqa: S608
                f" FROM {stage} s WHERE NOT EXISTS (SELECT 1 FROM bank_transfer t WHERE {same})"
            )
        )
        return int(added.rowcount)


def open_registers(conn: Connection) -> pd.DataFrame:
    """Posted registers not tied to a п/п yet (never tried, or their п/п still missing), by id:
    register_id, channel, order_number, order_date, net_amount (what the agent owes for the
    register: its declared transfer total, else every readable line's amount less commission;
    rejected and duplicate lines were paid by payers too), register_date (its latest payment), and
    posted_amount, suspense_amount, commission_total (a ГИС ЖКХ rider's own money, ``domain.tie_riders``)."""
    return pd.read_sql_query(
        text(
            "SELECT r.id AS register_id, r.channel, r.payment_order_number AS order_number,"
            " r.payment_order_date AS order_date,"
            " COALESCE(r.declared_transfer, r.amount_total - r.commission_total) AS net_amount,"
            " (SELECT MAX(p.paid_date) FROM payment p WHERE p.register_id = r.id) AS register_date,"
            " r.posted_amount, r.suspense_amount, r.commission_total"
            " FROM register r WHERE r.status = :posted"
            " AND (r.tie_status IS NULL OR r.tie_status = :missing) ORDER BY r.id"
        ),
        conn,
        params={"posted": RegisterStatus.POSTED, "missing": TieStatus.TRANSFER_MISSING},
    )


def carried_riders(conn: Connection, transfer_ids: list[int]) -> dict[int, int]:
    """Transfer id → the own money (posted and suspense less commission, kopecks) of the ГИС ЖКХ
    riders tied to it with their bank's register (``with_bank``), for those of ``transfer_ids``
    that carry any: what a recalled bank register's freed п/п still pays besides its copy."""
    if not transfer_ids:
        return {}
    query = text(
        "SELECT transfer_id,"
        " SUM(COALESCE(posted_amount, 0) + COALESCE(suspense_amount, 0) - COALESCE(commission_total, 0))"
        " FROM register"
        " WHERE transfer_id IN :ids AND tie_rule = :with_bank AND status = :posted GROUP BY transfer_id"
    ).bindparams(bindparam("ids", expanding=True))
    params = {"ids": transfer_ids, "with_bank": RULE_WITH_BANK, "posted": RegisterStatus.POSTED}
    return {int(t): int(total) for t, total in conn.execute(query, params).all() if total}


def unused_transfers(conn: Connection) -> list[Row]:
    """Stored transfers not tied to a register yet, by id (rows with ``bank_transfer``'s columns)."""
    table = BankTransfer.__table__
    return list(conn.execute(select(table).where(table.c.register_id.is_(None)).order_by(table.c.id)).all())


def tie_transfer(conn: Connection, transfer_id: int, register_id: int, channel: str) -> None:
    """Tie a transfer to a register; ``channel`` fills the transfer's channel where reading it
    did not attribute one (a payer shared by two channels)."""
    conn.execute(
        update(BankTransfer)
        .where(BankTransfer.id == transfer_id)
        .values(register_id=register_id, channel=func.coalesce(BankTransfer.channel, channel))
    )


def set_tie(conn: Connection, register_id: int, status: str, rule: str | None, transfer_id: int | None) -> None:
    """Record a register's tie-out: its status, the rule that decided it, the transfer it is tied to."""
    conn.execute(
        update(Register)
        .where(Register.id == register_id)
        .values(tie_status=status, tie_rule=rule, transfer_id=transfer_id)
    )


def unposted_receipts(conn: Connection) -> list[Row]:
    """Transfers from a known agent (a channel) whose receipt is not posted yet."""
    table = BankTransfer.__table__
    return list(conn.execute(select(table).where(table.c.entry_id.is_(None), table.c.channel.is_not(None))).all())


def set_receipt_entry(conn: Connection, transfer_id: int, entry_id: int) -> None:
    """Record the ledger entry that posted a transfer's receipt."""
    conn.execute(update(BankTransfer).where(BankTransfer.id == transfer_id).values(entry_id=entry_id))


def night_tieout(conn: Connection, run_date: date) -> pd.DataFrame:
    """Every posted register of the night, still open, or tied tonight by a statement read tonight
    (a п/п that came late), with its transfer: the tie-out sheet's rows."""
    return pd.read_sql_query(
        text(
            "SELECT r.id AS register_id, r.file, r.channel, r.payment_order_number, r.payment_order_date,"
            " COALESCE(r.declared_transfer, r.amount_total - r.commission_total) AS net_amount,"
            " t.number AS transfer_number, t.date AS transfer_date, t.amount AS transfer_amount,"
            " t.payer_name, r.tie_status AS status, r.tie_rule AS rule"
            " FROM register r LEFT JOIN bank_transfer t ON t.id = r.transfer_id"
            " LEFT JOIN bank_statement s ON s.id = t.statement_id"
            " WHERE r.status = :posted AND (r.run_date = :d OR r.tie_status IS NULL"
            " OR r.tie_status <> :tied OR s.run_date = :d) ORDER BY r.id"
        ),
        conn,
        params={"d": run_date, "posted": RegisterStatus.POSTED, "tied": TieStatus.TIED},
    )


def waiting_direct(conn: Connection, channel: str) -> pd.DataFrame:
    """The п/п credited to the channel of payers' п/п and not tied to a register yet, with their
    statement (``statement_id``, ``file``, ``sha256``, ``stored_path``), by id: the payments the
    night may still have to make of them (docs/RULES.md, "Direct payments")."""
    t, s = BankTransfer.__table__, BankStatementFile.__table__
    query = (
        select(t.c.id, t.c.statement_id, t.c.number, t.c.date, t.c.amount, t.c.payer_name, t.c.payer_inn,
               t.c.payer_account, t.c.purpose, t.c.line_no, s.c.file, s.c.sha256, s.c.stored_path)
        .select_from(t.join(s, s.c.id == t.c.statement_id))
        .where(t.c.channel == channel, t.c.register_id.is_(None))
        .order_by(t.c.id)
    )  # fmt: skip
    frame = pd.DataFrame(conn.execute(query).all(), columns=list(query.selected_columns.keys()))
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    return frame.astype({"line_no": "Int64"})


def payment_registers(conn: Connection, channel: str, operation_ids: list[str]) -> pd.DataFrame:
    """The register of each stored payment of ``channel`` among ``operation_ids`` (occurrence 1):
    ``operation_id``, ``register_id``."""
    columns = ["operation_id", "register_id"]
    if not operation_ids:
        return pd.DataFrame(columns=columns)
    keys = pd.DataFrame({"operation_id": operation_ids})
    with staged(conn, "probe_direct", keys, {"operation_id": "TEXT"}) as stage:
        rows = conn.execute(
            text(
                f"SELECT p.operation_id, p.register_id FROM {stage} k JOIN payment p"  # noqa: S608
                " ON p.channel = :c AND p.operation_id = k.operation_id AND p.occurrence = 1"
            ),
            {"c": channel},
        ).all()
    return pd.DataFrame(rows, columns=columns)


def tie_payers_transfers(conn: Connection, pairs: pd.DataFrame, rule: str) -> int:
    """Tie payers' п/п to the registers of their payments (``pairs``: ``transfer_id``,
    ``register_id``) and mark those registers tied by ``rule``, without a п/п of their own (each
    payment is one); return how many registers."""
    if pairs.empty:
        return 0
    with staged(conn, "stage_direct_tie", pairs, {"transfer_id": "BIGINT", "register_id": "BIGINT"}) as stage:
        conn.execute(text(
            f"UPDATE bank_transfer SET register_id = (SELECT s.register_id FROM {stage} s"  # noqa: S608
            f" WHERE s.transfer_id = bank_transfer.id) WHERE id IN (SELECT transfer_id FROM {stage})"
        ))  # fmt: skip
        done = conn.execute(
            text(
                f"UPDATE register SET tie_status = :tied, tie_rule = :rule"  # noqa: S608
                f" WHERE id IN (SELECT register_id FROM {stage}) AND tie_status IS NULL"
            ),
            {"tied": TieStatus.TIED.value, "rule": rule},
        )
        return int(done.rowcount)


def mismatched_registers(conn: Connection, channels: list[str]) -> pd.DataFrame:
    """Registers of ``channels`` tied to a п/п with a difference (on any night): ``register_id``,
    ``channel``, ``status``, ``rule``, the transfer (``transfer_number``, ``transfer_date``,
    ``transfer_amount``, ``transfer_line_no``: its id), ``difference`` (п/п less the register's net
    and the riders' money it already carries, ``carried_riders``)
    and ``register_date``: where ГИС ЖКХ payments that came later may have their money."""
    query = text(
        "SELECT r.id AS register_id, r.channel, r.tie_status AS status, r.tie_rule AS rule,"
        " t.number AS transfer_number, t.date AS transfer_date, t.amount AS transfer_amount,"
        " t.id AS transfer_line_no,"
        " t.amount - COALESCE(r.declared_transfer, r.amount_total - r.commission_total)"
        " - COALESCE((SELECT SUM(COALESCE(q.posted_amount, 0) + COALESCE(q.suspense_amount, 0)"
        "   - COALESCE(q.commission_total, 0)) FROM register q"
        "   WHERE q.transfer_id = t.id AND q.tie_rule = :with_bank AND q.status = :posted), 0) AS difference,"
        " (SELECT MAX(p.paid_date) FROM payment p WHERE p.register_id = r.id) AS register_date"
        " FROM register r JOIN bank_transfer t ON t.id = r.transfer_id"
        " WHERE r.status = :posted AND r.tie_status = :mismatch AND r.channel IN :channels ORDER BY r.id"
    ).bindparams(bindparam("channels", expanding=True))
    params = {"posted": RegisterStatus.POSTED, "mismatch": TieStatus.TRANSFER_MISMATCH, "channels": channels,
              "with_bank": RULE_WITH_BANK}
    rows = conn.execute(query, params).all() if channels else []
    columns = ["register_id", "channel", "status", "rule", "transfer_number", "transfer_date", "transfer_amount",
               "transfer_line_no", "difference", "register_date"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)
