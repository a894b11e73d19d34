"""Accountants' resolutions: suspense payments moved to the supplier by a new ledger entry.

A workbook dropped into ``inbox/resolutions/`` names, for some suspense payments, the right ЛС or
УИП. Each resolution is checked (the payment is still in suspense, the target is a known ПД or an
account with ПД) and applied as a reclassification entry split over that ПД's lines; one that
names an unknown account is rejected with a reason and changes nothing. Who resolved what, from
which file, is recorded in ``resolution``.
"""

from __future__ import annotations

import logging
import stat
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine

from domain.identifiers import row_id
from domain.identifiers.account import compact as compact_account
from domain.splitting import split_payments
from reports.resolutions import ResolutionBook, ResolutionRequest, read_book
from rkc.config import Config
from rkc.filing import file_away, record_bad_file
from sql.corrections import current_lines
from sql.entries import reclassify, suspense_amount
from sql.resolutions import add_resolution, document_exists, latest_documents, resolved_target
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
        for request in parsed.requests:
            reason = _apply_guarded(engine, request, book.name, run_date)
            if reason is None:
                applied += 1
            else:
                notes.append(f"{book.name}:{request.row}: платёж {request.payment_id}: {reason}")
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


def _apply_guarded(engine: Engine, request: ResolutionRequest, source: str, run_date: date) -> str | None:
    """``_apply_one`` in its own transaction: a refusal or any error rolls back this row only and
    becomes its reason (an error's type named, its traceback logged)."""
    try:
        with UnitOfWork(engine) as uow:
            reason = _apply_one(uow.conn, request, source, run_date)
            if reason is None:
                uow.commit()
            return reason
    except Exception as exc:  # one row's failure must not fail the night; the log keeps it
        log.exception("%s:%d: resolution of payment %d failed", source, request.row, request.payment_id)
        return f"не применено: ошибка {type(exc).__name__}, сообщите администратору"


def _file(book: Path, folder: Path, note: str | None) -> str | None:
    """``file_away``; a workbook that cannot be moved stays in the inbox, logged, and the night goes on."""
    try:
        return str(file_away(book, folder, note))
    except OSError as exc:
        log.error("%s: could not be moved to %s: %s", book.name, folder, exc)
        return None


def _apply_one(conn: Connection, request: ResolutionRequest, source: str, run_date: date) -> str | None:
    """Apply one resolution; return the reason it was rejected (Russian), or None when applied."""
    if (bad := row_id.problem(request.payment_id)) is not None:  # never hand a driver an id beyond BIGINT
        return bad
    if (previous := resolved_target(conn, request.payment_id)) is not None:
        return f"уже разнесён на ПД {previous}"
    held = suspense_amount(conn, request.payment_id)
    if held <= 0:
        return "платёж не найден среди невыясненных (нет такого ID или уже разнесён)"
    uip = _target_document(conn, request.target)
    if uip is None:
        return f"нет ПД с УИП или ЛС {request.target!r}"
    charges = current_lines(conn, uip)  # the version the split uses is recorded with the entry
    matched = pd.DataFrame({"payment_id": [request.payment_id], "uip": [uip], "amount": [held]})
    parts = split_payments(matched, charges).parts
    description = f"разнесено бухгалтером {request.resolved_by} ({source}, строка {request.row})"
    entry = reclassify(conn, request.payment_id, parts[["supplier_inn", "service", "amount"]], on=run_date,
                       description=description, document_version=int(charges["version"].iloc[0]))  # fmt: skip
    add_resolution(conn, payment_id=request.payment_id, target_uip=uip, resolved_by=request.resolved_by,
                   source_file=source, entry_id=entry)  # fmt: skip
    return None


def _target_document(conn: Connection, target: str) -> str | None:
    """The ПД an accountant means: a УИП as typed, else the account's ПД of the latest period, as
    matching pass 3 (``account_latest``) would find it; several there are ambiguous: none."""
    target = target.strip()
    if document_exists(conn, target):
        return target
    latest = latest_documents(conn, compact_account(target))
    return latest[0] if len(latest) == 1 else None


def resolve_payment(conn: Connection, request: ResolutionRequest, source: str, run_date: date) -> str | None:
    """Apply one resolution in the caller's transaction (the workbench's, which also records the
    case and the audit log); return the reason it is refused (Russian), or None when applied."""
    return _apply_one(conn, request, source, run_date)
