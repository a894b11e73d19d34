"""The database schema as SQLAlchemy 2.0 declarative models.

Money columns are BIGINT kopecks. Identifiers are strings. The database enforces what it can:
unique keys for files, payments and ledger entries, checks on amounts and statuses; the code checks
the rest (entries balance) before commit.
"""

from sql.models.base import KINDS_SQL, NAMING, Base, IdType, bytewise
from sql.models.charges import ChargesImport, PaymentDocument, PaymentDocumentVersion, ServiceLine, Supplier
from sql.models.exchange import CollectedFile, GisCancellation, GisExportItem, Outbox
from sql.models.ledger import LedgerBalance, LedgerBatch, LedgerEntry, LedgerPosting, ReversalRequest, RunManifest
from sql.models.night import (
    BankStatementFile,
    BankTransfer,
    Discrepancy,
    MeterReading,
    Payment,
    Register,
    Resolution,
    Run,
)
from sql.models.payouts import BankDebit, FeeBase, FeeMonth, Payout, PayoutBatch, PayoutHold, Refund
from sql.models.workbench import (
    AppSession,
    AppUser,
    AuditLog,
    CaseEvent,
    LoginAttempt,
    RegisterAcceptance,
    WorkCase,
    WriteOffRequest,
)

__all__ = [
    "KINDS_SQL",
    "NAMING",
    "AppSession",
    "AppUser",
    "AuditLog",
    "BankDebit",
    "BankStatementFile",
    "BankTransfer",
    "Base",
    "CaseEvent",
    "ChargesImport",
    "CollectedFile",
    "Discrepancy",
    "FeeBase",
    "FeeMonth",
    "GisCancellation",
    "GisExportItem",
    "IdType",
    "LedgerBalance",
    "LedgerBatch",
    "LedgerEntry",
    "LedgerPosting",
    "LoginAttempt",
    "MeterReading",
    "Outbox",
    "Payment",
    "PaymentDocument",
    "PaymentDocumentVersion",
    "Payout",
    "PayoutBatch",
    "PayoutHold",
    "Refund",
    "Register",
    "RegisterAcceptance",
    "Resolution",
    "ReversalRequest",
    "Run",
    "RunManifest",
    "ServiceLine",
    "Supplier",
    "WorkCase",
    "WriteOffRequest",
    "bytewise",
]
