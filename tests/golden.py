"""Golden files for parsers (beangulp's way): a sample beside the JSON of what it must parse to.

``parsed_summary`` renders everything a parser makes of a file (payments with their fields,
rejected records with reason and readable amount, non-payment records by kind, declared totals)
as plain JSON; ``check_golden`` compares it with ``<sample>.golden.json`` beside the sample.
``RKC_REGEN_GOLDEN=1`` rewrites the golden files instead: review the diff before committing it.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from parsers.base import RegisterParser

# The payment fields a golden file pins (the raw line is pinned by line_no into the sample).
GOLDEN_FIELDS = (
    "line_no", "operation_id", "paid_date", "paid_time", "account_raw", "account", "uip", "els", "period",
    "amount", "commission", "payer", "address", "supplier_inn", "services", "meters",
    "method_raw", "qr", "qr_flag", "qr_detail",
)  # fmt: skip
# Pinned only where a record has them: the golden files written before them stay as they are.
OPTIONAL_FIELDS = ("method_raw", "qr", "qr_flag", "qr_detail")


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def parsed_summary(parser: RegisterParser, path: Path) -> dict[str, Any]:
    """Everything ``parser`` makes of ``path``, as JSON-able data (file order)."""
    payments: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    non_payments: Counter[str] = Counter()
    declared = None
    for chunk in parser.parse(path):
        frame = chunk.payments
        for row in frame.to_dict("records"):
            payments.append({k: _plain(row.get(k)) for k in GOLDEN_FIELDS
                             if k in frame.columns and not (k in OPTIONAL_FIELDS and _plain(row.get(k)) is None)})
        rejected += [{"line_no": e.line_no, "reason": e.reason, "amount": e.amount} for e in chunk.errors]
        non_payments.update(chunk.non_payments)
        if chunk.declared is not None:
            declared = {k: _plain(v) for k, v in asdict(chunk.declared).items() if v is not None}
    return {
        "parser": parser.name,
        "payments": payments,
        "rejected": rejected,
        "non_payments": dict(sorted(non_payments.items())),
        "declared": declared,
    }


def check_golden(summary: dict[str, Any], sample: Path) -> None:
    """Compare ``summary`` with the sample's golden file (or rewrite it under RKC_REGEN_GOLDEN=1)."""
    golden = sample.with_name(sample.name + ".golden.json")
    text = json.dumps(summary, ensure_ascii=False, indent=1, sort_keys=False) + "\n"
    if os.environ.get("RKC_REGEN_GOLDEN") == "1":
        golden.write_text(text, encoding="utf-8")
        return
    if not golden.is_file():
        raise AssertionError(f"{golden} is missing: run with RKC_REGEN_GOLDEN=1 and review it")
    expected = json.loads(golden.read_text(encoding="utf-8"))
    assert json.loads(text) == expected, f"{sample.name}: parse differs from {golden.name}"
