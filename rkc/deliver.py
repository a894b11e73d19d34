"""``rkc deliver``: supplier statements (with the month's act of reconciliation) go out through the
outbox, by e-mail or to the supplier's SFTP, once each.

1. The statements written for the period (``out/statements/<period>/<inn>/``) are queued: one
   delivery per supplier, to its SFTP directory when ``delivery.sftp`` names its ИНН, else to its
   e-mail address from the suppliers directory; a supplier with neither is listed, not skipped
   silently. A delivery queued before is not queued again (``--resend`` queues the next one).
2. Every pending delivery whose time has come (of any period) is claimed, sent with retries on
   network errors (``network``), and marked sent, or pending until its next attempt (after
   ``delivery.retry_minutes``, doubled each time), or failed after ``delivery.max_attempts``.
3. The delivery report of the period is written (``reports.deliveries``).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import getaddresses
from pathlib import Path

from sqlalchemy import Engine

from domain.transport import Document, Transport, next_attempt_at
from reports.deliveries import report_frame, report_path, write_report
from reports.letters import payout_letter, statement_letter
from reports.statements import statement_dir
from rkc.config import Config
from rkc.payouts import notice_path, payouts_dir
from rkc.transport import sftp, smtp
from rkc.transport.landing import sha256_of
from rkc.transport.retry import with_retries
from sql import outbox
from sql.uow import UnitOfWork

log = logging.getLogger("rkc.deliver")
Logger = logging.Logger | logging.LoggerAdapter
STALE_CLAIM = timedelta(minutes=30)  # a run sending one delivery longer than this has died
# The act of reconciliation goes with the statement when the statements run wrote one (rkc.statements.write_acts).
STATEMENT_FILES = ("statement-{period}-{inn}.xlsx", "register-{period}-{inn}.csv", "act-{period}-{inn}.xlsx")


class DeliveryError(Exception):
    """A delivery that cannot go as queued (its file changed or vanished): not a network error."""


@dataclass
class DeliveryRun:
    """What a run did: deliveries queued, sent, still pending (with their error), failed for good,
    suppliers with nowhere to send to, and the report written."""

    period: str
    queued: int = 0
    sent: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    unaddressed: list[str] = field(default_factory=list)
    report: str = ""


def utcnow() -> datetime:
    """Now in UTC, naive, as the outbox stores it."""
    return datetime.now(UTC).replace(tzinfo=None)


def recipients(address: str) -> str:
    """The directory's address field as a list for a To header: ``a@x; b@y`` → ``a@x, b@y``."""
    found = [addr for _, addr in getaddresses([address.replace(";", ",")]) if "@" in addr]
    return ", ".join(found)


def wanted_statements(config: Config, engine: Engine, period: str) -> tuple[list[outbox.Wanted], list[dict]]:
    """The deliveries the period's statements call for, and the suppliers with nowhere to send to."""
    root = config.out / "statements" / period
    folders = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []  # one per supplier
    paths = {f.name: [statement_dir(config.out, period, f.name) / n.format(period=period, inn=f.name)
                      for n in STATEMENT_FILES] for f in folders}  # fmt: skip
    return _wanted(config, engine, Document.STATEMENT, period, paths, "нет файлов выписки")


def wanted_payout_notices(config: Config, engine: Engine, day: date) -> tuple[list[outbox.Wanted], list[dict]]:
    """The deliveries the payout notices of ``day`` call for (``rkc payouts prepare`` wrote them),
    and the suppliers with nowhere to send to."""
    root = payouts_dir(config, day)
    folders = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []  # one per supplier paid
    paths = {f.name: [notice_path(config, day, f.name)] for f in folders}
    return _wanted(config, engine, Document.PAYOUT, day.isoformat(), paths, "нет уведомления о перечислении")


def _wanted(config: Config, engine: Engine, document: Document, period: str, paths: dict[str, list[Path]],
            no_files: str) -> tuple[list[outbox.Wanted], list[dict]]:  # fmt: skip
    """One delivery per supplier of ``paths`` (ИНН → its files): to its SFTP directory when
    ``delivery.sftp`` names it, else to its e-mail; the suppliers with neither, or no file, listed."""
    with engine.connect() as conn:
        contacts = outbox.supplier_contacts(conn)
    wanted, unaddressed = [], []
    for inn, candidates in paths.items():
        name, email = contacts.get(inn, ("", ""))
        files = [{"name": p.name, "path": str(p), "sha256": sha256_of(p), "size": p.stat().st_size}
                 for p in candidates if p.is_file()]  # fmt: skip
        to = recipients(email)
        if inn in config.delivery.sftp:
            transport, recipient = Transport.SFTP, _sftp_target(config, inn)
        elif to and config.delivery.smtp is not None:
            transport, recipient = Transport.EMAIL, to
        else:
            why = "в справочнике поставщиков нет адреса эл. почты, SFTP не задан" if not to else \
                "SMTP не настроен (delivery.smtp в rkc.yaml)"  # fmt: skip
            unaddressed.append({"supplier_inn": inn, "supplier_name": name, "reason": why})
            continue
        if not files:
            unaddressed.append({"supplier_inn": inn, "supplier_name": name, "reason": no_files})
            continue
        wanted.append(outbox.Wanted(document, period, inn, transport, recipient, files))
    return wanted, unaddressed


def _sftp_target(config: Config, inn: str) -> str:
    endpoint = config.delivery.sftp[inn]
    return f"sftp://{endpoint.user}@{endpoint.host}:{endpoint.port}{endpoint.path}"


def deliver(config: Config, engine: Engine, period: str, *, resend: bool = False, now: datetime | None = None,
            logger: Logger = log, payouts_of: date | None = None) -> DeliveryRun:  # fmt: skip
    """Queue the period's statements (or, with ``payouts_of``, that date's payout notices: the
    period is then the date), send every delivery that is due, write the report."""
    now = now or utcnow()
    run = DeliveryRun(period)
    if payouts_of is None:
        wanted, unaddressed = wanted_statements(config, engine, period)
    else:
        wanted, unaddressed = wanted_payout_notices(config, engine, payouts_of)
    run.unaddressed = [f"{u['supplier_inn']}: {u['reason']}" for u in unaddressed]
    for line in run.unaddressed:
        logger.warning("statement %s not delivered: %s", period, line)
    with UnitOfWork(engine) as uow:
        counts = outbox.enqueue(uow.conn, wanted, resend=resend)
        released = outbox.release_stale(uow.conn, now - STALE_CLAIM)
        due = outbox.due(uow.conn, now)
        names = {inn: name for inn, (name, _) in outbox.supplier_contacts(uow.conn).items()}
        uow.commit()
    run.queued = counts["queued"]
    if released:
        logger.warning("%d deliveries were claimed by a run that stopped: pending again", released)
    for delivery in due:
        _send_one(config, engine, {**delivery, "supplier_name": names.get(delivery["supplier_inn"], "")}, now, run,
                  logger)  # fmt: skip
    with engine.connect() as conn:
        rows = outbox.deliveries(conn, period)
    path = write_report(report_path(config.out, period), report_frame(rows, unaddressed, config.timezone))
    run.report = str(path)
    logger.info("deliver %s: %d queued, %d sent, %d pending, %d failed, %d without address; report %s", period,
                run.queued, len(run.sent), len(run.pending), len(run.failed), len(run.unaddressed), path)  # fmt: skip
    return run


def _send_one(config: Config, engine: Engine, delivery: dict, now: datetime, run: DeliveryRun,
              logger: Logger) -> None:  # fmt: skip
    """Claim one delivery, send it, record the outcome."""
    label = f"{delivery['period']} {delivery['supplier_inn']} → {delivery['recipient']}"
    with UnitOfWork(engine) as uow:
        if not outbox.claim(uow.conn, delivery["id"], now):
            return  # another run took it
        uow.commit()
    try:
        message_id = _send(config, delivery, logger, label)
    except Exception as exc:  # every failure is recorded on the row; the other deliveries go on
        attempts = delivery["attempts"] + 1
        error = f"{type(exc).__name__}: {exc}"
        give_up = attempts >= config.delivery.max_attempts
        next_at = None if give_up else next_attempt_at(now, attempts, config.delivery.retry_minutes)
        with UnitOfWork(engine) as uow:
            outbox.mark_failed(uow.conn, delivery["id"], error, next_at)
            uow.commit()
        (run.failed if give_up else run.pending).append(f"{label}: {error}")
        logger.error("delivery %s failed (attempt %d of %d): %s", label, attempts, config.delivery.max_attempts,
                     error)  # fmt: skip
        return
    with UnitOfWork(engine) as uow:
        outbox.mark_sent(uow.conn, delivery["id"], utcnow(), message_id)
        uow.commit()
    run.sent.append(label)
    logger.info("delivery %s sent", label)


def _checked_files(delivery: dict) -> list[tuple[Path, str, bytes]]:
    """Each queued file (path, name, content), as long as it still has the queued sha256."""
    out = []
    for f in delivery["files"]:
        path = Path(f["path"])
        try:
            content = path.read_bytes()
        except FileNotFoundError as exc:
            raise DeliveryError(f"{path}: the file is gone") from exc
        if hashlib.sha256(content).hexdigest() != f["sha256"]:
            raise DeliveryError(f"{path}: changed since it was queued (rkc deliver queues it anew)")
        out.append((path, f["name"], content))
    return out


def _send(config: Config, delivery: dict, logger: Logger, label: str) -> str | None:
    """Send one delivery with retries on network errors; the letter's Message-ID for e-mail."""
    files = _checked_files(delivery)
    network = config.network
    if delivery["transport"] == Transport.SFTP.value:
        endpoint = config.delivery.sftp.get(delivery["supplier_inn"])
        if endpoint is None:
            raise DeliveryError(f"delivery.sftp has no {delivery['supplier_inn']} any more")
        with_retries(lambda: sftp.upload(endpoint, network.timeout_seconds, [(p, n) for p, n, _ in files]),
                     network, sftp.sftp_transient, f"deliver {label}", logger)  # fmt: skip
        return None
    settings = config.delivery.smtp
    if settings is None:
        raise DeliveryError("delivery.smtp is not configured any more")
    letter_of = payout_letter if delivery["document"] == Document.PAYOUT.value else statement_letter
    words = letter_of(center=config.center_name, supplier=delivery.get("supplier_name", ""),
                      inn=delivery["supplier_inn"], period=delivery["period"], files=[n for _, n, _ in files],
                      resend=delivery["generation"] > 1)  # fmt: skip
    letter = smtp.Letter(delivery["recipient"], words.subject, words.body,
                         tuple((words.attachment_names[n], content) for _, n, content in files))  # fmt: skip
    message = smtp.compose(settings, letter)
    with_retries(lambda: smtp.send(settings, message, network.timeout_seconds), network, smtp.smtp_transient,
                 f"deliver {label}", logger)  # fmt: skip
    return str(message["Message-ID"])

