"""Filing processed files away: into the archive or quarantine, never overwriting, with a reason;
and repairing the record of a file a run filed away but died before recording where."""

from __future__ import annotations

import glob
import logging
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from domain.codes import Code
from domain.statuses import RegisterStatus
from parsers.base import file_sha256
from rkc.config import Config
from sql.discrepancies import add_discrepancies
from sql.registers import set_stored_path, unfiled_registers
from sql.uow import UnitOfWork


def file_away(source: Path, folder: Path, reason: str | None) -> Path:
    """Move ``source`` into ``folder`` without overwriting; write ``<name>.reason.txt`` beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    target, counter = folder / source.name, 1
    while target.exists() or _reason_of(target).exists():  # nor beside another file's stale reason
        target = folder / f"{source.stem}.{counter}{source.suffix}"
        counter += 1
    if reason:  # first: a file moved without its reason would leave no trace of why
        _reason_of(target).write_text(reason + "\n", encoding="utf-8")
    try:
        shutil.move(str(source), target)
    except BaseException:
        _reason_of(target).unlink(missing_ok=True)  # no reason left beside no file
        raise
    return target


def record_bad_file(engine: Engine, run_date: date, channel: str, file_name: str, reason: str) -> None:
    """One BAD_FILE discrepancy of the night, in a transaction of its own, for a file that is not a
    register and was quarantined whole (a bank statement, a resolutions workbook, a ГИС ЖКХ
    cancellation file)."""
    row = {"run_date": run_date.isoformat(), "code": Code.BAD_FILE.value, "channel": channel, "file": file_name,
           "detail": reason}  # fmt: skip
    with UnitOfWork(engine) as uow:
        add_discrepancies(uow.conn, pd.DataFrame([row]))
        uow.commit()


def _reason_of(target: Path) -> Path:
    return target.with_name(target.name + ".reason.txt")


def file_or_find(source: Path, folder: Path, reason: str | None, sha256: str) -> Path | None:
    """``file_away`` when ``source`` is still there; else where an attempt that failed after its
    move put it (``find_filed``), or None."""
    if source.exists():
        return file_away(source, folder, reason)
    return find_filed(source.name, folder, sha256)


def find_filed(name: str, folder: Path, sha256: str) -> Path | None:
    """Where ``file_away`` put a file of this name and content in ``folder`` (it may have added a
    counter to the name), if it did."""
    stem, suffix = Path(name).stem, Path(name).suffix
    if not folder.is_dir():
        return None
    candidates = [folder / name, *sorted(folder.glob(f"{glob.escape(stem)}.*{glob.escape(suffix)}"))]
    return next((c for c in candidates if c.is_file() and file_sha256(c) == sha256), None)


def filed_folder(config: Config, status: str, run_date: str, channel: str) -> Path:
    """Where the run that committed a register of this status files it: a posted register to the
    archive, a quarantined or unreadable one to quarantine, under the register's run date and channel."""
    root = config.archive if status == RegisterStatus.POSTED else config.quarantine
    return root / run_date / channel


def repair_filing(config: Config, engine: Engine) -> list[tuple[int, Path]]:
    """Record where the files of committed but unrecorded registers are: a run killed between moving
    a file away and recording its path left the path empty, and a copy of the file sent later would
    then be taken for the original (recovered) instead of a duplicate. Each such register's file is
    looked for by name and sha256 in the folder its run filed into; found, its path is recorded.
    Not found, the register stays as it is: its file never left the inbox (the kill came before the
    move) and intake finishes it as recovered. Returns (register id, path) of the repaired ones."""
    log = logging.getLogger("rkc.filing")
    with engine.connect() as conn:
        unfiled = unfiled_registers(conn)
    repaired = []
    for reg in unfiled:  # a handful at most: one per run that died between its commit and its record
        folder = filed_folder(config, reg["status"], reg["run_date"].isoformat(), reg["channel"])
        found = find_filed(reg["file"], folder, reg["sha256"])
        if found is None:
            log.warning("register %s (%s): committed, its file not yet filed away (not in %s)",
                        reg["register_id"], reg["file"], folder)  # fmt: skip
            continue
        with UnitOfWork(engine) as uow:
            set_stored_path(uow.conn, reg["register_id"], str(found))
            uow.commit()
        log.warning("register %s (%s): filed away as %s by a run that stopped before recording it; recorded now",
                    reg["register_id"], reg["file"], found)  # fmt: skip
        repaired.append((reg["register_id"], found))
    return repaired
