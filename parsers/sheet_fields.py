"""Spreadsheet fields made of several cells: the period from two columns (Месяц, Год) and the bank's split by service.

Month: a number 1–12 (``3``, ``"03"``, a number cell ``3.0``) or a Russian month name, full, in the
genitive or cut short (``март``, ``Марта``, ``мар.``). Year: four digits, or two (``26`` is 2026).
Anything else gives no period (banks put junk there); the payment is still read.

Services: per row, the (code, kopecks) of each service column that holds an amount, in column
order; a row with none has no split (None: the ПД's split is used). A service amount that cannot
be read, or an amount without its code, rejects the row, as does a split whose sum is not the
payment's amount.
"""

from __future__ import annotations

import numpy as np

from parsers import xlsx_cells as cells
from parsers.sheet_header import ServiceColumn

# Month names: the stem and the endings of the nominative, genitive and prepositional (март, марта, марте).
_MONTHS = {"январ": 1, "феврал": 2, "март": 3, "апрел": 4, "июн": 6, "июл": 7, "август": 8, "сентябр": 9,
           "октябр": 10, "ноябр": 11, "декабр": 12}  # fmt: skip
_ENDINGS = frozenset({"", "ь", "я", "е", "а"})
_MONTH_SHORT = {"янв": 1, "фев": 2, "мар": 3, "апр": 4, "май": 5, "мая": 5, "мае": 5, "июн": 6, "июл": 7,
                "авг": 8, "сен": 9, "сент": 9, "окт": 10, "ноя": 11, "нояб": 11, "дек": 12}  # fmt: skip


def month(cell: object) -> int | None:
    """The month 1–12 of a cell (number or Russian name), None when it is not one."""
    if type(cell) is float or type(cell) is int:
        return int(cell) if float(cell).is_integer() and 1 <= cell <= 12 else None
    if type(cell) is not str:
        return None
    text = cell.strip().lower().replace("ё", "е").rstrip(".")
    if text.isdigit():
        return int(text) if 1 <= int(text) <= 12 else None
    if text in _MONTH_SHORT:
        return _MONTH_SHORT[text]
    for stem, number in _MONTHS.items():
        if text.startswith(stem) and text[len(stem) :] in _ENDINGS:
            return number
    return None


def year(cell: object) -> int | None:
    """The year of a cell: four digits (1990–2099) or two (20yy); None otherwise."""
    if type(cell) is float or type(cell) is int:
        if not float(cell).is_integer():
            return None
        text = str(int(cell))
    elif type(cell) is str:
        text = cell.strip()
    else:
        return None
    if not text.isdigit() or len(text) not in (2, 4):
        return None
    value = int(text) if len(text) == 4 else 2000 + int(text)
    return value if 1990 <= value <= 2099 else None


def period(month_cell: object, year_cell: object) -> str | None:
    """``YYYY-MM`` from a month cell and a year cell, None when either is not readable."""
    m, y = month(month_cell), year(year_cell)
    return None if m is None or y is None else f"{y:04d}-{m:02d}"


def periods(months: list[object], years: list[object]) -> list[str | None]:
    """``period`` over two columns, once per distinct (month, year) pair (they repeat)."""
    pairs = list(zip(months, years, strict=True))
    return cells.memoised(lambda pair: period(*pair), pairs)


def splits(
    table: list[tuple[object, ...]], services: tuple[ServiceColumn, ...], amount: np.ndarray, amount_ok: np.ndarray
) -> tuple[list[tuple[tuple[str, int], ...] | None], list[str]]:
    """Per row: the bank's split (None without one) and why the row is rejected (``""`` when it is not)."""
    n = len(amount)
    rows: list[list[tuple[str, int]]] = [[] for _ in range(n)]
    why = [""] * n
    total = np.zeros(n, dtype=np.int64)
    for svc in services:
        column = list(table[svc.amount])
        convert = cells.kopeck_amounts if svc.kopecks else cells.amounts
        kop, ok, reasons = convert(column, positive=False, name="service amount")
        codes = cells.texts(list(table[svc.code_column])) if svc.code_column is not None else [svc.code] * n
        present = [cells.text(c) is not None for c in column]
        for i in range(n):  # only cells that hold something are visited
            if not present[i]:
                if codes[i] is not None and svc.code_column is not None and not why[i]:
                    why[i] = f"service {codes[i]!r} has no amount"
                continue
            if not ok[i]:
                why[i] = why[i] or reasons[i]
            elif codes[i] is None:
                why[i] = why[i] or "a service amount without its service code"
            elif kop[i] or svc.code_column is not None:  # a 0 under a per-service column: not paid for
                rows[i].append((codes[i], int(kop[i])))
                total[i] += kop[i]
    out: list[tuple[tuple[str, int], ...] | None] = [tuple(r) if r else None for r in rows]
    for i in range(n):
        if out[i] is not None and not why[i] and amount_ok[i] and total[i] != amount[i]:
            why[i] = "service amounts do not add up to the amount"
    return out, why
