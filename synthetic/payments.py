"""The day's payments: who paid which ПД, how much, through which channel and file, and the defects.

Each account pays through one habitual channel, so two channels never carry the same payment by
accident: the only cross-channel duplicate is the planted one. Rows are built as arrays; the
planted defects are a handful of rows chosen (or copied) at the end and listed in ``Plan.defects``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from synthetic._text import join, nums, where, zfill
from synthetic.world import ACCOUNT_LIMIT, World

FULL, PARTIAL, OVER, UNKNOWN = 0, 1, 2, 3
KIND_NAMES = ("full", "partial", "over", "unknown")
MAIN, SECOND, BAD_FOOTER = 0, 1, 2  # the sber channel's files of the day
MULTISERVICE, ONLINE = "rshb", "online"  # the channels of the Sber multi-service and the "|" registers
PORTAL_CAP = 100_000  # XLSX rows are slow to write and read: the portal's share is capped
MIN_PAYMENTS = 20


@dataclass
class Plan:
    """Payment rows (arrays of equal length) and the planted defects (row numbers)."""

    doc: np.ndarray  # ПД row in the world, -1 for an unknown account
    account_raw: pa.Array  # the account as the agent prints it
    payer: pa.Array
    address: pa.Array
    period: np.ndarray  # 0 billing period, 1 the month before, -1 absent
    amount: np.ndarray  # kopecks
    kind: np.ndarray  # FULL, PARTIAL, OVER, UNKNOWN
    channel: np.ndarray  # object: channel name
    file: np.ndarray  # file number within the channel
    seconds: np.ndarray  # time of day of the payment
    op: np.ndarray  # object: operation id (set per channel by ``assign_operations``)
    defects: dict[str, list[int]] = field(default_factory=dict)

    def rows(self, channel: str, file_no: int = MAIN) -> np.ndarray:
        """Rows of one file in line order (by time, then row)."""
        sel = np.flatnonzero((self.channel == channel) & (self.file == file_no))
        return sel[np.lexsort((sel, self.seconds[sel]))]


def _choose(rng: np.random.Generator, pool: np.ndarray, k: int, taken: np.ndarray) -> np.ndarray:
    """``k`` rows of ``pool`` not yet ``taken`` (fewer if the pool is small); marks them taken."""
    free = pool[~taken[pool]]
    got = np.sort(rng.choice(free, size=min(k, len(free)), replace=False)) if len(free) else free
    taken[got] = True
    return got


def plan_payments(rng: np.random.Generator, world: World, payments: int, shares: dict[str, float]) -> Plan:
    """``payments`` rows in all: ordinary payments plus the planted defects (see the module doc)."""
    if payments < MIN_PAYMENTS:
        raise ValueError(f"need at least {MIN_PAYMENTS} payments to plant every defect, got {payments}")
    n_acc = len(world.account)
    unknown = max(2, payments // 500)
    base = payments - 3 - unknown  # 3 planted copies: the file duplicate, the identical pair, the ГИС ЖКХ copy
    # each account's habitual channel; the portal's share is capped
    names = list(shares)
    p = np.array([shares[c] for c in names], dtype=float)
    if "portal" in shares:
        p[names.index("portal")] = min(p[names.index("portal")], PORTAL_CAP / payments)
    p[names.index("sber")] += 1 - p.sum()
    habit = np.asarray(names, dtype=object)[rng.choice(len(names), size=n_acc, p=p)]
    # the sber files always have accounts to hold the defects, every other text register one at least
    forced = (["sber"] * 3 + [c for c in (MULTISERVICE, ONLINE) if c in shares])[: min(n_acc, base)]
    habit[: len(forced)] = forced

    n_docs = len(world.doc_acc)
    current = np.flatnonzero(~world.doc_old)
    old = np.flatnonzero(world.doc_old)
    take_old = rng.random(base) < (0.1 if len(old) else 0.0)
    doc = np.where(take_old, old[rng.integers(0, max(len(old), 1), base)] if len(old) else 0,
                   current[rng.integers(0, len(current), base)])  # fmt: skip
    doc[: len(forced)] = np.arange(len(forced))  # ... and ПД of those accounts to pay
    del n_docs
    total = world.doc_total[doc]
    u = rng.random(base)
    kind = np.where(u < 0.78, FULL, np.where(u < 0.90, PARTIAL, OVER))
    kind[: len(forced)] = FULL
    share = rng.uniform(0.2, 0.95, base)
    partial = np.maximum(100, (total * share).astype(np.int64) // 100 * 100)
    partial = np.where(partial >= total, total - 1, partial)
    over = (total // 100 + rng.integers(1, 1000, base)) * 100
    amount = np.where(kind == FULL, total, np.where(kind == PARTIAL, partial, over)).astype(np.int64)
    acc = world.doc_acc[doc]
    channel = habit[acc]
    sber_rows = np.flatnonzero(channel == "sber")
    f = rng.random(base)
    file_no = np.where((channel == "sber") & (f < 0.05), SECOND,
                       np.where((channel == "sber") & (f < 0.07), BAD_FOOTER, MAIN))  # fmt: skip
    file_no[sber_rows[:3]] = MAIN
    for target, start in ((SECOND, 3), (BAD_FOOTER, 5)):  # both extra files are never empty
        if not (file_no == target).any():
            file_no[sber_rows[start : start + 2]] = target
    account_raw = world.account_raw.take(pa.array(acc))
    plan = Plan(doc=doc, account_raw=account_raw, payer=world.payer.take(pa.array(acc)),
                address=world.address.take(pa.array(acc)), period=world.doc_old[doc].astype(np.int8),
                amount=amount, kind=kind, channel=channel, file=file_no,
                seconds=rng.integers(8 * 3600, 21 * 3600, base), op=np.full(base, "", dtype=object))  # fmt: skip
    _unknown_accounts(rng, plan, world, unknown)
    _plant(rng, plan, world)
    return plan


def _append(plan: Plan, rows: np.ndarray, **changes: object) -> np.ndarray:
    """Copy ``rows`` to the end of the plan with ``changes``; return the new rows' numbers."""
    start = len(plan.doc)
    for name in ("doc", "period", "amount", "kind", "channel", "file", "seconds", "op"):
        old = getattr(plan, name)
        new = np.asarray(changes.get(name, old[rows]), dtype=old.dtype)
        setattr(plan, name, np.concatenate([old, np.broadcast_to(new, len(rows))]))
    for name in ("account_raw", "payer", "address"):
        old = getattr(plan, name)
        new = changes.get(name, old.take(pa.array(rows)))
        setattr(plan, name, pa.concat_arrays([old, new]))
    return np.arange(start, start + len(rows))


def _unknown_accounts(rng: np.random.Generator, plan: Plan, world: World, count: int) -> None:
    """Payments to accounts the center does not have (suspense), in the sber and portal files."""
    numbers = ACCOUNT_LIMIT + rng.choice(1_000_000_000, size=count, replace=False)
    raw = where(rng.random(count) < 0.5, zfill(numbers, 12), nums(numbers))
    people = pa.array(rng.integers(0, len(world.payer), count))
    channel = np.where((np.arange(count) % 2 == 1) & (plan.channel == "portal").any(), "portal", "sber")
    rows = _append(plan, np.zeros(count, dtype=np.int64), doc=-1, account_raw=raw,
                   payer=world.payer.take(people), address=world.address.take(people), period=0,
                   amount=rng.integers(500, 6000, count) * 100, kind=UNKNOWN, channel=channel.astype(object),
                   file=MAIN, seconds=rng.integers(8 * 3600, 21 * 3600, count))  # fmt: skip
    plan.defects["unknown_account"] = rows.tolist()
    # whose name and address each line carries: the account an accountant finds by them
    plan.defects["unknown_account_payer"] = people.to_pylist()


def _plant(rng: np.random.Generator, plan: Plan, world: World) -> None:
    """Choose the rows that carry the planted defects and add the planted copies."""
    n = len(plan.doc)
    taken = plan.kind == UNKNOWN
    main = (plan.channel == "sber") & (plan.file == MAIN)
    ordinary = np.flatnonzero(main & (plan.kind == FULL) & (plan.period == 0))
    ipd = np.asarray(world.els.take(pa.array(world.doc_acc[np.maximum(plan.doc, 0)])).to_numpy(zero_copy_only=False))
    cross_pool = ordinary[ipd[ordinary] != ""]
    cross = _choose(rng, cross_pool if len(cross_pool) else ordinary, 1, taken)
    malformed = _choose(rng, ordinary, 1, taken)
    identical = _choose(rng, ordinary, 1, taken)
    dup = _choose(rng, ordinary, 1, taken)
    no_period = _choose(rng, ordinary, max(1, n // 2000), taken)
    service_split = _choose(rng, np.flatnonzero((plan.channel == MULTISERVICE) & (plan.kind == FULL)), 1, taken)
    plan.period[no_period] = -1
    # the account printed the other way round from the receipt: zeros added or dropped
    flip_pool = np.flatnonzero(((plan.channel == "sber") | (plan.channel == "portal")) & (plan.kind != UNKNOWN)
                               & (plan.file != BAD_FOOTER))  # fmt: skip
    flips = _choose(rng, flip_pool, min(1000, max(2, n // 50)), taken)
    raw = np.asarray(plan.account_raw.to_numpy(zero_copy_only=False), dtype=object)
    compact = np.asarray(world.account.take(pa.array(world.doc_acc[plan.doc[flips]])).to_numpy(zero_copy_only=False))
    padded = np.char.zfill(compact.astype(str), 12).astype(object)
    raw[flips] = np.where(raw[flips] == compact, padded, compact)
    plan.account_raw = pa.array(raw.tolist(), pa.string())
    plan.defects.update(
        cross_channel=cross.tolist(), malformed=malformed.tolist(), identical=identical.tolist(),
        duplicate=dup.tolist(), no_period=no_period.tolist(), account_zeros=flips.tolist(),
        service_split=service_split.tolist(),
    )  # fmt: skip
    plan.defects["identical_copy"] = _append(plan, identical).tolist()
    plan.defects["duplicate_copy"] = _append(plan, dup, file=SECOND).tolist()
    plan.defects["cross_channel_copy"] = _append(plan, cross, channel="gis").tolist()


def assign_operations(rng: np.random.Generator, plan: Plan, op_day_code: str) -> None:
    """Operation ids, unique per channel, except the planted copies, which keep their original's."""
    copies = {"identical_copy": "identical", "duplicate_copy": "duplicate"}
    fresh = np.ones(len(plan.doc), dtype=bool)
    for key in copies:
        fresh[plan.defects[key]] = False
    for name in np.unique(plan.channel):
        rows = np.flatnonzero((plan.channel == name) & fresh)
        seq = rng.permutation(len(rows))
        if name == "gis":
            ids = join([op_day_code, zfill(seq + 1, 24)], "")  # OrderID: exactly 32 (XSD)
        elif name == "portal":
            ids = join(["P" + op_day_code[2:], zfill(seq + 1, 8)], "")
        elif name == ONLINE:
            ids = join(["A-", zfill(seq + 1, 8)], "")
        else:
            ids = nums(int(rng.integers(100_000_000, 800_000_000)) + seq * 7)
        plan.op[rows] = np.asarray(ids.to_numpy(zero_copy_only=False), dtype=object)
    for key, original in copies.items():
        plan.op[plan.defects[key]] = plan.op[plan.defects[original]]
