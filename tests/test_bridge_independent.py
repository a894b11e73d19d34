"""The bridge's input side checked against an independent scan of the files themselves.

The run summary's ``amount_total`` per register is what the parser saw. Here every register file
of a generated night is scanned again by code that shares nothing with the parsers (no dialect,
no profile, no parser module: a split, a regular expression, openpyxl, lxml), summing every
amount readable in the amount position of every record that is not a totals line. That sum must
equal the register's ``amount_total`` and so ``posted + suspense + rejected + duplicate +
quarantined``: a payment that a parser drops without a word (a line taken for a header, a line
of the wrong width) shows here as a difference.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from openpyxl import load_workbook

from tests.test_flow_nightly import _day

_RUBLES = re.compile(r"^\d{1,15}(?:[.,]\d{1,2})?$")
OUTCOMES = ("posted_amount", "suspense_amount", "rejected_amount", "duplicate_amount", "quarantined_amount")


def _kopecks(text: str) -> int | None:
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "")
    if not _RUBLES.match(cleaned):
        return None
    return int(Decimal(cleaned.replace(",", ".")) * 100)


def _lines(path: Path) -> list[str]:
    # Digits and separators are ASCII in every code page these files use: latin-1 never fails.
    text = path.read_bytes().removeprefix(b"\xef\xbb\xbf").decode("latin-1")
    return [line.rstrip("\r\x1a") for line in text.split("\n")]


def _scan_positional(path: Path, position: int) -> int:
    """Σ readable amounts at ``position`` (0-based; negative from the end) of ``;`` lines, footer excluded."""
    total = 0
    for line in _lines(path):
        if not line.strip() or line.startswith("="):
            continue
        fields = line.removesuffix(";").split(";")
        if -len(fields) <= position < len(fields):
            total += _kopecks(fields[position]) or 0
    return total


def _scan_pipe(path: Path) -> int:
    """Σ readable amounts of the ``amount`` column named by the first non-blank line."""
    lines = [line for line in _lines(path) if line.strip()]
    header = [h.strip().lower() for h in lines[0].removesuffix("|").split("|")]
    at = header.index("amount")
    total = 0
    for line in lines[1:]:
        fields = line.removesuffix("|").split("|")
        if at < len(fields):
            total += _kopecks(fields[at]) or 0
    return total


def _scan_xlsx(path: Path) -> int:
    """Σ readable amounts of the «Сумма» column below the header row, the «Итого» row excluded."""
    sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
    total, at = 0, None
    for row in sheet.iter_rows(values_only=True):
        cells = ["" if c is None else c for c in row]
        if at is None:
            names = [str(c).strip().lower() for c in cells]
            at = names.index("сумма") if "сумма" in names else None
            continue
        if any(str(c).strip().lower().startswith(("итого", "всего")) for c in cells) or at >= len(cells):
            continue
        value = cells[at]
        if isinstance(value, int | float) and not isinstance(value, bool):
            total += int((Decimal(repr(float(value))) * 100).to_integral_value())
        elif isinstance(value, str):
            total += _kopecks(value) or 0
    return total


def _scan_gis(path: Path) -> int:
    """Σ ``Amount`` (kopecks) of every notification."""
    total = 0
    for _, element in etree.iterparse(str(path), events=("end",), resolve_entities=False, no_network=True):
        if etree.QName(element).localname == "Amount" and (element.text or "").strip().isdigit():
            total += int(element.text.strip())
    return total


SCANNERS = {
    "sber": lambda p: _scan_positional(p, 9),
    "rshb": lambda p: _scan_positional(p, -3),
    "online": _scan_pipe,
    "portal": _scan_xlsx,
    "gis": _scan_gis,
}


def _amount(text: str) -> int:
    return int(Decimal(text) * 100)


def test_bridge_input_equals_an_independent_scan_of_the_files(harness, tmp_path, db_url, monkeypatch) -> None:
    from flows.nightly import nightly

    config, day = _day(tmp_path / "home", db_url, monkeypatch)
    result = nightly(home=str(config.home), run_date=day.run_date)
    summary = json.loads(Path(result["summary"]).read_text(encoding="utf-8"))
    by_sha = {r["sha256"]: r for r in summary["registers"]}
    refused = {b["sha256"] for b in summary.get("bad_files", [])}
    scanned = 0
    for folder in (config.archive, config.quarantine):
        for path in sorted((folder / day.run_date.isoformat()).rglob("*")):
            channel = path.parent.name
            if not path.is_file() or path.name.endswith(".reason.txt") or channel not in SCANNERS:
                continue
            from parsers.base import file_sha256

            sha = file_sha256(path)
            if sha in refused:
                continue  # refused whole as unreadable: named in bad_files with its reason
            register = by_sha.get(sha)
            if register is None:
                continue  # a duplicate file: its content is another register's
            scan = SCANNERS[channel](path)
            assert _amount(register["amount_total"]) == scan, (path.name, register["amount_total"], scan)
            assert sum(_amount(register[k]) for k in OUTCOMES) == scan, path.name
            assert register["records"] == register["payments"] + register["non_payment_lines"] + register[
                "rejected_lines"
            ], path.name
            scanned += 1
    assert scanned >= len(SCANNERS), "every channel's registers were scanned"
    assert scanned == len(summary["registers"]), "every register of the night was scanned"


@pytest.mark.parametrize(
    ("line", "position", "expected"),
    [("a;b;1 500,00;", 2, 150000), ("a;b;x", 2, 0), ("a;b", 5, 0), ("a;b;12,5", -1, 1250)],
)
def test_positional_scanner(tmp_path: Path, line: str, position: int, expected: int) -> None:
    path = tmp_path / "r.txt"
    path.write_text(line + "\n=1;1,00\n", encoding="cp1251")
    assert _scan_positional(path, position) == expected
