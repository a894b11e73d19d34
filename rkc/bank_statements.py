"""Bank statements read: each new statement of ``inbox/statements`` stored once with its documents.

Statements are read for the center's account (``center.bank_account``). A statement of another
account is recorded and archived, but its transfers are not stored for the tie-out; that, and other
accounts' sections in the center's file, are FOREIGN_STATEMENT discrepancies of the night. Each
incoming п/п of the center's statement is credited to the channel whose agent sent it, or to the
channel of payers' own п/п when no agent did (``domain.direct``); the center's own debits are
stored for the payouts (``rkc.payout_tie``). The nightly flow reads them before its decisions
(``rkc.direct``: payers' п/п are payments) and the tie-out reads whatever came since
(``rkc.tie``).
"""

from __future__ import annotations

import logging
import stat
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from domain.codes import Code
from domain.direct import is_direct
from domain.records import BankTransfer
from domain.tieout import agent_candidates, agent_channels, is_foreign, statement_flags
from parsers.base import BadFile, file_sha256
from rkc.config import Config
from rkc.filing import file_away, record_bad_file
from rkc.payout_tie import debit_rows
from sql import transfers
from sql.discrepancies import add_discrepancies
from sql.payouts import add_debits
from sql.uow import UnitOfWork


@dataclass
class StatementsRead:
    """What reading the night's statements did (JSON-able through ``to_dict``)."""

    read: int = 0
    added: int = 0
    debits: int = 0
    bad: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    ignored_documents: int = 0

    def to_dict(self) -> dict:
        """Plain dict for passing between tasks."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> StatementsRead:
        """Inverse of ``to_dict``."""
        return cls(**data)

    def plus(self, other: StatementsRead) -> StatementsRead:
        """Both readings of one night together (before its decisions, and at the tie-out)."""
        return StatementsRead(self.read + other.read, self.added + other.added, self.debits + other.debits,
                              self.bad + other.bad, self.foreign + other.foreign,
                              self.ignored_documents + other.ignored_documents)  # fmt: skip


def _regular(path: Path) -> bool:
    return stat.S_ISREG(path.lstat().st_mode)


def read_statements(config: Config, engine: Engine, run_date: date) -> StatementsRead:
    """Store every new statement of ``inbox/statements`` and its incoming transfers (the center's
    statements only); file them away."""
    from parsers.statement_1c import parse_statement

    folder = config.statements_inbox
    # Regular files only, links not followed (the inbox scan has quarantined the rest and listed the uploads).
    files = sorted(p for p in folder.iterdir() if _regular(p) and not p.name.startswith(".")) if folder.is_dir() else []
    channel_of = agent_channels(agents_of(config))
    candidates = agent_candidates(agents_of(config))
    direct = config.direct_channel
    done = StatementsRead()
    for path in files:
        sha = file_sha256(path)
        try:
            statement = parse_statement(path, account=config.center_account or None)
        except BadFile as exc:
            done.bad.append(f"{path.name}: {exc.reason}")
            record_bad_file(engine, run_date, "statements", path.name, exc.reason)
            file_away(path, config.quarantine / run_date.isoformat() / "statements", exc.reason)
            continue
        with UnitOfWork(engine) as uow:
            if not transfers.statement_known(uow.conn, sha):
                sid = transfers.add_statement(
                    uow.conn, file=path.name, sha256=sha, account=statement.account, date_from=statement.date_from,
                    date_to=statement.date_to, opening=statement.opening, closing=statement.closing,
                    run_date=run_date,
                )  # fmt: skip
                # A foreign statement's п/п are not the center's money: none is stored to tie a register.
                foreign = is_foreign(statement, config.center_account)
                incoming = [t for t in statement.transfers if t.incoming and not foreign]
                rows = pd.DataFrame(
                    [{"statement_id": sid, "number": t.number, "date": t.date.isoformat(), "amount": t.amount,
                      "payer_name": t.payer_name, "payer_inn": t.payer_inn, "payer_account": t.payer_account,
                      "purpose": t.purpose, "line_no": t.line_no,
                      "channel": _credited_to(config, channel_of, candidates, direct, t)} for t in incoming]
                )  # fmt: skip
                done.added += transfers.add_new_transfers(uow.conn, rows)
                # The center's own debits: payouts to tie (rkc/payout_tie.py), or strangers to report.
                outgoing = [t for t in statement.transfers if not t.incoming and not foreign]
                done.debits += add_debits(uow.conn, debit_rows(sid, outgoing))
            flags = statement_flags(statement, config.center_account)
            _record_foreign(uow.conn, path, flags, run_date)
            uow.commit()
        done.read += 1
        done.foreign += [f"{path.name}: {detail}" for detail, _ in flags]
        done.ignored_documents += statement.ignored_documents
        _log_foreign(path, statement, config.center_account)
        stored = file_away(path, config.archive / run_date.isoformat() / "statements", None)
        with UnitOfWork(engine) as uow:  # the payments of its payers' п/п point at it (rkc/direct.py)
            transfers.set_statement_path(uow.conn, sha, str(stored))
            uow.commit()
    return done


def _credited_to(config: Config, channel_of, candidates, direct: str | None, t: BankTransfer) -> str | None:  # type: ignore[no-untyped-def]
    """The channel an incoming п/п is credited to: its agent's (None while two channels share the
    payer: the register it pays names it), else the channel of payers' п/п when it is a payer's
    own payment (``domain.direct.is_direct``: no channel names the payer), else none."""
    agents = candidates(t.payer_inn, t.payer_account)
    if direct and is_direct(t.payer_inn, t.payer_account, agents, config.center_inn, config.center_account):
        return direct
    return channel_of(t.payer_inn, t.payer_account)


def agents_of(config: Config) -> list[tuple[str, str, str]]:
    """``(channel, agent INN, agent account)`` of every configured channel with an agent."""
    return [(c.name, c.agent_inn, c.agent_account) for c in config.channels.values() if c.agent_inn or c.agent_account]


def _log_foreign(path: Path, statement, center_account: str) -> None:  # type: ignore[no-untyped-def]
    log = logging.getLogger("rkc.tie")
    if is_foreign(statement, center_account):
        log.warning("%s: FOREIGN_STATEMENT: a statement of account %s, not the center's %s; its transfers are not "
                    "tied to registers", path.name, statement.account, center_account)  # fmt: skip
    if statement.other_accounts:
        log.warning("%s: FOREIGN_STATEMENT: sections of other accounts (%s) not read, %d documents ignored",
                    path.name, ", ".join(statement.other_accounts), statement.ignored_documents)  # fmt: skip


def _record_foreign(conn, path: Path, flags: list[tuple[str, int | None]], run_date: date) -> None:  # type: ignore[no-untyped-def]
    """FOREIGN_STATEMENT discrepancies of one statement file (none: nothing written)."""
    if not flags:
        return
    rows = pd.DataFrame([{"run_date": run_date.isoformat(), "code": Code.FOREIGN_STATEMENT.value,
                          "channel": "statements", "file": path.name, "detail": detail, "amount": amount}
                         for detail, amount in flags])  # fmt: skip
    rows["amount"] = rows["amount"].astype("Int64")
    add_discrepancies(conn, rows)
