"""The run summary (``out/<date>/run-summary.json``) and the bridge that must close to zero."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from domain.bridge import BRIDGE_COLUMNS, check_bridge, render_register, render_totals
from domain.methods import order_methods, summary_key
from domain.money import format_amount
from sql.discrepancies import counts_by_code
from sql.registers import night_payments_by_method

BRIDGE_FIELDS = ["amount_total", "posted", "suspense", "rejected", "duplicate", "quarantined"]


def bridge_frame(registers: list[dict]) -> pd.DataFrame:
    """The bridge of the night's registers (``BRIDGE_COLUMNS``)."""
    rows = [{"register_id": i, **{k: int(o[k]) for k in BRIDGE_FIELDS}} for i, o in enumerate(registers)]
    frame = pd.DataFrame(rows, columns=["register_id", *BRIDGE_FIELDS])
    frame["residual"] = frame["amount_total"] - frame[BRIDGE_FIELDS[1:]].sum(axis=1)
    return frame[BRIDGE_COLUMNS]


def bridge_lines(registers: list[dict]) -> list[dict]:
    """Each register's bridge (file, channel, status, ``BRIDGE_FIELDS`` in kopecks, residual) and
    a last line of totals with ``file`` None, as the CLI and the Prefect UI show them."""
    totals = {k: sum(int(r[k]) for r in registers) for k in BRIDGE_FIELDS}
    lines = []
    for r in [*registers, {"file": None, "channel": "", "status": "", **totals}]:
        amounts = {k: int(r[k]) for k in BRIDGE_FIELDS}
        residual = amounts["amount_total"] - sum(amounts[k] for k in BRIDGE_FIELDS[1:])
        lines.append({"file": r["file"], "channel": r["channel"], "status": r["status"], **amounts,
                      "residual": residual})  # fmt: skip
    return lines


def discrepancy_counts(engine: Engine, run_date: date) -> dict[str, int]:
    """How many discrepancies of each code the run recorded."""
    with engine.connect() as conn:
        return counts_by_code(conn, run_date)


def methods_of_night(engine: Engine, run_date: date) -> pd.DataFrame:
    """The night's stored payments by method (``domain.methods`` order): method (None: not stated),
    payments, posted, suspense and amount (posted + suspense) in kopecks."""
    with engine.connect() as conn:
        rows = night_payments_by_method(conn, run_date)
    frame = pd.DataFrame(rows, columns=["method", "payments", "posted", "suspense"])
    frame["amount"] = frame["posted"].astype("int64") + frame["suspense"].astype("int64")
    return order_methods(frame)


def render_methods(methods: pd.DataFrame) -> dict[str, dict]:
    """``by_method`` of run-summary.json: method code (``not_stated`` for none) -> payments and the
    amounts as strings with two decimals, as the summary writes money."""
    return {summary_key(r.method): {"payments": int(r.payments), "amount": format_amount(int(r.amount)),
                                    "posted": format_amount(int(r.posted)), "suspense": format_amount(int(r.suspense))}
            for r in methods.itertuples(index=False)}  # fmt: skip


def write_summary(out_dir: Path, run_date: date, registers: list[dict], counts: dict[str, int], extra: dict) -> Path:
    """Write ``run-summary.json`` of the night's ``registers`` (``sql.registers.night_registers``);
    raise ``BridgeError`` first if any register's residual is not 0."""
    frame = bridge_frame(registers)
    check_bridge(frame)
    rendered = [
        render_register(
            {"file": o["file"], "sha256": o["sha256"], "channel": o["channel"], "format": o["format"],
             "status": o["status"], "lines": o["lines"], "rejected_lines": o["rejected_lines"],
             "records": o.get("records", 0), "non_payment_lines": o.get("non_payment_lines", 0)},
            {k: int(o[k]) for k in BRIDGE_FIELDS},
        )
        for o in registers
    ]  # fmt: skip
    totals = render_totals(
        frame, lines=sum(o["lines"] for o in registers), rejected_lines=sum(o["rejected_lines"] for o in registers),
        records=sum(o.get("records", 0) for o in registers),
        non_payment_lines=sum(o.get("non_payment_lines", 0) for o in registers),
    )
    summary = {"date": run_date.isoformat(), "registers": rendered, "totals": totals, "discrepancies": counts, **extra}
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "run-summary.json"
    path.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
