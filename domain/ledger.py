"""Ledger rules: which accounts a payment, a transfer or a correction moves, as signed postings.

Postings are signed kopecks, debit positive and credit negative, so every entry sums to zero.
Accounts (docs/LEDGER.md): ``agent:<channel>`` (what the agent owes the РКЦ), ``bank:<account>``,
``supplier:<inn>`` (owed to the supplier), ``commission:<channel>``, ``suspense``, and for money
going out ``fee:rkc`` (the center's fee earned) and ``payouts_in_transit`` (payment orders to
suppliers prepared, not yet debited by the bank); ``agent_unallocated:<channel>`` holds an agent's
п/п that no posted register claims yet (received, register pending); ``write_off:rkc`` takes
suspense money the accountants wrote off (the center's income); ``refunds_payable`` holds refunds
to payers approved and not yet debited by the bank.

Balances are shown in each account's natural sign: debit-normal accounts (agent, bank,
commission) as debit minus credit, credit-normal ones (supplier, suspense, fee, payouts in
transit, agent unallocated, write-off, refunds payable) as credit minus debit, so a supplier's balance is the
positive amount the center owes it.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import pandas as pd

SUSPENSE = "suspense"
FEE_RKC = "fee:rkc"
PAYOUTS_IN_TRANSIT = "payouts_in_transit"
AGENT_PREFIX = "agent:"
UNALLOCATED_PREFIX = "agent_unallocated:"
WRITE_OFF_RKC = "write_off:rkc"
REFUNDS_PAYABLE = "refunds_payable"
POSTING_COLUMNS = ["payment_id", "account", "amount", "service"]


class EntryKind(StrEnum):
    """The kinds of ledger entry (``ledger_entry.kind``; the database checks the same list)."""

    PAYMENT = "payment"
    TRANSFER = "transfer"
    REVERSAL = "reversal"
    RECLASS = "reclass"
    FEE = "fee"  # the center's fee: Dr supplier, Cr fee:rkc
    PAYOUT = "payout"  # a payment order prepared: Dr supplier, Cr payouts_in_transit
    PAYOUT_SETTLED = "payout_settled"  # its debit seen in the statement: Dr payouts_in_transit, Cr bank
    ALLOCATION = "allocation"  # a п/п's register posted: Dr agent_unallocated, Cr agent
    WRITE_OFF = "write_off"  # suspense money written off in the workbench: Dr suspense, Cr write_off:rkc
    REFUND = "refund"  # a refund to the payer approved: Dr suspense or suppliers, Cr refunds_payable
    REFUND_SETTLED = "refund_settled"  # its debit seen in the statement: Dr refunds_payable, Cr bank


# Entries whose supplier credits are money collected for the supplier (a reversal counts as the
# kind it reverses): what the fee is a percent of.
COLLECTING_KINDS = (EntryKind.PAYMENT, EntryKind.RECLASS)


class UnbalancedEntry(Exception):
    """Postings built for an entry do not sum to zero: a bug, never a data problem."""


def agent_account(channel: str) -> str:
    """Ledger account of the money an agent (channel) owes the center."""
    return f"agent:{channel}"


def unallocated_account(channel: str) -> str:
    """Ledger account of an agent's п/п received before any posted register claims it."""
    return f"{UNALLOCATED_PREFIX}{channel}"


def supplier_account(inn: str) -> str:
    """Ledger account of what the center owes a supplier."""
    return f"supplier:{inn}"


def bank_account(number: str) -> str:
    """Ledger account of the center's bank account."""
    return f"bank:{number}"


def is_credit_normal(account: str) -> bool:
    """Supplier, suspense, fee, payouts-in-transit, agent-unallocated, write-off and refunds-payable
    accounts carry credit balances; the rest debit."""
    return account in (SUSPENSE, PAYOUTS_IN_TRANSIT, REFUNDS_PAYABLE) or account.startswith(
        ("supplier:", "fee:", UNALLOCATED_PREFIX, "write_off:")
    )


def natural_balance(account: str, signed: int) -> int:
    """The balance of ``account`` in its natural sign, from the signed sum of its postings."""
    return -signed if is_credit_normal(account) else signed


def payment_postings(payments: pd.DataFrame, splits: pd.DataFrame) -> pd.DataFrame:
    """Signed postings for a batch of payments.

    ``payments``: ``payment_id`` (the payment's id, unique in the batch), ``channel``, ``amount``,
    ``commission`` (kopecks, 0 when none). ``splits``: ``payment_id``, ``supplier_inn``, ``service``,
    ``amount``; a payment without splits goes to suspense. Each payment becomes one entry:
    Dr agent (amount − commission), Dr commission, Cr suppliers (or Cr suspense).
    Raises ``UnbalancedEntry`` if a payment's splits do not sum to its amount.
    """
    commission = payments["commission"].fillna(0).astype("int64")
    net = payments["amount"].astype("int64") - commission
    pid = payments["payment_id"].to_numpy()
    unsplit = payments.loc[~payments["payment_id"].isin(splits["payment_id"]), ["payment_id", "amount"]]
    # Accounts as codes into a few hundred names (a register's postings number in the millions).
    names: list[str] = []
    codes = [
        _codes(payments["channel"], "agent:", names),
        _codes(payments["channel"], "commission:", names),
        _codes(splits["supplier_inn"], "supplier:", names),
        _codes(pd.Series([SUSPENSE] * len(unsplit)), "", names),
    ]
    postings = pd.DataFrame(
        {
            "payment_id": np.concatenate([pid, pid, splits["payment_id"].to_numpy(), unsplit["payment_id"].to_numpy()]),
            "account": pd.Categorical.from_codes(np.concatenate(codes), categories=pd.Index(names, dtype=object)),
            "amount": np.concatenate(
                [net.to_numpy(), commission.to_numpy(), -splits["amount"].astype("int64").to_numpy(),
                 -unsplit["amount"].astype("int64").to_numpy()]
            ),
            "service": _services(splits["service"], before=2 * len(pid), after=len(unsplit)),
        }
    )  # fmt: skip
    # Zero legs dropped and the rest ordered by (payment_id, amount) in one take: no filtered copy and
    # sorted copy of a frame of millions of legs one after the other.
    amount = postings["amount"].to_numpy()
    nonzero = np.flatnonzero(amount != 0)
    order = nonzero[np.lexsort((amount[nonzero], postings["payment_id"].to_numpy()[nonzero]))]
    postings = postings.take(order).reset_index(drop=True)
    require_balanced(postings, payments["payment_id"])
    return postings


def _services(services: pd.Series, before: int, after: int) -> pd.Categorical:
    """The split legs' services between ``before`` and ``after`` legs without one, as codes into
    the few service names (a string object per leg would weigh ~100 MB per million legs)."""
    named = pd.Categorical(services)
    none = np.full(before, -1, dtype=named.codes.dtype), np.full(after, -1, dtype=named.codes.dtype)
    return pd.Categorical.from_codes(np.concatenate([none[0], named.codes, none[1]]), categories=named.categories)


def _codes(values: pd.Series, prefix: str, names: list[str]) -> np.ndarray:
    """Codes of ``prefix + value`` for each value, appending the new account names to ``names``."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    base = len(names)
    names.extend(prefix + str(u) for u in uniques)
    return codes.astype(np.int64) + base


def require_balanced(postings: pd.DataFrame, expected: pd.Series | None = None) -> None:
    """Raise ``UnbalancedEntry`` unless the postings of each payment (``payment_id``: one entry
    each) sum to zero.

    With ``expected`` given, every listed ``payment_id`` must also have at least one posting.
    """
    keys, sums = _sums_by_payment(postings)
    bad = np.flatnonzero(sums != 0)
    if len(bad):
        sample = ", ".join(f"{keys[i]}: {sums[i]}" for i in bad[:5])
        raise UnbalancedEntry(f"{len(bad)} entries do not balance (payment id: sum) {sample}")
    if expected is not None:
        missing = np.setdiff1d(np.asarray(expected), keys)  # sorted, each once
        if len(missing):
            raise UnbalancedEntry(f"{len(missing)} entries have no postings, e.g. {missing[:5].tolist()}")


def _sums_by_payment(postings: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each payment's id and the sum of its postings, in order of first appearance. Postings grouped
    by payment (as ``payment_postings`` orders them) are summed run by run in numpy; a register has
    millions (a group-by and two sets of a million ids took ~0.5 s)."""
    pid = postings["payment_id"].to_numpy()
    amount = postings["amount"].to_numpy()
    if len(pid) and pid.dtype.kind in "iu":
        starts = np.flatnonzero(np.r_[True, pid[1:] != pid[:-1]])
        keys = pid[starts]
        if bool(np.all(keys[1:] > keys[:-1])):  # ordered by payment: each payment's postings one run
            return keys, np.add.reduceat(amount.astype(np.int64), starts)
    sums = postings.groupby("payment_id", sort=False)["amount"].sum()
    return sums.index.to_numpy(), sums.to_numpy()


def require_balanced_legs(entry_ids: np.ndarray, amounts: np.ndarray, entries: int) -> None:
    """Raise ``UnbalancedEntry`` unless the legs give each of ``entries`` entries at least two legs
    that sum to zero. ``entry_ids`` must be in ascending order (the order the legs are stored in);
    these are the legs exactly as they will be written, after every mapping to entry ids."""
    if len(entry_ids) == 0:
        if entries:
            raise UnbalancedEntry(f"{entries} entries have no postings")
        return
    starts = np.flatnonzero(np.r_[True, entry_ids[1:] != entry_ids[:-1]])
    if len(starts) > 1 and bool(np.any(entry_ids[starts[1:]] < entry_ids[starts[:-1]])):
        raise ValueError("legs must be ordered by entry id")
    sums = np.add.reduceat(amounts.astype(np.int64), starts)
    legs = np.diff(np.r_[starts, len(entry_ids)])
    wrong = np.flatnonzero((sums != 0) | (legs < 2))
    if len(wrong):
        sample = ", ".join(f"{entry_ids[starts[i]]}: {sums[i]} in {legs[i]} legs" for i in wrong[:5])
        raise UnbalancedEntry(f"{len(wrong)} entries do not balance (id: sum) {sample}")
    if len(starts) != entries:
        raise UnbalancedEntry(f"{entries - len(starts)} of {entries} entries have no postings")


def reversal_postings(postings: pd.DataFrame) -> pd.DataFrame:
    """The postings that undo ``postings``: same accounts, opposite signs."""
    out = postings.copy()
    out["amount"] = -out["amount"]
    return out


def reclass_postings(amount: int, splits: pd.DataFrame) -> pd.DataFrame:
    """Move ``amount`` from suspense to suppliers: Dr suspense, Cr each supplier's part."""
    if int(splits["amount"].sum()) != amount:
        raise UnbalancedEntry(f"reclassification parts {int(splits['amount'].sum())} != {amount}")
    debit = pd.DataFrame({"payment_id": [0], "account": [SUSPENSE], "amount": [amount], "service": [None]})
    credit = pd.DataFrame(
        {
            "payment_id": 0,  # one entry: the caller's payment
            "account": "supplier:" + splits["supplier_inn"].astype(str),
            "amount": -splits["amount"].astype("int64"),
            "service": splits["service"],
        }
    )
    postings = pd.concat([debit, credit], ignore_index=True)
    postings = postings[postings["amount"] != 0]
    require_balanced(postings)
    return postings


def transfer_postings(bank: str, channel: str, amount: int, *, claimed: bool = True) -> list[tuple[str, int]]:
    """A п/п received from an agent: Dr bank, Cr agent; one that no posted register claims yet
    (``claimed`` false): Dr bank, Cr agent_unallocated."""
    credit = agent_account(channel) if claimed else unallocated_account(channel)
    return [(bank_account(bank), amount), (credit, -amount)]


def allocation_postings(channel: str, amount: int) -> list[tuple[str, int, str | None]]:
    """A received п/п's register posted and tied: Dr agent_unallocated, Cr agent."""
    return [(unallocated_account(channel), amount, None), (agent_account(channel), -amount, None)]


def fee_postings(inn: str, amount: int) -> list[tuple[str, int, str | None]]:
    """The center's fee on a supplier's collections: Dr supplier, Cr fee:rkc (a negative amount
    gives back fee accrued too much: the signs turn over)."""
    return [(supplier_account(inn), amount, None), (FEE_RKC, -amount, None)]


def payout_postings(inn: str, amount: int) -> list[tuple[str, int, str | None]]:
    """A payment order to a supplier prepared: Dr supplier, Cr payouts_in_transit."""
    return [(supplier_account(inn), amount, None), (PAYOUTS_IN_TRANSIT, -amount, None)]


def payout_settled_postings(bank: str, amount: int) -> list[tuple[str, int, str | None]]:
    """A prepared payout seen debited in the bank statement: Dr payouts_in_transit, Cr bank."""
    return [(PAYOUTS_IN_TRANSIT, amount, None), (bank_account(bank), -amount, None)]


def write_off_postings(amount: int) -> list[tuple[str, int, str | None]]:
    """Suspense money written off in the workbench: Dr suspense, Cr write_off:rkc."""
    return [(SUSPENSE, amount, None), (WRITE_OFF_RKC, -amount, None)]


def refund_postings(parts: list[tuple[str, int, str | None]]) -> list[tuple[str, int, str | None]]:
    """A refund to the payer approved: Dr each part (``(account, kopecks, service)``: suspense, or the
    suppliers the payment was split to), Cr refunds_payable their sum."""
    total = sum(amount for _, amount, _ in parts)
    if total <= 0 or any(amount <= 0 for _, amount, _ in parts):
        raise UnbalancedEntry(f"refund parts must be positive, got {parts}")
    return [*((account, amount, service) for account, amount, service in parts), (REFUNDS_PAYABLE, -total, None)]


def refund_settled_postings(bank: str, amount: int) -> list[tuple[str, int, str | None]]:
    """A refund's payment order seen debited in the bank statement: Dr refunds_payable, Cr bank."""
    return [(REFUNDS_PAYABLE, amount, None), (bank_account(bank), -amount, None)]
