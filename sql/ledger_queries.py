"""Reading the ledger: balances and the integrity checks behind ``rkc ledger check``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import cast

from sqlalchemy import Connection, Row, text

from domain.ledger import natural_balance
from sql.engine import is_postgres
from sql.ledger_jobs import confirmed, run_jobs
from sql.partitions import next_month, posting_months
from sql.planner import planner_settings


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


# A month's pass (:lo its first day, :hi the next month's): the month's legs aggregated per entry in
# one read of its partition, joined to the month's entries (read by their value-date index). Only
# what may be wrong comes out, nothing on a clean month: an entry whose legs there do not balance or
# are fewer than two, and legs whose entry is not among the month's or has another date (suspects,
# confirmed leg by leg by ``STRAY_LEGS``). PostgreSQL joins the two sides in full; SQLite, which has
# FULL JOIN only since 3.39, adds the legs without an entry of the month apart.
_MONTH_LEGS = (  # of the entries :first to :last (a month is read in slices of entry ids)
    "SELECT entry_id, SUM(amount) AS total, COUNT(*) AS legs, MIN(value_date) AS first, MAX(value_date) AS last"
    " FROM ledger_posting WHERE value_date >= :lo AND value_date < :hi AND entry_id BETWEEN :first AND :last"
    " GROUP BY entry_id"
)
_MONTH_ENTRIES = (
    "SELECT id, value_date FROM ledger_entry"
    " WHERE value_date >= :lo AND value_date < :hi AND id BETWEEN :first AND :last"
)
_SUSPECT = "l.total <> 0 OR l.legs < 2 OR l.first <> e.value_date OR l.last <> e.value_date"
MONTH_PASS = {
    "postgresql": (
        f"SELECT e.id, l.entry_id, l.total, l.legs FROM ({_MONTH_LEGS}) l FULL JOIN ({_MONTH_ENTRIES}) e"  # noqa: S608
        f" ON e.id = l.entry_id WHERE e.id IS NULL OR l.entry_id IS NULL OR {_SUSPECT}"
    ),
    "sqlite": (
        f"WITH l AS ({_MONTH_LEGS}) SELECT e.id, l.entry_id, l.total, l.legs FROM ({_MONTH_ENTRIES}) e"  # noqa: S608
        f" LEFT JOIN l ON l.entry_id = e.id WHERE l.entry_id IS NULL OR {_SUSPECT}"
        " UNION ALL SELECT NULL, l.entry_id, l.total, l.legs FROM l WHERE NOT EXISTS (SELECT 1 FROM ledger_entry e"
        " WHERE e.id = l.entry_id AND e.value_date >= :lo AND e.value_date < :hi)"
    ),
}
# On PostgreSQL the pass streams: the partition read in its key's order (entry ids lead it; the legs
# are written in that order) and aggregated entry by entry, merged with the month's entries sorted
# by id. The planner's own choice, hash tables of a month's entries, was 2-3× slower (PERFORMANCE.md,
# session 13). No JIT: compiling costs more than it saves on these plans.
MONTH_PASS_SETTINGS = {"enable_hashagg": "off", "enable_hashjoin": "off", "work_mem": "256MB", "jit": "off"}
STRAY_LEGS = (  # of the suspects :ids, the month's legs with no entry, or whose entry has another value date
    "SELECT p.entry_id, COUNT(*), MIN(e.value_date) FROM ledger_posting p"
    " LEFT JOIN ledger_entry e ON e.id = p.entry_id"
    " WHERE p.value_date >= :lo AND p.value_date < :hi AND p.entry_id IN :ids"
    " AND (e.id IS NULL OR e.value_date <> p.value_date)"
    " GROUP BY p.entry_id ORDER BY 1"
)
MONTH_IDS = "SELECT MIN(entry_id), MAX(entry_id) FROM ledger_posting WHERE value_date >= :lo AND value_date < :hi"
MONTH_ACCOUNTS = (  # the month's sums per account, added up to check the stored balances
    "SELECT account, SUM(amount) FROM ledger_posting WHERE value_date >= :lo AND value_date < :hi GROUP BY account"
)
# Payments that may be posted twice or are not stored, in one read of two indexes (the entries' by
# payment, the payments' key; no table read): those with two entries or more (only payment entries
# count, reversals take some back: ``DOUBLE_POSTINGS`` confirms), and those without their row
# (``UNKNOWN_PAYMENTS`` lists their entries). Reading each entry's kind here too doubled the time.
PAYMENT_SUSPECTS = (
    "SELECT e.payment_id FROM ledger_entry e LEFT JOIN payment p ON p.id = e.payment_id"
    " WHERE e.payment_id IS NOT NULL GROUP BY e.payment_id HAVING COUNT(*) > 1 OR MAX(p.id) IS NULL"
)
# The reversed entry joined by its key: ``reverses_id IN (SELECT id … WHERE kind = 'payment')``, as
# the check said before, made PostgreSQL hash every payment entry of the ledger for each chunk.
_NET_POSTED = (
    "SUM(CASE WHEN e.kind = 'payment' THEN 1 WHEN e.kind = 'reversal' AND r.kind = 'payment' THEN -1 ELSE 0 END)"
)
# Both read the suspects' entries by payment ({which}: ``IN :ids``), or every entry naming a payment
# (``IS NOT NULL``) when the suspects are more than ``_SUSPECTS_MAX``: each suspect is an index
# descent (100,000 of them took ~4 s under load 12, about what one read of every entry takes).
DOUBLE_POSTINGS = (  # payments posted more than once, net of reversals of a payment entry
    f"SELECT e.payment_id, {_NET_POSTED} FROM ledger_entry e LEFT JOIN ledger_entry r ON r.id = e.reverses_id"  # noqa: S608
    f" WHERE e.payment_id {{which}} GROUP BY e.payment_id HAVING {_NET_POSTED} > 1 ORDER BY e.payment_id"
)
UNKNOWN_PAYMENTS = (
    "SELECT e.id, e.payment_id FROM ledger_entry e WHERE e.payment_id {which} AND NOT EXISTS"
    " (SELECT 1 FROM payment p WHERE p.id = e.payment_id)"
)
_SUSPECTS_MAX = 100_000
_LOWEST, _HIGHEST = -(2**63), 2**63 - 1  # every entry id (a stray leg may name any)


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

    Entries and their legs are read a month at a time, each month in one pass (on PostgreSQL over
    its partition of ``ledger_posting`` only). With ``months`` only those months' entries and legs
    are checked; the balances, double postings and references need the whole ledger and are left
    out."""
    whole = months is None
    checked = ledger_months(conn) if months is None else sorted(months)
    slices = {month: _id_slices(conn, month) for month in checked}
    jobs: list[Callable[[Connection], object]] = [_payment_suspects] if whole else []
    jobs += [partial(_month_sums, month=month) for month in checked] if whole else []
    jobs += [partial(_slice_violations, month=month, ids=ids) for month in checked for ids in slices[month]]
    done = run_jobs(conn, jobs)
    suspects = cast(list[int], done[0]) if whole else []
    sums = cast(list[dict[str, int]], done[1 : 1 + len(checked)] if whole else [])
    passes = iter(cast(list[tuple[list[Violation], list[Violation]]], done[1 + len(checked) :] if whole else done))
    found = []
    for month in checked:  # a month's entries in id order, then its stray legs (slices go up the ids)
        month_passes = [next(passes) for _ in slices[month]]
        found += [v for entries, _ in month_passes for v in entries] + [v for _, legs in month_passes for v in legs]
    if not whole:
        return found
    totals: dict[str, int] = {}
    for month_sums in sums:
        for account, total in month_sums.items():
            totals[account] = totals.get(account, 0) + total
    stored = {r[0]: r[1] for r in conn.execute(text("SELECT account, balance FROM ledger_balance"))}
    for account in sorted(set(stored) | set(totals)):
        held, actual = int(stored.get(account, 0)), totals.get(account, 0)
        if held != actual:
            found.append(Violation("balance_mismatch", account, f"stored balance {held} != sum of postings {actual}"))
    for payment_id, times in _of_payments(conn, DOUBLE_POSTINGS, suspects):
        found.append(Violation("double_posting", f"payment {payment_id}", f"posted {times} times"))
    unknown = sorted(_of_payments(conn, UNKNOWN_PAYMENTS, suspects))
    found += [Violation("unknown_payment", f"entry {e}", f"names payment {p}, not stored") for e, p in unknown]
    for kind, query, subject, detail in _REFERENCE_CHECKS:
        found += [Violation(kind, subject.format(key), detail.format(n)) for key, n in conn.execute(text(query))]
    return found


def _payment_suspects(conn: Connection) -> list[int]:
    """The payments that may be posted twice or not be stored (``PAYMENT_SUSPECTS``), in order."""
    with planner_settings(conn, {"jit": "off"}):
        return sorted(conn.execute(text(PAYMENT_SUSPECTS)).scalars())


def _month_sums(conn: Connection, month: date) -> dict[str, int]:
    """The sums of ``month``'s legs per account."""
    return {a: int(t) for a, t in conn.execute(text(MONTH_ACCOUNTS), {"lo": month, "hi": next_month(month)})}


def _id_slices(conn: Connection, month: date) -> list[tuple[int, int]]:
    """The ranges of entry ids ``month`` is read in: on PostgreSQL two halves of its legs' ids (the
    two connections read one each: a month of 30M legs is not left to one core), the first and
    last open-ended so that no entry of the month is left out; on SQLite one."""
    if not is_postgres(conn):
        return [(_LOWEST, _HIGHEST)]
    low, high = conn.execute(text(MONTH_IDS), {"lo": month, "hi": next_month(month)}).one()
    if low is None or low == high:
        return [(_LOWEST, _HIGHEST)]
    middle = (low + high) // 2
    return [(_LOWEST, middle), (middle + 1, _HIGHEST)]


def _of_payments(conn: Connection, query: str, suspects: list[int]) -> list[Row]:
    """The rows of ``query`` for the suspect payments, or for every payment when they are many."""
    if len(suspects) > _SUSPECTS_MAX:
        with planner_settings(conn, {"jit": "off"}):
            return conn.execute(text(query.format(which="IS NOT NULL"))).all()
    return confirmed(conn, query.format(which="IN :ids"), {}, suspects)


def _slice_violations(conn: Connection, month: date, ids: tuple[int, int]) -> tuple[list[Violation], list[Violation]]:
    """The violations of ``month``'s entries and legs of entry ids ``ids``: the entries', and the stray legs'."""
    bounds = {"lo": month, "hi": next_month(month), "first": ids[0], "last": ids[1]}
    with planner_settings(conn, MONTH_PASS_SETTINGS):
        rows = conn.execute(text(MONTH_PASS[conn.dialect.name]), bounds).all()
    entries, suspects = [], []
    for entry_id, legs_of, total, legs in sorted(rows, key=lambda r: r[0] if r[0] is not None else r[1]):
        if entry_id is not None and ((total or 0) != 0 or (legs or 0) < 2):
            kind = "unbalanced_entry" if total else "empty_entry"
            entries.append(Violation(kind, f"entry {entry_id}", f"postings sum to {total or 0} over {legs or 0} legs"))
        if legs_of is not None:
            suspects.append(legs_of)
    strays = []
    for entry_id, count, dated in confirmed(conn, STRAY_LEGS, bounds, sorted(suspects)):
        if dated is None:
            strays.append(Violation("orphan_posting", f"entry {entry_id}", f"{count} postings with no entry"))
        else:
            detail = f"{count} postings dated in {month:%Y-%m}, the entry {str(dated)[:10]}"
            strays.append(Violation("posting_date_mismatch", f"entry {entry_id}", detail))
    return entries, strays


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
