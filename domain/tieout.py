"""Tie each register to the agent's п/п in the bank statement (docs/RULES.md, Tie-out; docs/FORMATS.md).

Passes over the open registers and the unused incoming transfers; a transfer is used at most once
and a pass that finds several candidates for a register, or several registers for a transfer,
ties nothing (no ambiguous match):

1. ``number_date``: the п/п number (leading zeros ignored) and date declared in the register's
   footer, and the payer is compatible (the agent's INN / account from the config, where known);
2. ``purpose_amount``: the agent's payer INN or account, the register's net amount, and the purpose
   text "… по реестру № N от DD.MM.YYYY" naming the register's date (and number, where known);
3. ``purpose``: as 2 without the amount: the agent paid a different sum for this register.

A tied register whose transfer differs from its net amount (amount − commission) is
TRANSFER_MISMATCH, with the difference; an untied one is TRANSFER_MISSING. Incoming transfers from
known agents that no register claims are REGISTER_MISSING.

Only the center's own statement feeds the tie-out: a statement of another account, and other
accounts' sections in the center's file, are FOREIGN_STATEMENT (``statement_flags``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from domain._vec import text
from domain.codes import Code
from domain.money import format_ru
from domain.records import BankStatement, BankTransfer
from domain.statuses import TieStatus

REGISTER_COLUMNS = [
    "register_id",
    "channel",
    "payer_inn",
    "payer_account",
    "order_number",
    "order_date",
    "net_amount",
    "register_date",
    "register_number",
]
TIE_COLUMNS = [
    "register_id",
    "status",
    "rule",
    "transfer_number",
    "transfer_date",
    "transfer_amount",
    "transfer_line_no",
    "difference",
]
TIE_FLAG_COLUMNS = ["register_id", "transfer_line_no", "code", "detail"]

_PURPOSE = re.compile(
    r"реестр\w*\s*(?:№|N|No\.?|#)?\s*(?P<number>[\w\-/]+?)?\s*от\s*"
    r"(?P<d>\d{1,2})[.\-/](?P<m>\d{1,2})[.\-/](?P<y>\d{4}|\d{2})",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class TieResult:
    """``registers``: ``TIE_COLUMNS``, one row per register; ``flags``: ``TIE_FLAG_COLUMNS``."""

    registers: pd.DataFrame
    flags: pd.DataFrame


def _day(values: pd.Series) -> pd.Series:
    """Dates (``datetime.date``, timestamps or missing) as datetime64: one dtype on both sides of a
    comparison, so that pandas infers nothing (a missing date, NaT, equals no date)."""
    return pd.to_datetime(values, errors="coerce")


def _number(values: pd.Series) -> np.ndarray:
    """П/п and register numbers compare without spaces and leading zeros."""
    s = pd.Series(text(values), dtype=object)
    return s.str.replace(r"\s+", "", regex=True).str.lstrip("0").to_numpy(dtype=object)


def parse_purpose(purpose: pd.Series) -> pd.DataFrame:
    """The register number and date a payment purpose names: columns ``ref_number``, ``ref_date``."""
    m = pd.Series(purpose, dtype=object).fillna("").astype(str).str.extract(_PURPOSE)
    year = m["y"].where(m["y"].str.len() == 4, "20" + m["y"].fillna(""))
    iso = year + "-" + m["m"].str.zfill(2) + "-" + m["d"].str.zfill(2)
    ref_date = pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce").dt.date
    return pd.DataFrame({"ref_number": _number(m["number"]), "ref_date": ref_date.astype(object)})


def transfers_frame(transfers: Sequence[BankTransfer]) -> pd.DataFrame:
    """Incoming transfers as a frame (fields of ``BankTransfer``), positional index ``t``."""
    rows = [asdict(t) for t in transfers if t.incoming]
    cols = list(BankTransfer.__dataclass_fields__)
    return pd.DataFrame(rows, columns=cols).reset_index(drop=True)


def _unique_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """Keep register–transfer pairs where each side has exactly one candidate."""
    one_r = pairs.groupby("r")["t"].transform("size") == 1
    one_t = pairs.groupby("t")["r"].transform("size") == 1
    return pairs[one_r & one_t]


def agent_candidates(agents: Sequence[tuple[str, str, str]]) -> Callable[[str | None, str | None], frozenset[str]]:
    """The channels a transfer may have come from, given ``(channel, agent_inn, agent_account)`` of
    each channel: those whose agent account is the payer's (narrowed by the INN where both name
    channels), else those whose agent INN is the payer's; none for a payer no channel names."""
    by_account: dict[str, set[str]] = {}
    by_inn: dict[str, set[str]] = {}
    for channel, inn, account in agents:
        if account:
            by_account.setdefault(account, set()).add(channel)
        if inn:
            by_inn.setdefault(inn, set()).add(channel)

    def candidates(payer_inn: str | None, payer_account: str | None) -> frozenset[str]:
        by_acc = by_account.get(payer_account or "", set())
        by_tax = by_inn.get(payer_inn or "", set())
        return frozenset((by_acc & by_tax) or by_acc or by_tax)

    return candidates


def agent_channels(agents: Sequence[tuple[str, str, str]]) -> Callable[[str | None, str | None], str | None]:
    """Which channel a transfer came from: the one candidate of ``agent_candidates``, else None.

    The payer's account decides first, being the more specific; the INN only where one channel alone
    has it: two channels of the same bank share an INN, and crediting the wrong agent would move the
    debt between them. An ambiguous payer gives None: the tie-out names the channel from the
    register the transfer pays, when that register's channel is one of the candidates.
    """
    candidates = agent_candidates(agents)

    def channel_of(payer_inn: str | None, payer_account: str | None) -> str | None:
        named = candidates(payer_inn, payer_account)
        return next(iter(named)) if len(named) == 1 else None

    return channel_of


def tie_registers(
    registers: pd.DataFrame,
    transfers: Sequence[BankTransfer],
    *,
    agents: pd.DataFrame | None = None,
    senders: Mapping[int, frozenset[str]] | None = None,
) -> TieResult:
    """Tie ``registers`` (``REGISTER_COLUMNS``; dates as ``datetime.date``, net in kopecks) to transfers.

    ``agents``: extra known agents (``payer_inn``, ``payer_account``) for REGISTER_MISSING, beyond
    those the registers name. ``senders``: per transfer ``line_no``, the channels it may come from
    (``agent_candidates``); a register is then tied only to a transfer its own channel may have
    sent, so a п/п is never credited to one agent while paying another's register, and a payer no
    channel names ties to nothing.
    """
    reg = registers.reindex(columns=REGISTER_COLUMNS).reset_index(drop=True)
    reg = reg.assign(
        r=np.arange(len(reg)),
        num=_number(reg["order_number"]),
        rnum=_number(reg["register_number"]),
        inn=text(reg["payer_inn"]),
        acc=text(reg["payer_account"]),
    )
    tr = transfers_frame(transfers)
    tr = pd.concat([tr, parse_purpose(tr["purpose"])], axis=1)
    tr = tr.assign(
        t=np.arange(len(tr)),
        tnum=_number(tr["number"]),
        tinn=text(tr["payer_inn"]),
        tacc=text(tr["payer_account"]),
    )

    pairs = reg.merge(tr, how="cross")
    compatible = (pairs["inn"].isna() | (pairs["inn"] == pairs["tinn"])) & (
        pairs["acc"].isna() | (pairs["acc"] == pairs["tacc"])
    )
    if senders is not None:
        allowed = {(line, channel) for line, channels in senders.items() for channel in channels}
        keys = zip(pairs["line_no"], pairs["channel"], strict=True)
        compatible &= np.fromiter(((k in allowed) for k in keys), dtype=bool, count=len(pairs))
    payer_known = pairs["inn"].notna() | pairs["acc"].notna()
    by_number = (
        compatible
        & pairs["num"].notna()
        & (pairs["num"] == pairs["tnum"])
        & (_day(pairs["order_date"]) == _day(pairs["date"]))
    )
    names_register = (
        pairs["register_date"].notna()
        & (pairs["ref_date"] == pairs["register_date"])
        & (pairs["rnum"].isna() | (pairs["rnum"] == pairs["ref_number"]))
    )
    by_purpose = compatible & payer_known & names_register
    same_amount = pairs["amount"] == pairs["net_amount"]
    tied = []
    for rule, mask in (
        ("number_date", by_number),
        ("purpose_amount", by_purpose & same_amount),
        ("purpose", by_purpose),
    ):
        done_r = {r for p in tied for r in p["r"]}
        done_t = {t for p in tied for t in p["t"]}
        cand = pairs[mask & ~pairs["r"].isin(done_r) & ~pairs["t"].isin(done_t)]
        tied.append(_unique_pairs(cand).assign(rule=rule))
    hit = pd.concat(tied, ignore_index=True).set_index("r")

    out = reg[["register_id", "r", "net_amount"]].join(
        hit[["rule", "number", "date", "amount", "line_no"]], on="r"
    )
    found = out["rule"].notna()
    diff = (out["amount"] - out["net_amount"]).where(found)
    status = np.where(
        ~found, TieStatus.TRANSFER_MISSING.value, np.where(diff == 0, TieStatus.TIED, TieStatus.TRANSFER_MISMATCH.value)
    )
    result = pd.DataFrame(
        {
            "register_id": out["register_id"],
            "status": status,
            "rule": out["rule"].astype(object),
            "transfer_number": out["number"].astype(object),
            "transfer_date": out["date"].astype(object),
            "transfer_amount": out["amount"].astype("Int64"),
            "transfer_line_no": out["line_no"].astype("Int64"),
            "difference": diff.astype("Int64"),
        }
    )

    fl = []
    bad = result["status"] == str(Code.TRANSFER_MISMATCH)
    for row in result[bad].itertuples():  # registers per night: dozens, not payments
        fl.append(
            (
                row.register_id,
                row.transfer_line_no,
                str(Code.TRANSFER_MISMATCH),
                f"п/п № {row.transfer_number} на {format_ru(row.transfer_amount)}, "
                f"расхождение {format_ru(row.difference)}",
            )
        )
    for row in result[~found].itertuples():
        fl.append((row.register_id, pd.NA, str(Code.TRANSFER_MISSING), "п/п по реестру не найдено в выписке"))
    known_inn = set(reg["inn"].dropna()) | set(text(agents["payer_inn"]) if agents is not None else [])
    known_acc = set(reg["acc"].dropna()) | set(text(agents["payer_account"]) if agents is not None else [])
    known_inn.discard(None)
    known_acc.discard(None)
    unused = tr[~tr["t"].isin(hit["t"]) & (tr["tinn"].isin(known_inn) | tr["tacc"].isin(known_acc))]
    for t in unused.itertuples():
        fl.append(
            (
                pd.NA,
                t.line_no,
                str(Code.REGISTER_MISSING),
                f"п/п № {t.number} от {t.date:%d.%m.%Y} на {format_ru(t.amount)} от "
                f"{t.payer_name or t.payer_inn}: реестр не получен",
            )
        )
    flags = pd.DataFrame(fl, columns=TIE_FLAG_COLUMNS).astype(
        {"register_id": object, "transfer_line_no": "Int64"}
    )
    return TieResult(registers=result, flags=flags)


def is_foreign(statement: BankStatement, center_account: str) -> bool:
    """Whether a statement is of an account other than the center's (its п/п must not tie registers);
    never, when the center's account is not configured."""
    return bool(center_account) and statement.account != center_account


def statement_flags(statement: BankStatement, center_account: str) -> list[tuple[str, int | None]]:
    """FOREIGN_STATEMENT findings of a statement read for ``center_account``: ``(detail, amount)`` each.

    A foreign statement is one finding, with its incoming sum (money that ties no register); the
    sections of other accounts in the same file, with the documents left unread, are another.
    """
    found: list[tuple[str, int | None]] = []
    if is_foreign(statement, center_account):
        incoming = [t.amount for t in statement.transfers if t.incoming]
        found.append((
            f"выписка по счёту {statement.account}, а не по счёту РКЦ {center_account}: "
            f"{len(incoming)} поступлений на {format_ru(sum(incoming))} не сопоставляются с реестрами",
            sum(incoming),
        ))  # fmt: skip
    if statement.other_accounts:
        found.append((
            f"в файле также разделы по счетам {', '.join(statement.other_accounts)}: не прочитаны; "
            f"документов не по счёту {statement.account}: {statement.ignored_documents}",
            None,
        ))  # fmt: skip
    return found


def quarantine_note(number: object, day: object, amount: object, quarantined: Sequence[Mapping]) -> str | None:
    """What to say instead of «реестр не получен» when an unclaimed п/п (its ``number``, ``day``,
    ``amount`` in kopecks) looks like the payment of a
    quarantined register (``sql.registers.quarantined_registers``): the register, why it is in
    quarantine, and what matches — number (leading zeros ignored), date, amount. The register with
    the most matches. The date alone is no match (a night's registers share it): None unless the
    number or the amount matches."""
    best, matched = None, []
    number = _num(number)
    for reg in quarantined:
        found = [word for word, same in (
            ("номеру", number is not None and _num(reg.get("payment_order_number")) == number),
            ("дате", day is not None and reg.get("payment_order_date") == day),
            ("сумме", amount is not None and reg.get("net_amount") == amount),
        ) if same]  # fmt: skip
        if found and found != ["дате"] and len(found) > len(matched):
            best, matched = reg, found
    if best is None:
        return None
    reason = f": {best['reason']}" if best.get("reason") else ""
    return (f"похоже, оплачивает реестр {best['file']}, помещённый в карантин{reason} "
            f"(совпадает по {', '.join(matched)})")  # fmt: skip


def _num(value: object) -> str | None:
    """A п/п number for comparison: digits without leading zeros; None when there is none."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    stripped = str(value).strip().lstrip("0")
    return stripped or None
