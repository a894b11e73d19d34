"""Accountants' resolutions: suspense payments moved to the supplier by a new ledger entry.

A workbook dropped into ``inbox/resolutions/`` names, for some suspense payments, the right ЛС or
УИП. Each resolution is checked (the payment is still in suspense, the target is a known ПД or an
account with ПД) and applied as a reclassification entry split over that ПД's lines; one that
names an unknown account is rejected with a reason and changes nothing. Several rows of one
payment with an amount each split it across those ПД (``rkc.assign``: the workbench's rules,
all parts or none). Who resolved what, from which file, is recorded in ``resolution``.
"""

from __future__ import annotations

import logging
import stat
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Connection, Engine

from reports.resolutions import ResolutionBook, ResolutionRequest, read_book
from rkc.assign import Refused, assign_parts
from rkc.config import Config
from rkc.filing import file_away, record_bad_file
from sql.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResolutionSummary:
    """What the night did with the accountants' workbooks (JSON-able)."""

    files: int = 0
    applied: int = 0
    rejected: list[str] = field(default_factory=list)  # "<file>:<row>: <reason>", one per refused row
    quarantined: list[dict] = field(default_factory=list)  # {"file", "reason", "stored_path"} per refused workbook

    def to_dict(self) -> dict:
        """As a plain dict, for passing between tasks and into the run summary."""
        return asdict(self)


def apply_resolutions(config: Config, engine: Engine, run_date: date) -> ResolutionSummary:
    """Apply every workbook in ``inbox/resolutions``; file it away (archive with a note of the
    refused rows, or quarantine with the reason when nothing of it can be read). No workbook's
    content fails the night: whatever fails is named, and the workbook leaves the inbox."""
    folder = config.resolutions_inbox
    # Regular .xlsx files only: an upload in progress (``.name``) waits, a link is never followed.
    books = sorted(
        p for p in folder.iterdir()
        if p.suffix.lower() == ".xlsx" and not p.name.startswith(".") and stat.S_ISREG(p.lstat().st_mode)
    ) if folder.is_dir() else []  # fmt: skip
    applied, rejected, quarantined = 0, [], []
    for book in books:
        parsed = _read(book)
        if parsed.refused is not None:
            log.warning("%s: resolutions workbook quarantined: %s", book.name, parsed.detail)
            stored = _file(book, config.quarantine / run_date.isoformat() / "resolutions", parsed.refused)
            quarantined.append({"file": book.name, "reason": parsed.refused, "stored_path": stored})
            record_bad_file(engine, run_date, "resolutions", book.name, parsed.refused)
            continue
        notes = [f"{book.name}:{e.line_no}: {e.reason}" for e in parsed.errors]
        for group in _by_payment(parsed.requests):
            reason = _apply_guarded(engine, group, book.name, run_date)
            if reason is None:
                applied += 1
            else:
                rows = ",".join(str(r.row) for r in group)
                notes.append(f"{book.name}:{rows}: платёж {group[0].payment_id}: {reason}")
        if notes:
            log.warning("%s: %d resolution rows refused", book.name, len(notes))
        rejected += notes
        _file(book, config.archive / run_date.isoformat() / "resolutions", "\n".join(notes) or None)
    if books:
        log.info("resolutions: %d workbooks, %d applied, %d rows refused, %d workbooks quarantined",
                 len(books), applied, len(rejected), len(quarantined))  # fmt: skip
    return ResolutionSummary(len(books), applied, rejected, quarantined)


def _read(book: Path) -> ResolutionBook:
    """``read_book``, with a bug of the reader itself turned into a refusal (traceback logged)."""
    try:
        return read_book(book)
    except Exception as exc:  # a workbook must never block the night; the log keeps the bug
        log.exception("%s: reading the resolutions workbook failed", book.name)
        return ResolutionBook([], [], f"книга не прочитана: внутренняя ошибка {type(exc).__name__}, "
                                      "сообщите администратору", f"reader failed: {type(exc).__name__}")  # fmt: skip


def _by_payment(requests: list[ResolutionRequest]) -> list[list[ResolutionRequest]]:
    """The workbook's rows grouped by payment, in the order each payment first appears: one row
    moves the payment, several split it (``reports.resolutions`` keeps several only with amounts)."""
    groups: dict[int, list[ResolutionRequest]] = {}
    for request in requests:
        groups.setdefault(request.payment_id, []).append(request)
    return list(groups.values())


def _apply_guarded(engine: Engine, group: list[ResolutionRequest], source: str, run_date: date) -> str | None:
    """``_apply_one`` in its own transaction: a refusal or any error rolls back this payment's rows
    only and becomes their reason (an error's type named, its traceback logged)."""
    try:
        with UnitOfWork(engine) as uow:
            reason = _apply_one(uow.conn, group, source, run_date)
            if reason is None:
                uow.commit()
            return reason
    except Exception as exc:  # one row's failure must not fail the night; the log keeps it
        log.exception("%s:%d: resolution of payment %d failed", source, group[0].row, group[0].payment_id)
        return f"не применено: ошибка {type(exc).__name__}, сообщите администратору"


def _file(book: Path, folder: Path, note: str | None) -> str | None:
    """``file_away``; a workbook that cannot be moved stays in the inbox, logged, and the night goes on."""
    try:
        return str(file_away(book, folder, note))
    except OSError as exc:
        log.error("%s: could not be moved to %s: %s", book.name, folder, exc)
        return None


def _apply_one(conn: Connection, group: list[ResolutionRequest], source: str, run_date: date) -> str | None:
    """Apply one payment's rows (one target, or parts with amounts); return the reason they were
    rejected (Russian), or None when applied."""
    first = group[0]
    rows = ", ".join(str(r.row) for r in group)
    description = f"разнесено бухгалтером {first.resolved_by} ({source}, строка {rows})"
    done = assign_parts(conn, first.payment_id, [(r.target, r.amount) for r in group], resolved_by=first.resolved_by,
                        source=source, description=description, on=run_date)  # fmt: skip
    return done.reason if isinstance(done, Refused) else None


def resolve_payment(conn: Connection, request: ResolutionRequest, source: str, run_date: date) -> str | None:
    """Apply one resolution in the caller's transaction (the workbench's, which also records the
    case and the audit log); return the reason it is refused (Russian), or None when applied."""
    return _apply_one(conn, [request], source, run_date)
