"""How long a payment's identifiers may be: one place for the limits every format checks.

docs/FORMATS.md (identifiers): the УИП, the operation id and the ЛС are at most 32 characters in
every register format; the ledger's columns are exactly that wide.
"""

from __future__ import annotations

MAX_OPERATION_ID = 32
MAX_ACCOUNT = 32  # the ЛС as written (and so its compact form too)
MAX_UIP = 32
