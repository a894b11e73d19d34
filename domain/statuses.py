"""The status vocabularies of registers, payments and the tie-out, as the database stores them.

StrEnums: a member equals its string, so stored values, JSON and tests read the same as before.
Other vocabularies live beside their rules: ``domain.ledger.EntryKind``, ``domain.cases.CaseStatus``,
``domain.payouts.PayoutStatus``, ``domain.gis_exchange.ItemStatus``, ``domain.codes.Code``.
"""

from __future__ import annotations

from enum import StrEnum

from domain.codes import Code


class RegisterStatus(StrEnum):
    """A register file's state (``register.status``; the database checks the same list)."""

    RECEIVED = "received"  # recorded, not committed yet
    POSTED = "posted"  # its payments are in the ledger
    QUARANTINED = "quarantined"  # kept whole out of the ledger (docs/RULES.md)
    BAD_FILE = "bad_file"  # refused as unreadable; read again when it comes back
    DUPLICATE = "duplicate"  # the same bytes were committed before
    RECALLED = "recalled"  # reversed whole at a user's request


# Registers whose file was committed: its content hash may not be read again.
COMMITTED = (RegisterStatus.POSTED, RegisterStatus.QUARANTINED)


class Outcome(StrEnum):
    """Where a payment line's money went: the bridge's buckets (``domain.bridge``, docs/OPERATIONS.md),
    each register's amounts by outcome summing to its total."""

    POSTED = "posted"  # matched to a ПД and split to its suppliers
    SUSPENSE = "suspense"  # posted to suspense, unmatched
    REJECTED = "rejected"  # a line that is not a valid payment
    DUPLICATE = "duplicate"  # a payment seen before
    QUARANTINED = "quarantined"  # its register is quarantined


class MatchStatus(StrEnum):
    """What matching a payment to a ПД found (``domain.matching``)."""

    MATCHED = "matched"
    SUSPENSE = "suspense"


class TieStatus(StrEnum):
    """A register's tie-out to its п/п (``register.tie_status``): tied, or the discrepancy code."""

    TIED = "tied"
    TRANSFER_MISMATCH = Code.TRANSFER_MISMATCH.value
    TRANSFER_MISSING = Code.TRANSFER_MISSING.value


class IntakeStatus(StrEnum):
    """What reading a register file gave (``rkc.intake.Intake.status``)."""

    PARSED = "parsed"  # read: its payments wait in the work directory
    BAD_FILE = "bad_file"  # unreadable: refused whole, with the reason
    DUPLICATE_FILE = "duplicate_file"  # these bytes were received before: not read again
    RECOVERED = "recovered"  # committed by a run that died before filing it: only filed now
