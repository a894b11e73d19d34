"""Reading the accountants' resolutions back from a discrepancy report they filled in.

On the suspense sheets of the run report (UNKNOWN_ACCOUNT, AMBIGUOUS_MATCH) the accountant types
the right ЛС or УИП into «Верный ЛС или УИП» and their name into «Кто решил», and drops the
workbook into ``inbox/resolutions/``. To split a payment across several ПД, the row is copied, one
per ПД, each with its part in «Сумма на этот ПД» (an optional column: workbooks written before it
existed are read as they were). Columns are found by their header on every sheet, so
sheets and columns may be reordered, rows sorted or filtered, other sheets deleted or added.
Applying a resolution (finding the ПД, reclassifying) is ``rkc.resolve``'s job, not this module's.
"""

from __future__ import annotations

import logging
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from xml.etree.ElementTree import ParseError

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from domain.identifiers import row_id
from domain.money import AmountError, parse_amount
from domain.records import LineError
from parsers.container import Container, sniff_file, workbook_kind
from reports.run_report import PART_AMOUNT_HEADER, PAYMENT_ID_HEADER, RESOLVER_HEADER, TARGET_HEADER

log = logging.getLogger(__name__)

_HEADER_SEARCH_ROWS = 10  # the header is row 1 as written; allow a few title rows added by hand
_MAX_TARGET = 64  # a ЛС or УИП is at most 32 characters; room for the spaces and dashes people type
_MAX_NAME = 200
_MAX_RAW = 1000  # a row quoted in an error is cut: a cell may hold a pasted page
# What a damaged workbook raises inside openpyxl (bad zip, bad deflate, bad XML, missing parts).
_DAMAGE = (zipfile.BadZipFile, zlib.error, InvalidFileException, ParseError, KeyError, OSError, ValueError,
           EOFError, TypeError, AttributeError, IndexError)  # fmt: skip
_WANTED = f"«{PAYMENT_ID_HEADER}», «{TARGET_HEADER}», «{RESOLVER_HEADER}»"
_SAVE_AS = "сохраните отчёт в Excel как «Книга Excel (*.xlsx)» и положите снова"


@dataclass(frozen=True)
class ResolutionRequest:
    """An accountant's instruction: move suspense payment ``payment_id`` to the ПД named by ``target``."""

    payment_id: int
    target: str  # a УИП or a ЛС, as typed (trimmed)
    resolved_by: str
    file: str
    row: int  # the worksheet row, as the accountant sees it
    amount: int | None = None  # kopecks of one part of a split (several rows of the payment); None: the whole


@dataclass(frozen=True)
class ResolutionBook:
    """What one workbook says: its requests and row errors, or why the whole workbook is refused."""

    requests: list[ResolutionRequest]
    errors: list[LineError]  # one per refused row, reason in Russian (the accountant reads it)
    refused: str | None = None  # why nothing of the workbook can be read (Russian, for .reason.txt)
    detail: str = ""  # the same in English with the technical cause, for the log


def read_book(path: Path) -> ResolutionBook:
    """Read a resolutions workbook; never raises on its content.

    A file that is no readable workbook (empty, text or CSV renamed, password-protected or .xls,
    .ods, damaged zip or XML) or that has no sheet with the three columns is ``refused`` with a
    reason; otherwise every filled-in row is a request or a ``LineError`` (see ``read_resolutions``).
    """
    refusal = _container_refusal(path)
    if refusal is not None:
        return ResolutionBook([], [], *refusal)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except _DAMAGE as exc:
        return _damaged(exc)
    try:
        return _read_sheets(wb, path.name)
    except _DAMAGE as exc:  # a sheet's XML broken half-way: nothing of the workbook is trusted
        return _damaged(exc)
    finally:
        try:
            wb.close()
        except _DAMAGE:  # closing a damaged archive must not undo the verdict
            pass


def read_resolutions(path: Path) -> tuple[list[ResolutionRequest], list[LineError]]:
    """Every filled-in resolution of the workbook, and a ``LineError`` per row that cannot be read.

    Rows with an empty target are skipped silently (not resolved yet). A row with a target but
    no usable payment id (empty, not a whole number, 0 or negative, beyond the database's BIGINT),
    no name in «Кто решил», an overlong target or name, an amount that is no sum of money, or a
    payment already resolved differently earlier in the workbook without amounts is a
    ``LineError`` (file, row, reason in Russian). Rows of one payment with amounts are all kept:
    they are the parts of a split, judged together when applied (``rkc.assign``). A refused
    workbook (``read_book``) is a single ``LineError`` with row 0.
    """
    book = read_book(path)
    if book.refused is not None:
        return [], [LineError(path.name, 0, book.refused, "")]
    return book.requests, book.errors


def _container_refusal(path: Path) -> tuple[str, str] | None:
    """Why the file is no .xlsx workbook at all, judged by its bytes (Russian, English), or None."""
    try:
        if path.stat().st_size == 0:
            return "файл пуст", "empty file"
        kind = sniff_file(path)
        if kind == Container.ZIP:
            book = workbook_kind(path)
            if book == "xlsx":
                return None
            if book == "ods":
                return f"книга в формате OpenDocument (.ods), а не Excel: {_SAVE_AS}", "an ODS workbook"
            return f"книга повреждена (архив не читается) или это не книга Excel: {_SAVE_AS}", "damaged zip"
    except OSError as exc:
        return f"файл не читается: {exc.strerror or exc}", f"unreadable: {exc}"
    if kind == Container.OLE2:
        return (f"книга защищена паролем или сохранена в старом формате .xls: снимите пароль и {_SAVE_AS}",
                "an OLE2 file (encrypted workbook or .xls)")  # fmt: skip
    if kind == Container.TEXT:
        return (f"это текстовый файл (например, CSV с расширением .xlsx), а не книга Excel: {_SAVE_AS}",
                "a text file named .xlsx")  # fmt: skip
    return f"это не книга Excel (файл вида {kind.value}): {_SAVE_AS}", f"not a workbook ({kind.value})"


def _damaged(exc: Exception) -> ResolutionBook:
    if not isinstance(exc, (zipfile.BadZipFile, zlib.error, InvalidFileException, ParseError, KeyError, EOFError)):
        # the less usual kinds may be a bug of ours, not damage: keep the traceback in the log
        log.warning("resolutions workbook refused on %s", type(exc).__name__, exc_info=exc)
    return ResolutionBook([], [], f"книга повреждена и не читается: {_SAVE_AS}",
                          f"damaged workbook: {type(exc).__name__}: {str(exc)[:200]}")  # fmt: skip


def _read_sheets(wb, name: str) -> ResolutionBook:  # type: ignore[no-untyped-def]
    """Requests and row errors of every sheet that has the three columns; refused if none has."""
    requests: list[ResolutionRequest] = []
    errors: list[LineError] = []
    seen: dict[int, ResolutionRequest] = {}
    with_columns = 0
    for ws in wb.worksheets:
        if not hasattr(ws, "iter_rows"):  # a chart sheet has no cells
            continue
        columns = None
        for number, row in enumerate(ws.iter_rows(values_only=True), 1):
            if columns is None:
                columns = _columns(row)
                with_columns += columns is not None
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
                elif first.amount is not None or request.amount is not None:
                    requests.append(request)  # a part of a split: the parts are judged together
                elif first.target != request.target:
                    errors.append(_error(name, ws.title, number, row,
                                         f"платёж {request.payment_id} уже разнесён на {first.target!r} "
                                         f"в строке {first.row}"))  # fmt: skip
    if not with_columns:
        titles = ", ".join(f"«{ws.title}»" for ws in wb.worksheets)
        return ResolutionBook([], [], f"ни на одном листе ({titles}) нет колонок {_WANTED} в первых "
                                      f"{_HEADER_SEARCH_ROWS} строках: это не книга отчёта о расхождениях",
                              "no sheet has the resolution columns")  # fmt: skip
    return ResolutionBook(requests, errors)


def _columns(row: tuple) -> tuple[int, int, int, int | None] | None:
    """Positions of the payment id, target, resolver and (optional) part amount headers, if this
    row is the header."""
    labels = [str(v).strip() if v is not None else "" for v in row]
    wanted = (PAYMENT_ID_HEADER, TARGET_HEADER, RESOLVER_HEADER)
    if not all(w in labels for w in wanted):
        return None
    pid, target, who = (labels.index(w) for w in wanted)
    return pid, target, who, labels.index(PART_AMOUNT_HEADER) if PART_AMOUNT_HEADER in labels else None


def _cell(row: tuple, index: int) -> object:
    return row[index] if index < len(row) else None


def _read_row(
    row: tuple, columns: tuple[int, int, int, int | None], file: str, sheet: str, number: int
) -> tuple[ResolutionRequest | None, LineError | None]:
    target = _text(_cell(row, columns[1]))
    if not target:
        return None, None
    payment_id, reason = row_id.parse(_cell(row, columns[0]))
    if payment_id is None:
        return None, _error(file, sheet, number, row, reason or "")
    if len(target) > _MAX_TARGET:
        return None, _error(file, sheet, number, row, f"«{TARGET_HEADER}» длиннее {_MAX_TARGET} символов")
    resolved_by = _text(_cell(row, columns[2]))
    if not resolved_by:
        return None, _error(file, sheet, number, row, f"«{RESOLVER_HEADER}» пусто: укажите, кто решил")
    if len(resolved_by) > _MAX_NAME:
        return None, _error(file, sheet, number, row, f"«{RESOLVER_HEADER}» длиннее {_MAX_NAME} символов")
    amount = None
    if columns[3] is not None and (typed := _amount_text(_cell(row, columns[3]))):
        try:
            amount = parse_amount(typed)
        except AmountError:
            return None, _error(file, sheet, number, row,
                                f"«{PART_AMOUNT_HEADER}»: «{typed[:40]}» не сумма, пишите как 1 234,56")  # fmt: skip
    return ResolutionRequest(payment_id, target, resolved_by, file, number, amount), None


def _amount_text(value: object) -> str:
    """A typed amount as text: a number cell (Excel keeps 1234,5 as a float) by its shortest
    decimal spelling, so no float arithmetic touches the money; anything else as typed."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if value == value and abs(value) != float("inf") else "nan"
    return _text(value)


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


def _error(file: str, sheet: str, number: int, row: tuple, reason: str) -> LineError:
    raw = ";".join("" if v is None else str(v) for v in row)
    return LineError(file, number, f"лист «{sheet}»: {reason}", raw[:_MAX_RAW])
