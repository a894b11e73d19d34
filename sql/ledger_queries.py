"""Reading the ledger: balances and the integrity checks behind ``rkc ledger check``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

from domain.ledger import natural_balance
from sql.partitions import next_month, posting_months


@dataclass(frozen=True)
class Violation:
    """One thing wrong with the ledger, as a value."""

    # unbalanced_entry | empty_entry | balance_mismatch | double_posting | orphan_posting
    # | posting_date_mismatch | unknown_payment | unknown_reversed_entry | orphan_service_line | unknown_supplier
    kind: str
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.subject}: {self.detail}"


# A month's reads (:lo its first day, :hi the next month's): each touches that month's partition of
# ``ledger_posting`` only, and the month's entries by their value-date index.
MONTH_ENTRIES = (  # entries that do not balance or have fewer than two legs
    "SELECT e.id, COALESCE(SUM(p.amount), 0), COUNT(p.entry_id) FROM ledger_entry e"
    " LEFT JOIN ledger_posting p ON p.entry_id = e.id AND p.value_date >= :lo AND p.value_date < :hi"
    " WHERE e.value_date >= :lo AND e.value_date < :hi GROUP BY e.id"
    " HAVING COALESCE(SUM(p.amount), 0) <> 0 OR COUNT(p.entry_id) < 2 ORDER BY e.id"
)
MONTH_STRAY_LEGS = (  # legs with no entry, or whose entry has another value date
    "SELECT p.entry_id, COUNT(*), MIN(e.value_date) FROM ledger_posting p"
    " LEFT JOIN ledger_entry e ON e.id = p.entry_id"
    " WHERE p.value_date >= :lo AND p.value_date < :hi AND (e.id IS NULL OR e.value_date <> p.value_date)"
    " GROUP BY p.entry_id ORDER BY 1"
)
MONTH_ACCOUNTS = (  # the month's sums per account, added up to check the stored balances
    "SELECT account, SUM(amount) FROM ledger_posting WHERE value_date >= :lo AND value_date < :hi GROUP BY account"
)


def balances(conn: Connection) -> dict[str, int]:
    """Balance per ledger account in its natural sign, from the postings (kopecks)."""
    rows = conn.execute(
        text("SELECT account, SUM(amount) FROM ledger_posting GROUP BY account ORDER BY account")
    ).all()
    return {account: natural_balance(account, int(total)) for account, total in rows}


def check_ledger(conn: Connection, months: list[date] | None = None) -> list[Violation]:
    """Every violation found in one pass: unbalanced or empty entries, stored balances that differ
    from the postings, payments posted more than once (net of reversals), postings without an
    entry or dated otherwise than it, entries naming a payment that is not stored, reversals of
    an entry that is not stored, and ПД service lines whose ПД or supplier is not stored.

    Entries and their legs are read a month at a time (on PostgreSQL each month's read touches
    its partition of ``ledger_posting`` only). With ``months`` only those months' entries and
    legs are checked; the balances, double postings and references need the whole ledger and are
    left out."""
    found: list[Violation] = []
    totals: dict[str, int] = {}
    for month in sorted(months) if months is not None else ledger_months(conn):
        found += _month_violations(conn, month, totals)
    if months is not None:
        return found
    stored = {r[0]: r[1] for r in conn.execute(text("SELECT account, balance FROM ledger_balance"))}
    for account in sorted(set(stored) | set(totals)):
        held, actual = int(stored.get(account, 0)), totals.get(account, 0)
        if held != actual:
            found.append(Violation("balance_mismatch", account, f"stored balance {held} != sum of postings {actual}"))
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


def _month_violations(conn: Connection, month: date, totals: dict[str, int]) -> list[Violation]:
    """The violations of one month's entries and legs; adds its legs' sums per account to ``totals``."""
    bounds = {"lo": month, "hi": next_month(month)}
    found = []
    for entry_id, total, legs in conn.execute(
        text(MONTH_ENTRIES),
        bounds,
    ):
        kind = "unbalanced_entry" if total else "empty_entry"
        found.append(Violation(kind, f"entry {entry_id}", f"postings sum to {total} over {legs} legs"))
    for entry_id, count, dated in conn.execute(
        text(MONTH_STRAY_LEGS),
        bounds,
    ):
        if dated is None:
            found.append(Violation("orphan_posting", f"entry {entry_id}", f"{count} postings with no entry"))
        else:
            detail = f"{count} postings dated in {month:%Y-%m}, the entry {str(dated)[:10]}"
            found.append(Violation("posting_date_mismatch", f"entry {entry_id}", detail))
    for account, total in conn.execute(
        text(MONTH_ACCOUNTS),
        bounds,
    ):
        totals[account] = totals.get(account, 0) + int(total)
    return found


def ledger_months(conn: Connection) -> list[date]:
    """Every month that has entries or postings, in order (each read by an index, not a scan)."""
    if conn.dialect.name == "postgresql":
        rows = conn.execute(
            text(
                "WITH RECURSIVE m(d) AS (SELECT date_trunc('month', MIN(value_date))::date FROM ledger_entry"
                " UNION ALL SELECT (SELECT date_trunc('month', MIN(value_date))::date FROM ledger_entry"
                " WHERE value_date >= CAST(m.d + interval '1 month' AS date)) FROM m WHERE m.d IS NOT NULL)"
                " SELECT d FROM m WHERE d IS NOT NULL"
            )
        ).scalars()
        entry_months = set(rows)
    else:
        rows = conn.execute(text("SELECT DISTINCT SUBSTR(value_date, 1, 7) FROM ledger_entry")).scalars()
        entry_months = {date(int(m[:4]), int(m[5:7]), 1) for m in rows}
    return sorted(entry_months | set(posting_months(conn)))


# Rows whose reference is not stored: the bulk tables carry no foreign keys (docs/LEDGER.md).
# (kind, query giving the missing key and a count or the key it names, subject, detail)
_REFERENCE_CHECKS = (
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
