"""The billing export (charges, one row per ПД service line) and the suppliers directory.

Both are ``;``-separated CSV with a header row, UTF-8 (BOM allowed) or cp1251. Every row is
validated in one vectorized pass; a bad row becomes a ``LineError`` with its line number and
reason, and the good rows are returned. A ПД with any bad line is held back whole, because loading
part of a receipt would split later payments wrongly.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from domain.identifiers import inn as inn_id
from domain.identifiers.account import compact as compact_account
from domain.records import CHARGE_COLUMNS, LineError, Supplier
from parsers.base import BadFile, file_sha256
from parsers.textio import read_text

CHARGE_FIELDS = ["uip", "account", "period", "supplier_inn", "service", "amount", "payer", "address"]
SUPPLIER_FIELDS = ["inn", "name", "kpp", "bank_account", "bic", "email"]
_AMOUNT = r"^(\d+)(?:[.,](\d{1,2}))?$"
_PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"


@dataclass(frozen=True)
class ChargesFile:
    """A parsed billing export: good service lines (``CHARGE_COLUMNS`` + ``line_no``) and errors."""

    file: str
    sha256: str
    lines: pd.DataFrame
    errors: tuple[LineError, ...]
    rows: int


def _split_rows(path: Path, fields: list[str]) -> tuple[pd.DataFrame, pd.Series]:
    """Data rows as a frame of strings with ``line_no`` and ``raw``; quoted lines go through csv."""
    try:
        text = read_text(path)
    except (UnicodeError, OSError) as exc:
        raise BadFile(path, f"cannot be read as text: {exc}") from exc
    lines = pd.Series(text.split("\n"), dtype=object)
    if lines.empty or not lines.iloc[0].strip():
        raise BadFile(path, "empty file or no header row")
    header = [h.strip().lower() for h in next(csv.reader([lines.iloc[0]], delimiter=";"))]
    missing = [f for f in fields if f not in header]
    if missing:
        raise BadFile(path, f"header lacks columns {missing}; expected {';'.join(fields)}")
    body = lines.iloc[1:]
    body = body[body.str.strip() != ""]
    quoted = body.str.contains('"', regex=False)
    plain = body[~quoted].str.split(";", expand=False)
    parsed = pd.concat([plain, body[quoted].map(lambda s: next(csv.reader(io.StringIO(s), delimiter=";")))])
    parsed = parsed.sort_index()
    widths = parsed.map(len)
    table = pd.DataFrame(parsed[widths == len(header)].tolist(), columns=header,
                         index=parsed[widths == len(header)].index)  # fmt: skip
    table = table.apply(lambda col: col.str.strip())
    table["line_no"] = table.index + 1
    table["raw"] = body.loc[table.index]
    wrong = body[widths != len(header)]
    return table, wrong


def read_charges(path: Path) -> ChargesFile:
    """Read and validate a billing export; raise ``BadFile`` only when the whole file is unusable."""
    table, wrong = _split_rows(path, CHARGE_FIELDS)
    name = str(path)
    errors: list[LineError] = [
        LineError(name, int(i) + 1, f"expected {len(CHARGE_FIELDS)} fields", str(raw))
        for i, raw in wrong.items()
    ]
    amount_parts = table["amount"].str.replace(r"[\s\u00a0]", "", regex=True).str.extract(_AMOUNT)
    reasons = pd.Series("", index=table.index, dtype=object)

    def flag(mask: pd.Series, reason: str) -> None:
        reasons[mask & (reasons == "")] = reason

    flag(table["uip"].str.len().eq(0) | table["uip"].str.len().gt(32), "uip must be 1 to 32 characters")
    flag(table["account"].map(compact_account).eq(""), "account is empty")
    flag(~table["period"].str.match(_PERIOD), "period must be YYYY-MM")
    valid_inn = {v: inn_id.is_valid(v) for v in table["supplier_inn"].unique()}
    flag(~table["supplier_inn"].map(valid_inn).astype(bool), "supplier_inn is not a valid ИНН")
    flag(table["service"].eq(""), "service is empty")
    flag(amount_parts[0].isna(), "amount must be like 1234.56 or 1234,56 and not negative")

    frac = amount_parts[1].fillna("0").str.ljust(2, "0")
    ok = reasons == ""
    kopecks = pd.Series(0, index=table.index, dtype="int64")
    kopecks[ok] = amount_parts.loc[ok, 0].astype("int64") * 100 + frac[ok].astype("int64")
    table["amount"] = kopecks

    # A ПД is one account and one period: lines that disagree make the whole ПД suspect.
    per_doc = table[ok].groupby("uip")[["account", "period"]].nunique()
    torn = set(per_doc[(per_doc["account"] > 1) | (per_doc["period"] > 1)].index)
    flag(table["uip"].isin(torn), "lines of this ПД disagree on account or period")
    bad_docs = set(table.loc[reasons != "", "uip"])
    flag(table["uip"].isin(bad_docs), "another line of this ПД was rejected")

    bad = table[reasons != ""]
    errors += [
        LineError(name, int(n), str(r), str(raw))
        for n, r, raw in zip(bad["line_no"], reasons[bad.index], bad["raw"], strict=True)
    ]
    good = table[reasons == ""].copy()
    good["account_raw"] = good["account"]
    good["account"] = good["account_raw"].map(compact_account)
    good = good[[*CHARGE_COLUMNS, "line_no"]].reset_index(drop=True)
    errors.sort(key=lambda e: e.line_no)
    return ChargesFile(name, file_sha256(path), good, tuple(errors), len(table) + len(wrong))


def read_suppliers(path: Path) -> tuple[list[Supplier], tuple[LineError, ...]]:
    """Read the suppliers directory; rows with an invalid ИНН are errors."""
    table, wrong = _split_rows(path, ["inn", "name"])
    errors = [
        LineError(str(path), int(i) + 1, "wrong number of fields", str(raw)) for i, raw in wrong.items()
    ]
    suppliers = []
    for row in table.fillna("").to_dict("records"):
        if not inn_id.is_valid(row["inn"]):
            errors.append(LineError(str(path), row["line_no"], "inn is not a valid ИНН", row["raw"]))
        elif not row["name"]:
            errors.append(LineError(str(path), row["line_no"], "name is empty", row["raw"]))
        else:
            suppliers.append(Supplier(**{k: row.get(k, "") or "" for k in SUPPLIER_FIELDS}))
    return suppliers, tuple(errors)
