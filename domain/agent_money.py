"""What stands behind each agent's money (docs/LEDGER.md, "Money without its register"): every
non-zero ``agent:*`` and ``agent_unallocated:*`` balance with the registers and п/п that explain it,
the part nothing explains, and its age (days since the oldest item behind it)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from domain.ledger import natural_balance
from domain.money import format_ru

ROW_COLUMNS = ["account", "channel", "balance", "explained", "unexplained", "since", "age_days", "registers",
               "transfers"]  # fmt: skip


def agent_money_rows(balances: pd.DataFrame, items: pd.DataFrame, run_date: date) -> pd.DataFrame:
    """One row per balance (``ROW_COLUMNS``). ``balances``: account, signed (debit positive);
    ``items``: account, kind ('register' | 'transfer'), ref, file, number, day, since, amount (in
    the account's natural sign), as ``sql.agent_money.agent_items`` gives them."""
    rows = []
    for account, signed in zip(balances["account"], balances["signed"], strict=True):
        mine = items[items["account"] == account]
        balance = natural_balance(account, int(signed))
        explained = int(mine["amount"].sum()) if len(mine) else 0
        days = [d if isinstance(d, date) else date.fromisoformat(str(d)[:10]) for d in mine["since"] if pd.notna(d)]
        since = min(days) if days else None
        rows.append({
            "account": account, "channel": account.split(":", 1)[1], "balance": balance, "explained": explained,
            "unexplained": balance - explained, "since": since,
            "age_days": (run_date - since).days if since else None,
            "registers": "; ".join(_register(r) for r in mine[mine["kind"] == "register"].itertuples()),
            "transfers": "; ".join(_transfer(r) for r in mine[mine["kind"] == "transfer"].itertuples()),
        })  # fmt: skip
    frame = pd.DataFrame(rows, columns=ROW_COLUMNS)
    return frame.astype({"balance": "Int64", "explained": "Int64", "unexplained": "Int64", "age_days": "Int64"})


def _day(value: object) -> str:
    if value is None or pd.isna(value):  # type: ignore[arg-type]
        return "?"
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return f"{day:%d.%m.%Y}"


def _register(row) -> str:  # type: ignore[no-untyped-def]
    """«№ 12 (r.txt), п/п № 11 от 20.11.2026: 87 111,97»."""
    number = "?" if pd.isna(row.number) or not row.number else row.number
    return f"№ {row.ref} ({row.file}), п/п № {number} от {_day(row.day)}: {format_ru(int(row.amount))}"


def _transfer(row) -> str:  # type: ignore[no-untyped-def]
    """«№ 11 от 20.11.2026: 87 111,97»."""
    return f"№ {row.number} от {_day(row.day)}: {format_ru(int(row.amount))}"
