"""Vocabulary of files that come and go over the network: what a collected file became, where a
delivery stands, and when a failed delivery is tried again. Pure: no I/O."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class CollectedStatus(StrEnum):
    """What became of a file fetched from a channel's source."""

    LANDED = "landed"  # put into the channel's inbox
    DUPLICATE = "duplicate"  # the same bytes were collected before under another name: not put in again


class OutboxStatus(StrEnum):
    """Where a delivery stands (docs/OPERATIONS.md, «Delivery»)."""

    PENDING = "pending"  # not sent yet: waiting for its first attempt, or for the next after a failure
    SENDING = "sending"  # claimed by a run that is sending it now
    SENT = "sent"  # the server accepted it
    FAILED = "failed"  # given up after the configured number of attempts: sent again only on purpose


class Transport(StrEnum):
    """How a delivery goes out."""

    EMAIL = "email"
    SFTP = "sftp"


class Document(StrEnum):
    """What is delivered."""

    STATEMENT = "statement"  # a supplier's monthly statement (XLSX), its register (CSV), its act
    PAYOUT = "payout"  # a supplier's notice of one date's payouts (XLSX); its period is the date


STATUS_RU = {OutboxStatus.PENDING: "ожидает отправки", OutboxStatus.SENDING: "отправляется",
             OutboxStatus.SENT: "отправлено", OutboxStatus.FAILED: "не отправлено"}  # fmt: skip
TRANSPORT_RU = {Transport.EMAIL: "электронная почта", Transport.SFTP: "SFTP"}


def next_attempt_at(now: datetime, attempts: int, retry_minutes: int) -> datetime:
    """When a delivery that has failed ``attempts`` times is tried again: ``retry_minutes``
    doubled after each failure, at most a day apart.

    >>> next_attempt_at(datetime(2026, 12, 1, 7, 0), 1, 30)
    datetime.datetime(2026, 12, 1, 7, 30)
    >>> next_attempt_at(datetime(2026, 12, 1, 7, 0), 3, 30)
    datetime.datetime(2026, 12, 1, 9, 0)
    """
    minutes = min(retry_minutes * 2 ** max(0, attempts - 1), 24 * 60)
    return now + timedelta(minutes=minutes)
