"""Reading the accountants' resolutions back from a discrepancy report they filled in.

On the suspense sheets of the run report (UNKNOWN_ACCOUNT, AMBIGUOUS_MATCH) the accountant types
the right ЛС or УИП into «Верный ЛС или УИП» and their name into «Кто решил», and drops the
workbook into ``inbox/resolutions/``. Columns are found by their header on every sheet, so
sheets and columns may be reordered, rows sorted or filtered, other sheets deleted or added.
Applying a resolution (finding the ПД, reclassifying) is ``rkc.resolve``'s job, not this module's.
"""

from __future__ import annotations

import math
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from domain.records import LineError
from reports.run_report import PAYMENT_ID_HEADER, RESOLVER_HEADER, TARGET_HEADER

_HEADER_SEARCH_ROWS = 10  # the header is row 1 as written; allow a few title rows added by hand


@dataclass(frozen=True)
class ResolutionRequest:
    """An accountant's instruction: move suspense payment ``payment_id`` to the ПД named by ``target``."""

    payment_id: int
    target: str  # a УИП or a ЛС, as typed (trimmed)
    resolved_by: str
    file: str
    row: int  # the worksheet row, as the accountant sees it


def read_resolutions(path: Path) -> tuple[list[ResolutionRequest], list[LineError]]:
    """Every filled-in resolution of the workbook, and a ``LineError`` per row that cannot be read.

    Rows with an empty target are skipped silently (not resolved yet). A row with a target but
    no payment id, a payment id that is not a whole number, no name in «Кто решил», or a payment
    already resolved differently earlier in the workbook is a ``LineError`` (file, row, reason).
    An unreadable workbook is a single ``LineError`` with row 0.
    """
    name = path.name
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        return [], [LineError(name, 0, f"cannot read the workbook: {exc}", "")]
    requests: list[ResolutionRequest] = []
    errors: list[LineError] = []
    seen: dict[int, ResolutionRequest] = {}
    try:
        for ws in wb.worksheets:
            rows = ws.iter_rows(values_only=True)
            columns = None
            for number, row in enumerate(rows, 1):
                if columns is None:
                    columns = _columns(row)
                    if columns is None and number >= _HEADER_SEARCH_ROWS:
                        break
                    continue
                request, error = _read_row(row, columns, name, ws.title, number)
                if error is not None:
                    errors.append(error)
                elif request is not None:
                    first = seen.get(request.payment_id)
                    if first is None:
                        seen[request.payment_id] = request
                        requests.append(request)
                    elif first.target != request.target:
                        errors.append(_error(name, ws.title, number, row,
                                             f"payment {request.payment_id} already resolved to "
                                             f"{first.target!r} in row {first.row}"))  # fmt: skip
    finally:
        wb.close()
    return requests, errors


def _columns(row: tuple) -> tuple[int, int, int] | None:
    """Positions of the payment id, target and resolver headers, if this row is the header."""
    labels = [str(v).strip() if v is not None else "" for v in row]
    wanted = (PAYMENT_ID_HEADER, TARGET_HEADER, RESOLVER_HEADER)
    if not all(w in labels for w in wanted):
        return None
    pid, target, who = (labels.index(w) for w in wanted)
    return pid, target, who


def _cell(row: tuple, index: int) -> object:
    return row[index] if index < len(row) else None


def _read_row(
    row: tuple, columns: tuple[int, int, int], file: str, sheet: str, number: int
) -> tuple[ResolutionRequest | None, LineError | None]:
    target = _text(_cell(row, columns[1]))
    if not target:
        return None, None
    payment_id = _whole(_cell(row, columns[0]))
    if payment_id is None:
        shown = _cell(row, columns[0])
        return None, _error(file, sheet, number, row, f"«{PAYMENT_ID_HEADER}» is not a payment id: {shown!r}")
    resolved_by = _text(_cell(row, columns[2]))
    if not resolved_by:
        return None, _error(file, sheet, number, row, f"«{RESOLVER_HEADER}» is empty: say who resolved it")
    return ResolutionRequest(payment_id, target, resolved_by, file, number), None


def _text(value: object) -> str:
    """A typed cell as text. A ЛС typed into a number-formatted cell arrives as a number: whole
    floats are written without ``.0`` (leading zeros are lost either way; ЛС matching ignores them)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value).strip()


def _whole(value: object) -> int | None:
    """A positive whole number from an int, an integral float or Decimal, or digits as text."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, (float, Decimal)):
        if not value.is_finite() if isinstance(value, Decimal) else not math.isfinite(value):
            return None
        return int(value) if value == int(value) and value > 0 else None
    text = str(value).strip()
    return int(text) if text.isascii() and text.isdigit() and int(text) > 0 else None


def _error(file: str, sheet: str, number: int, row: tuple, reason: str) -> LineError:
    raw = ";".join("" if v is None else str(v) for v in row)
    return LineError(file, number, f"sheet {sheet!r}: {reason}", raw)
