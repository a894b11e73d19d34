"""A spreadsheet header over several rows, read as one path of texts per column, and the service columns in it.

A template such as the ГИС ЖКХ «Оплаты» sheet writes its header over three merged rows: a group
cell («Основные данные», «Услуга1») spans the columns of its sub-headers («Номер платежного
документа», «Название», «Сумма»). calamine (and an HTML ``colspan``) gives a merged cell's text in
its first column only, so ``column_paths`` carries a group's text to the right over the columns
that have a sub-header below it: a cell with nothing below it (a cell merged down, ``№ п/п``) is no
group and is never carried. Each column is then named by its path, top to bottom (``Основные
данные / Период, за который вносится плата / Месяц``), and ``candidates`` lists the texts an alias
may equal: the path's tails joined (longest first), then the upper texts alone.

``ServiceSpec`` (the profile's ``services`` key) finds the bank's split by service: columns whose
path matches the ``amount`` pattern hold a service's amount; its code is in the column whose path
matches the ``code`` pattern with the same number (the pattern's first group), or, without
``code``, the group itself or the column's own lowest text (per-service amount columns).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class ServiceColumn:
    """One service of the bank's split: the code's column (or the code itself) and the amount's column."""

    amount: int
    code_column: int | None = None
    code: str | None = None  # the code, when the header gives it (per-service amount columns)
    kopecks: bool = False  # the amount column's header says коп.


@dataclass(frozen=True)
class ServiceSpec:
    """The profile's ``services``: patterns over a column's header path (case and ё/е ignored)."""

    amount: re.Pattern[str]
    code: re.Pattern[str] | None = None


def path_text(path: Sequence[str]) -> str:
    """A column's path as the patterns see it (they ignore case): ё→е, single spaces, rows joined by `` / ``."""
    return " / ".join(_SPACES.sub(" ", p).strip().replace("ё", "е").replace("Ё", "Е") for p in path)


def compile_pattern(text: str) -> re.Pattern[str]:
    """A profile's service pattern, compiled to match as ``path_text`` folds (``re.error`` if wrong)."""
    return re.compile(text.replace("ё", "е").replace("Ё", "Е"), re.IGNORECASE)


def column_paths(rows: Sequence[Sequence[object]]) -> list[list[str]]:
    """Per column, the header texts from the top row down, a group's text carried over its sub-columns."""
    width = max((len(r) for r in rows), default=0)
    grid = [[_clean(r[c]) if c < len(r) else "" for c in range(width)] for r in rows]
    for r in range(len(grid) - 1):
        below = [any(grid[k][c] for k in range(r + 1, len(grid))) for c in range(width)]
        carry = ""
        for c in range(width):
            if grid[r][c]:
                carry = grid[r][c] if below[c] else ""  # a group has sub-headers under it
            elif carry and below[c]:
                grid[r][c] = carry
            else:
                carry = ""
    return [[grid[r][c] for r in range(len(grid)) if grid[r][c]] for c in range(width)]


def candidates(path: Sequence[str]) -> list[str]:
    """The texts a column may be named by: its path's tails joined, longest first, then each upper text."""
    tails = [" ".join(path[j:]) for j in range(len(path))]
    return tails + list(reversed(path[:-1]))


def service_columns(
    spec: ServiceSpec, paths: list[list[str]], taken: set[int], kopecks: list[bool]
) -> tuple[ServiceColumn, ...]:
    """The service columns of a header: amount columns paired with their code columns by number.

    ``taken``: columns the header already gives to payment fields (never a service). An amount
    column whose code column is missing has no code (its amounts are then rejected, never lost).
    """
    texts = [path_text(p) for p in paths]
    codes: dict[str, int] = {}
    if spec.code is not None:
        for i, text in enumerate(texts):
            match = spec.code.search(text) if i not in taken else None
            if match is not None:
                codes.setdefault(_number(match, len(codes)), i)
    out: list[ServiceColumn] = []
    for i, text in enumerate(texts):
        match = spec.amount.search(text) if i not in taken and i not in codes.values() else None
        if match is None:
            continue
        if spec.code is not None:
            column = codes.get(_number(match, len(out)))
            out.append(ServiceColumn(i, code_column=column, kopecks=kopecks[i]))
        else:
            code = match.group(1) if match.re.groups and match.group(1) else paths[i][-1]
            out.append(ServiceColumn(i, code=code.strip(), kopecks=kopecks[i]))
    return tuple(out)


def _number(match: re.Match[str], order: int) -> str:
    """The service's number: the pattern's first group, else its order among the matches."""
    return match.group(1) if match.re.groups and match.group(1) is not None else f"#{order}"


def _clean(cell: object) -> str:
    return _SPACES.sub(" ", cell).strip() if type(cell) is str else ""
