"""Reading the ledger: balances and the integrity checks behind ``rkc ledger check``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from domain.ledger import natural_balance


@dataclass(frozen=True)
class Violation:
    """One thing wrong with the ledger, as a value."""

    # unbalanced_entry | empty_entry | balance_mismatch | double_posting | orphan_posting | unknown_payment
    # | unknown_reversed_entry | orphan_service_line | unknown_supplier
    kind: str
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.subject}: {self.detail}"


def balances(conn: Connection) -> dict[str, int]:
    """Balance per ledger account in its natural sign, from the postings (kopecks)."""
    rows = conn.execute(
        text("SELECT account, SUM(amount) FROM ledger_posting GROUP BY account ORDER BY account")
    ).all()
    return {account: natural_balance(account, int(total)) for account, total in rows}


def check_ledger(conn: Connection) -> list[Violation]:
    """Every violation found in one pass: unbalanced or empty entries, stored balances that differ
    from the postings, payments posted more than once (net of reversals), postings without an
    entry, entries naming a payment that is not stored, reversals of an entry that is not stored,
    and ПД service lines whose ПД or supplier is not stored."""
    found: list[Violation] = []
    for entry_id, total, legs in conn.execute(
        text(
            "SELECT e.id, COALESCE(SUM(p.amount), 0), COUNT(p.entry_id) FROM ledger_entry e"
            " LEFT JOIN ledger_posting p ON p.entry_id = e.id GROUP BY e.id"
            " HAVING COALESCE(SUM(p.amount), 0) <> 0 OR COUNT(p.entry_id) < 2 ORDER BY e.id"
        )
    ):
        kind = "unbalanced_entry" if total else "empty_entry"
        found.append(Violation(kind, f"entry {entry_id}", f"postings sum to {total} over {legs} legs"))
    for account, stored, actual in conn.execute(
        text(
            "SELECT COALESCE(b.account, p.account), COALESCE(b.balance, 0), COALESCE(p.total, 0)"
            " FROM ledger_balance b FULL OUTER JOIN"
            " (SELECT account, SUM(amount) AS total FROM ledger_posting GROUP BY account) p"
            " ON p.account = b.account WHERE COALESCE(b.balance, 0) <> COALESCE(p.total, 0)"
            " ORDER BY 1"
        )
    ):
        found.append(
            Violation("balance_mismatch", account, f"stored balance {stored} != sum of postings {actual}")
        )
    for payment_id, times in conn.execute(
        text(
            "SELECT payment_id, SUM(CASE WHEN kind = 'payment' THEN 1 WHEN kind = 'reversal'"
            " AND reverses_id IN (SELECT id FROM ledger_entry WHERE kind = 'payment') THEN -1 ELSE 0 END)"
            " FROM ledger_entry WHERE payment_id IS NOT NULL GROUP BY payment_id"
            " HAVING SUM(CASE WHEN kind = 'payment' THEN 1 WHEN kind = 'reversal'"
            " AND reverses_id IN (SELECT id FROM ledger_entry WHERE kind = 'payment') THEN -1 ELSE 0 END) > 1"
            " ORDER BY payment_id"
        )
    ):
        found.append(Violation("double_posting", f"payment {payment_id}", f"posted {times} times"))
    for kind, query, subject, detail in _REFERENCE_CHECKS:
        found += [Violation(kind, subject.format(key), detail.format(n)) for key, n in conn.execute(text(query))]
    return found


# Rows whose reference is not stored: the bulk tables carry no foreign keys (docs/LEDGER.md).
# (kind, query giving the missing key and a count or the key it names, subject, detail)
_REFERENCE_CHECKS = (
    ("orphan_posting",
     "SELECT p.entry_id, COUNT(*) FROM ledger_posting p WHERE NOT EXISTS"
     " (SELECT 1 FROM ledger_entry e WHERE e.id = p.entry_id) GROUP BY p.entry_id ORDER BY 1",
     "entry {}", "{} postings with no entry"),
    ("unknown_payment",
     "SELECT e.id, e.payment_id FROM ledger_entry e WHERE e.payment_id IS NOT NULL AND NOT EXISTS"
     " (SELECT 1 FROM payment p WHERE p.id = e.payment_id) ORDER BY 1",
     "entry {}", "names payment {}, not stored"),
    ("unknown_reversed_entry",
     "SELECT e.id, e.reverses_id FROM ledger_entry e WHERE e.reverses_id IS NOT NULL AND NOT EXISTS"
     " (SELECT 1 FROM ledger_entry r WHERE r.id = e.reverses_id) ORDER BY 1",
     "entry {}", "reverses entry {}, not stored"),
    ("orphan_service_line",  # a line of a ПД version that is not stored (since migration 0014: per version)
     "SELECT s.uip, COUNT(*) FROM service_line s WHERE NOT EXISTS (SELECT 1 FROM payment_document_version v"
     " WHERE v.uip = s.uip AND v.version = s.version) GROUP BY s.uip ORDER BY 1",
     "ПД {}", "{} service lines with no ПД version"),
    ("unknown_supplier",
     "SELECT s.supplier_inn, COUNT(*) FROM service_line s WHERE NOT EXISTS"
     " (SELECT 1 FROM supplier p WHERE p.inn = s.supplier_inn) GROUP BY s.supplier_inn ORDER BY 1",
     "supplier {}", "{} service lines, not in the directory"),
)  # fmt: skip
