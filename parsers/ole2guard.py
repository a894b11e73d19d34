"""Open a legacy Excel workbook (OLE2 / BIFF8) only after a child process has survived reading it.

calamine trusts the sizes a compound file declares: a damaged ``.xls`` (one overwritten sector
count) made it ask for 29 GB and abort the whole process — not an exception a caller can catch,
and on a machine without a memory limit the night's run dies or the kernel's OOM killer picks a
victim. Zip containers (XLSX, ODS) are bounded before reading by ``parsers.zipguard``; an OLE2 file
has no such directory to check cheaply. So the workbook is read once in a child Python process
with its address space capped: a child that dies, runs out of time or fails makes the file a
``BadFile``; one that reads it gives the sheet's row count, and the caller then reads it itself.
Legacy workbooks are small (at most 65,536 rows), so the extra read costs a fraction of a second.
The verdict is kept per file (path, size, modification time) for the run's other readers.
"""

from __future__ import annotations

import subprocess
import sys
from functools import lru_cache
from pathlib import Path

from parsers.base import BadFile

MEMORY_LIMIT = 2 << 30  # address space of the reading child: a legacy workbook needs a few hundred MB
TIME_LIMIT = 120.0  # seconds
_CHILD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
import python_calamine
with open(sys.argv[1], "rb") as handle:
    book = python_calamine.CalamineWorkbook.from_filelike(handle)
rows = 0
if book.sheet_names:
    rows = sum(1 for _ in book.get_sheet_by_index(0).iter_rows())
print(rows)
"""


def checked_rows(path: Path) -> int:
    """The first sheet's row count of a legacy workbook that a capped child read safely; ``BadFile``
    (with what went wrong) when the child could not."""
    info = Path(path).stat()
    verdict = _verdict(str(path), info.st_size, info.st_mtime_ns)
    if isinstance(verdict, str):
        raise BadFile(path, verdict)
    return verdict


@lru_cache(maxsize=64)
def _verdict(path: str, size: int, mtime_ns: int) -> int | str:
    """Row count, or the English reason the child gave up (cached per file version)."""
    code = _CHILD.format(limit=MEMORY_LIMIT)
    try:
        done = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True,  # noqa: S603
                              timeout=TIME_LIMIT, check=False)  # fmt: skip
    except subprocess.TimeoutExpired:
        return f"not a readable XLS workbook: reading it took longer than {TIME_LIMIT:.0f} s"
    if done.returncode == 0 and done.stdout.strip().isdigit():
        return int(done.stdout.strip())
    lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    # the line that says what happened: Rust's allocation failure or panic, else Python's last word
    telling = [line for line in lines if line.startswith(("memory allocation of", "thread '"))]
    said = (telling or [line for line in lines if not line.startswith("note:")] or [f"exit {done.returncode}"])[-1]
    if done.returncode < 0 or telling:
        return f"not a readable XLS workbook: the reader failed on its damaged structure ({said[:160]})"
    return f"not a readable XLS workbook: {said[:200]}"
