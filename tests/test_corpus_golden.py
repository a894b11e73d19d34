"""Every corpus register (tests/data/corpus/) read by its own dialect or profile, against two
independent expectations: the manifest's figures, worked out by hand from the sample and its
public source (docs/CORPUS.md), and the golden file beside the sample (what the parser makes of
each record, pinned; ``RKC_REGEN_GOLDEN=1`` rewrites it for review).

A sample whose reading needs a key the parsers do not have yet is listed in ``PENDING`` with the
key it waits for: it is skipped with that reason, never silently passed.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from parsers.base import RegisterParser
from parsers.census import count_records
from parsers.registry import build_parser
from parsers.totals_file import read_totals_file
from tests.golden import check_golden, parsed_summary

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).parent / "data" / "corpus"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
READABLE = [s for s in MANIFEST["samples"] if s["payments"] or s["rejected"]]  # a totals file alone is no register
# Samples the parsers cannot read as the manifest says yet, with what they wait for.
PENDING: dict[str, str] = {}


def _kopecks(rubles: str | None) -> int | None:
    return None if rubles is None else int(Decimal(rubles) * 100)


def _parser(sample: dict) -> RegisterParser:
    profile = sample["profile"]
    path = ROOT / profile if profile.startswith("parsers/") else CORPUS / profile
    by_container = {"zip": "xlsx", "ole2": "xlsx", "html": "xlsx", "dbf": "dbf", "text": "text"}
    fmt = yaml.safe_load(path.read_text(encoding="utf-8")).get("format") or by_container[sample["container"]]
    return build_parser(fmt, str(path))


@pytest.mark.parametrize("sample", READABLE, ids=[s["file"] for s in READABLE])
def test_corpus_sample(sample: dict) -> None:
    if sample["file"] in PENDING:
        pytest.skip(PENDING[sample["file"]])
    path = CORPUS / sample["file"]
    parser = _parser(sample)
    assert parser.identify(path, path.read_bytes()[: 64 * 1024]), f"{parser.name} does not identify {path.name}"
    summary = parsed_summary(parser, path)
    payments, rejected = summary["payments"], summary["rejected"]
    # Against the manifest, worked out by hand.
    assert [p["amount"] for p in payments] == [_kopecks(a) for a in sample["payment_amounts"]]
    assert [r["amount"] for r in rejected] == [_kopecks(r["amount"]) for r in sample["rejected"]]
    assert summary["non_payments"] == sample["non_payments"]
    assert count_records(path) == sample["records"] == len(payments) + len(rejected) + sum(
        Counter(summary["non_payments"]).values()
    )
    declared = sample.get("declared_totals") or {}
    found = summary["declared"] or {}
    if sample.get("totals_file"):  # the totals arrive in a file beside the register, as the channel pairs them
        spec = sample["totals_file"]
        assert not found, "a register whose totals come in a file of their own declares none itself"
        totals = read_totals_file(CORPUS / spec["file"], re.compile(spec["content"], re.M), spec["encoding"])
        found = {k: v for k, v in asdict(totals).items() if v is not None}
    if declared.get("amount") is not None:
        assert found.get("amount") == _kopecks(declared["amount"])
    if "count" in declared:  # null: the register declares no count (a number there is something else)
        assert found.get("count") == declared["count"]
    for line, readings in (sample.get("meters") or {}).items():
        row = next(p for p in payments if p["line_no"] == int(line))
        assert row["meters"] == readings, line
    for line, qr in (sample.get("qr") or {}).items():  # what a line's QR payload gave it, and its finding
        row = next(p for p in payments if p["line_no"] == int(line))
        got = {k: row.get(k) for k in ("account_raw", "uip", "period", "method_raw")}
        assert {**got, "finding": row.get("qr_flag")} == qr, line
    # Against the golden file: every field of every record.
    check_golden(summary, path)
