"""Whose money a ГИС ЖКХ notification is (docs/RULES.md, "Whose money a ГИС ЖКХ notification is").

ГИС ЖКХ pays nothing: the money of a payment notified through it arrives with the п/п of the bank
that took the payment. A ГИС ЖКХ channel configured with ``money_from: <bank channel>`` posts its
payments Dr agent:<bank channel>, and its registers (*riders*) have no п/п of their own: they are
tied as part of that bank's transfers, after the bank's own registers (``domain.tieout``):

1. ``with_bank``: the bank's register of the same day (its latest payment's date) was tied to a
   п/п that exceeds it by exactly the riders' money of that day: the bank paid both in one п/п.
   That register is then tied without a difference and the riders share its п/п.
2. ``bank_transfer``: else a п/п the bank's agent may have sent (``senders``), not used by a
   register, dated on or after that day, of exactly the riders' money: the bank paid them apart.
3. Otherwise the riders wait, re-examined every night; each is reported as TRANSFER_MISSING naming
   the bank whose п/п is missing (never a п/п from ГИС ЖКХ).

A п/п shared by a bank register and its riders (``with_bank``) is freed when the bank recalls that
register; the riders stay tied to it. The corrected copy then ties to that п/п, whose riders'
money is no difference of the copy's (``tie_carried``).

A rider's money is what its payments put on the bank's agent account: posted and suspense, less
commission. A payment seen in the bank's register too is the bank's (the rider's copy is the
DUPLICATE_CROSS_CHANNEL: ``rkc.config_channels.channel_priority``), so the bank's register carries
its money. Each pass ties only where one candidate fits (no ambiguous tie).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from domain.codes import Code
from domain.money import format_ru
from domain.records import BankTransfer
from domain.statuses import TieStatus
from domain.tieout import TIE_COLUMNS, TIE_FLAG_COLUMNS, TieResult

RULE_WITH_BANK = "with_bank"
RULE_BANK_TRANSFER = "bank_transfer"
RIDER_COLUMNS = ["register_id", "channel", "money_from", "own_amount", "register_date"]


def _day(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce")


BANK_COLUMNS = ["register_id", "channel", "register_date"]  # what the tie needs to know of a bank register


def tie_riders(
    result: TieResult,
    banks: pd.DataFrame,
    riders: pd.DataFrame,
    transfers: list[BankTransfer],
    senders: dict[int, frozenset[str]],
    earlier: pd.DataFrame | None = None,
) -> TieResult:
    """``result`` (the bank registers' tie, ``domain.tieout.tie_registers``) with a row per rider
    (``RIDER_COLUMNS``; own money in kopecks) and the flags changed by the passes above.

    ``banks``: ``BANK_COLUMNS`` of the registers ``result`` ties; ``transfers``: the unused
    transfers they were tied among; ``senders``: the channels each may come from; ``earlier``:
    registers tied with a difference on an earlier night (``BANK_COLUMNS`` and ``TIE_COLUMNS``),
    whose п/п may carry riders that came later: one of them that takes riders gets a row here,
    tied."""
    if riders.empty:
        return result
    regs, flags = result.registers.copy(), result.flags.copy()
    tonight = regs.merge(banks[BANK_COLUMNS], on="register_id", how="left").assign(_tonight=True)
    before = (earlier if earlier is not None else pd.DataFrame(columns=[*TIE_COLUMNS, *BANK_COLUMNS[1:]]))
    bank = pd.concat([tonight, before.assign(_tonight=False)], ignore_index=True)
    bank["_day"] = _day(bank["register_date"])
    used = set(regs["transfer_line_no"].dropna().astype(int))
    taken: set[int] = set()
    rows, extra = [], []
    groups = riders.assign(_day=_day(riders["register_date"])).groupby(["money_from", "_day"], sort=True,
                                                                        dropna=False)  # fmt: skip
    for (money_from, day), group in groups:  # a rider group per bank and day: a handful a night
        total = int(group["own_amount"].sum())
        if total == 0:  # every payment was the bank's own too (or none stands): no money to wait for
            rows += _rows(group, RULE_WITH_BANK, None)
            continue
        fits = bank[(bank["channel"] == money_from) & (bank["_day"] == day)
                    & (bank["status"] == TieStatus.TRANSFER_MISMATCH.value) & (bank["difference"] == total)
                    & ~bank["register_id"].isin(taken)]  # fmt: skip
        if len(fits) == 1:
            hit = fits.iloc[0]
            taken.add(int(hit["register_id"]))
            if hit["_tonight"]:
                mine = regs["register_id"] == hit["register_id"]
                regs.loc[mine, ["status", "difference"]] = [TieStatus.TIED.value, 0]
                flags = flags[~((flags["register_id"] == hit["register_id"])
                                & (flags["code"] == Code.TRANSFER_MISMATCH.value))]  # fmt: skip
            else:
                extra.append({**{c: hit[c] for c in TIE_COLUMNS}, "status": TieStatus.TIED.value, "difference": 0})
            transfer = (str(hit["transfer_number"]), hit["transfer_date"], int(hit["transfer_amount"]),
                        int(hit["transfer_line_no"]))  # fmt: skip
            rows += _rows(group, RULE_WITH_BANK, transfer)
            continue
        found = [t for t in transfers if t.line_no not in used and money_from in senders.get(t.line_no, ())
                 and t.amount == total and pd.Timestamp(t.date) >= day]  # fmt: skip
        if len(found) == 1:
            t = found[0]
            used.add(t.line_no)
            flags = flags[~((flags["transfer_line_no"] == t.line_no) & (flags["code"] == Code.REGISTER_MISSING.value))]
            rows += _rows(group, RULE_BANK_TRANSFER, (t.number, t.date, t.amount, t.line_no))
            continue
        rows += _missing(group)
        when = f"{day:%d.%m.%Y}" if pd.notna(day) else "?"
        detail = (f"п/п банка (канал {money_from}) с деньгами платежей ГИС ЖКХ за {when} "
                  f"на {format_ru(total)} не найден в выписке")  # fmt: skip
        missing = pd.DataFrame([(rid, pd.NA, Code.TRANSFER_MISSING.value, detail) for rid in group["register_id"]],
                               columns=TIE_FLAG_COLUMNS)  # fmt: skip
        flags = pd.concat([flags, missing], ignore_index=True)
    out = pd.concat([regs, pd.DataFrame(extra, columns=TIE_COLUMNS), pd.DataFrame(rows, columns=TIE_COLUMNS)],
                    ignore_index=True)  # fmt: skip
    out = out.astype({"transfer_amount": "Int64", "transfer_line_no": "Int64", "difference": "Int64"})
    flags = flags.reset_index(drop=True).astype({"register_id": object, "transfer_line_no": "Int64"})
    return TieResult(registers=out, flags=flags)


def tie_carried(result: TieResult, carried: dict[int, int]) -> TieResult:
    """``result`` with the riders' money already on a п/п taken out of its registers' difference.

    ``carried``: transfer id → the own money of riders tied to that п/п on an earlier night
    (``with_bank``) whose bank register was recalled since. A register tied tonight to such a п/п
    with exactly that difference is tied; one left with another difference keeps its
    TRANSFER_MISMATCH, with the difference and its detail net of the riders."""
    regs = result.registers
    lines = regs["transfer_line_no"]
    on_carrier = (regs["status"] == TieStatus.TRANSFER_MISMATCH.value) & lines.isin(list(carried))
    if not on_carrier.any():
        return result
    regs, flags = regs.copy(), result.flags.copy()
    riders_money = lines[on_carrier].map(lambda line: carried[int(line)]).astype("int64")
    regs.loc[on_carrier, "difference"] = regs.loc[on_carrier, "difference"] - riders_money
    settled = on_carrier & (regs["difference"] == 0)
    regs.loc[settled, "status"] = TieStatus.TIED.value
    mismatch = flags["code"] == Code.TRANSFER_MISMATCH.value
    flags = flags[~(mismatch & flags["register_id"].isin(regs.loc[settled, "register_id"]))].copy()
    for row in regs[on_carrier & ~settled].itertuples():  # a recalled register's copy or two a night
        mine = (flags["code"] == Code.TRANSFER_MISMATCH.value) & (flags["register_id"] == row.register_id)
        flags.loc[mine, "detail"] = (
            f"п/п № {row.transfer_number} на {format_ru(row.transfer_amount)}, из них "
            f"{format_ru(carried[int(row.transfer_line_no)])} — платежи ГИС ЖКХ, уже привязанные к нему; "
            f"расхождение {format_ru(row.difference)}"
        )
    return TieResult(registers=regs, flags=flags.reset_index(drop=True))


def _rows(group: pd.DataFrame, rule: str, transfer: tuple | None) -> list[tuple]:
    """The riders' tie rows (``TIE_COLUMNS``), tied by ``rule`` to ``transfer`` (number, date,
    amount, line; None: there is no money to tie)."""
    number, day, amount, line = transfer if transfer is not None else (None, None, pd.NA, pd.NA)
    return [(rid, TieStatus.TIED.value, rule, number, day, amount, line, 0) for rid in group["register_id"]]


def _missing(group: pd.DataFrame) -> list[tuple]:
    """The riders' tie rows (``TIE_COLUMNS``) while their bank's п/п is not found."""
    return [(rid, TieStatus.TRANSFER_MISSING.value, None, None, None, pd.NA, pd.NA, pd.NA)
            for rid in group["register_id"]]  # fmt: skip


def rider_amounts(registers: pd.DataFrame) -> np.ndarray:
    """A rider's own money (kopecks): its posted and suspense payments less commission (``registers``:
    ``posted_amount``, ``suspense_amount``, ``commission_total``)."""
    posted, suspense, commission = (registers[c].fillna(0).astype("int64").to_numpy()
                                    for c in ("posted_amount", "suspense_amount", "commission_total"))  # fmt: skip
    return posted + suspense - commission
