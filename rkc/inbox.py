"""What lies in the channels' inboxes: registers to read, and everything else, each named.

An inbox may hold more than registers: a file still being uploaded (its name starts with ``.``),
a totals file beside its register (``NNNNN.K01`` ↔ ``NNNNN.001``, ``channels.<name>.totals_file``),
a register still waiting for that totals file, and things that are no register at all (symbolic
links, folders, named pipes). None of them is read, and none stays unnamed: files in transit and
waiting files stay in the inbox and are listed by every run (stuck ones flagged); the others are
moved to quarantine, never followed, with a reason (docs/OPERATIONS.md).
"""

from __future__ import annotations

import logging
import os
import stat
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from domain.codes import Code
from rkc.config import Config
from rkc.config_channels import TotalsFileSpec
from rkc.filing import file_away
from sql.discrepancies import add_discrepancies
from sql.uow import UnitOfWork

log = logging.getLogger("rkc.inbox")


class InboxState(StrEnum):
    """Why a file of an inbox was not read tonight."""

    IN_TRANSIT = "in_transit"  # ``.name``: an upload in progress
    STUCK = "stuck"  # in transit for longer than ``in_transit_max_age_minutes``
    WAITING_FOR_TOTALS = "waiting_for_totals"  # a register whose totals file has not come yet
    WAITING_FOR_REGISTER = "waiting_for_register"  # a totals file whose register has not come yet
    QUARANTINED = "quarantined"  # not a regular file, or a totals file nobody claimed: moved away
    NOT_MOVED = "not_moved"  # should have been moved to quarantine, but could not be



@dataclass(frozen=True)
class InboxEntry:
    """A file of an inbox that was not read tonight, and why (``detail`` in Russian)."""

    channel: str
    file: str
    state: InboxState
    age_minutes: int
    detail: str = ""
    stored_path: str = ""

    def to_dict(self) -> dict:
        """Plain dict for the summary and the report."""
        return {**asdict(self), "state": self.state.value}


@dataclass
class InboxScan:
    """The night's inbox: the registers to read (inbox order), the totals file paired with each
    register that has one, what stays in the inbox, and what is to be quarantined."""

    registers: list[tuple[str, Path]] = field(default_factory=list)
    totals: dict[str, str] = field(default_factory=dict)  # register path -> its totals file's path
    listed: list[InboxEntry] = field(default_factory=list)
    strays: list[tuple[str, Path, str, int]] = field(default_factory=list)  # channel, path, reason, age


# Folders of the inbox that hold no registers: read by the tie-out and the resolutions step, scanned here
# all the same, so that an upload in progress is not read half-way and a link is never followed.
SERVICE_FOLDERS = ("statements", "resolutions")
NO_FILES_HERE = ("канал платежей по п/п плательщиков не принимает файлов: его платежи — входящие п/п выписки "
                 "(inbox/statements/)")  # fmt: skip


def scan_inbox(config: Config, now: float | None = None) -> InboxScan:
    """Look at every entry of each channel's inbox, and of ``inbox/statements`` and
    ``inbox/resolutions``, without following links; ``now`` is the clock (seconds since the
    epoch) that ages the files."""
    now = time.time() if now is None else now
    scan = InboxScan()
    for channel in sorted(config.channels):
        folder = config.inbox / channel
        if not folder.is_dir():
            continue
        regular = _scan_folder(scan, config, folder, channel, now)
        if config.channels[channel].direct:  # its payments are п/п of the statements: no file is one
            scan.strays += [(channel, p, NO_FILES_HERE, age) for p, age in regular]
            continue
        spec = config.channels[channel].totals_file
        if spec is None:
            scan.registers += [(channel, p) for p, _ in regular]
        else:
            _pair_totals(scan, channel, regular, spec)
    for name in SERVICE_FOLDERS:
        folder = config.inbox / name
        if not folder.is_dir() or name in config.channels:
            continue
        for path, age in _scan_folder(scan, config, folder, name, now):
            if name == "resolutions" and path.suffix.lower() != ".xlsx":
                reason = "не книга Excel (.xlsx): решения бухгалтеров принимаются только в книге отчёта"
                scan.strays.append((name, path, reason, age))
    return scan


def _scan_folder(scan: InboxScan, config: Config, folder: Path, channel: str, now: float) -> list[tuple[Path, int]]:
    """List the uploads in progress and set aside the non-regular entries of one inbox folder;
    return its regular files with their age in minutes."""
    regular: list[tuple[Path, int]] = []
    for path in sorted(folder.iterdir()):
        try:
            info = path.lstat()  # the entry itself: a link is never followed
        except FileNotFoundError:  # renamed away meanwhile (an upload finishing): next run sees it
            continue
        age = max(0, int((now - info.st_mtime) // 60))
        if path.name.startswith("."):
            stuck = age > config.in_transit_max_age_minutes
            detail = (f"файл загружается {age} мин., дольше {config.in_transit_max_age_minutes} мин.: проверьте "
                      "передачу" if stuck else "файл ещё загружается")  # fmt: skip
            scan.listed.append(InboxEntry(channel, path.name, InboxState.STUCK if stuck else InboxState.IN_TRANSIT,
                                          age, detail))  # fmt: skip
        elif stat.S_ISREG(info.st_mode):
            regular.append((path, age))
        else:
            scan.strays.append((channel, path, _not_regular_reason(path, info, channel), age))
    return regular


def _pair_totals(scan: InboxScan, channel: str, regular: list[tuple[Path, int]], spec: TotalsFileSpec) -> None:
    """Pair each totals file with its register; a register waits for its totals file, and a
    totals file for its register, ``wait_minutes`` from when it arrived."""
    totals_of = {spec.register_name(p.name): (p, age) for p, age in regular if spec.register_name(p.name)}
    registers = [(p, age) for p, age in regular if spec.register_name(p.name) is None]
    names = {p.name for p, _ in registers}
    for path, age in registers:
        found = totals_of.get(path.name)
        if found is not None:
            scan.totals[str(path)] = str(found[0])
            scan.registers.append((channel, path))
        elif age < spec.wait_minutes:
            scan.listed.append(InboxEntry(channel, path.name, InboxState.WAITING_FOR_TOTALS, age,
                                          f"ждёт файл итогов ещё {spec.wait_minutes - age} мин."))  # fmt: skip
        else:  # waited long enough: read without totals (accepted only where the channel allows it)
            scan.registers.append((channel, path))
    for register, (path, age) in totals_of.items():
        if register in names:
            continue
        if age < spec.wait_minutes:
            scan.listed.append(InboxEntry(channel, path.name, InboxState.WAITING_FOR_REGISTER, age,
                                          f"файл итогов ждёт реестр {register}"))  # fmt: skip
        else:
            reason = f"файл итогов без реестра: реестр {register} не пришёл за {spec.wait_minutes} мин."
            scan.strays.append((channel, path, reason, age))


def _not_regular_reason(path: Path, info: os.stat_result, channel: str) -> str:
    """The Russian reason a non-regular entry of an inbox is quarantined unread."""
    put = f"положите сам файл в inbox/{channel}/"
    if stat.S_ISLNK(info.st_mode):
        return f"символическая ссылка (на {os.readlink(path)}), а не файл: ссылки не читаются; {put}"
    if stat.S_ISDIR(info.st_mode):
        return f"папка, а не файл: папки внутри канала не читаются; {put}"
    kind = "именованный канал" if stat.S_ISFIFO(info.st_mode) else "специальный файл"
    return f"{kind}, а не обычный файл: не читается; {put}"


Logger = logging.Logger | logging.LoggerAdapter


def quarantine_strays(
    config: Config, engine: Engine, scan: InboxScan, run_date: date, logger: Logger = log
) -> list[InboxEntry]:
    """Move each stray entry itself (a link, not what it points to) to ``quarantine/<date>/<channel>/``
    with its reason, record it as BAD_FILE, and return the entries (one that could not be moved
    stays in the inbox, named, and is moved by a later run)."""
    entries, rows = [], []
    for channel, path, reason, age in scan.strays:
        folder = config.quarantine / run_date.isoformat() / channel
        what = _english(path)
        try:
            stored = _move_entry(path, folder, reason)
        except OSError as exc:
            logger.error("%s (%s): not a register and could not be quarantined: %s", path.name, channel, exc)
            entries.append(InboxEntry(channel, path.name, InboxState.NOT_MOVED, age, f"{reason}; не перемещён: {exc}"))
            continue
        logger.warning("%s (%s): quarantined unread (%s)", path.name, channel, what)
        entries.append(InboxEntry(channel, path.name, InboxState.QUARANTINED, age, reason, str(stored)))
        rows.append({"run_date": run_date.isoformat(), "code": Code.BAD_FILE.value, "channel": channel,
                     "file": path.name, "detail": reason})  # fmt: skip
    if rows:
        with UnitOfWork(engine) as uow:
            frame = pd.DataFrame(rows)
            add_discrepancies(uow.conn, frame)
            uow.commit()
    return entries


def _move_entry(path: Path, folder: Path, reason: str) -> Path:
    """``file_away`` for a file; a link, folder or pipe is renamed, never copied: a copy would
    follow the link or read the pipe (and a rename across file systems fails instead)."""
    if stat.S_ISREG(path.lstat().st_mode):
        return file_away(path, folder, reason)
    folder.mkdir(parents=True, exist_ok=True)
    target, counter = folder / path.name, 1
    while os.path.lexists(target) or target.with_name(target.name + ".reason.txt").exists():
        target = folder / f"{path.name}.{counter}"
        counter += 1
    note = target.with_name(target.name + ".reason.txt")
    note.write_text(reason + "\n", encoding="utf-8")
    try:
        os.rename(path, target)
    except OSError:
        note.unlink(missing_ok=True)
        raise
    return target


def _english(path: Path) -> str:
    """What the entry is, in English for the log."""
    info = path.lstat()
    if stat.S_ISREG(info.st_mode):
        return "a totals file whose register did not come"
    if stat.S_ISLNK(info.st_mode):
        return f"symbolic link to {os.readlink(path)}"
    return "directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"


def log_listed(entries: list[InboxEntry], logger: Logger = log) -> None:
    """Name every file left in the inbox in the run's log; stuck uploads as warnings."""
    for e in entries:
        level = logging.WARNING if e.state in (InboxState.STUCK, InboxState.NOT_MOVED) else logging.INFO
        logger.log(level, "%s (%s): %s, %d min old, left in the inbox", e.file, e.channel, e.state.value, e.age_minutes)
