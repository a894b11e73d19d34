"""What a charges import rejected: a short summary for the console and every line in a CSV.

An import can reject thousands of lines (a whole export of ПД already paid, a file in the wrong
encoding); printing each buries the one that matters. The console gets counts by reason and the
first lines; the CSV beside the run's outputs gets all of them, for an accountant to open in Excel.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa

from domain.records import LineError
from reports.cells import spreadsheet_text

FIRST = 20  # rejected lines shown on the console
HEADERS = {"file": "Файл", "line_no": "Строка", "reason": "Причина", "raw": "Текст строки"}
_VARYING = re.compile(r"\b(line|supplier) \d+")  # the part of a reason that names one line or one supplier


def reason_kind(reason: str) -> str:
    """A reason without the line or supplier it names, so that like reasons count together."""
    return _VARYING.sub(r"\1 N", reason)


def summary_lines(errors: Sequence[LineError], csv_path: Path | None, first: int = FIRST) -> list[str]:
    """The console summary: how many lines were rejected and where all are, counts by reason, the first few."""
    if not errors:
        return []
    where = f"; every one is listed in {csv_path}" if csv_path else ""
    lines = [f"{len(errors)} rows rejected{where}."]
    counts = Counter(reason_kind(e.reason) for e in errors)
    lines += [f"  {n:>8}  {kind}" for kind, n in counts.most_common()]
    shown = errors[:first]
    lines.append(f"The first {len(shown)} of {len(errors)}:" if len(errors) > len(shown) else "Rejected:")
    lines += [f"  rejected {e.file}:{e.line_no}: {e.reason}" for e in shown]
    return lines


def write_rejections(path: Path, errors: Sequence[LineError]) -> Path:
    """Every rejected line as ``;``-separated UTF-8 with a BOM (Excel opens it in Cyrillic), Russian headers.

    A cell Excel would take for a formula or an error literal gets a leading ``'``, and text over
    its cell limit is cut with a marker (``reports.cells.spreadsheet_text``, as in every CSV written):
    the rejected text is the importer's input, not something Excel should evaluate.
    """
    frame = pd.DataFrame(
        {
            "file": [e.file for e in errors],
            "line_no": [e.line_no for e in errors],
            "reason": [e.reason for e in errors],
            "raw": [e.raw for e in errors],
        }
    )
    for column in ("file", "reason", "raw"):
        text = pa.array(frame[column].astype(str).tolist(), pa.string())
        frame[column] = pd.Series(spreadsheet_text(text).to_pylist(), dtype=object)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.rename(columns=HEADERS).to_csv(path, sep=";", index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path
