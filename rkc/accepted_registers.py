"""The night's side of a register accepted whose totals do not tie (``rkc.register_accept`` records
the acceptance in the workbench).

One posting path: at the start of the night the accepted file goes back from quarantine into its
channel's inbox (``return_accepted``), with its totals file when it came with one; intake finds
its content stored as quarantined *and accepted* and reads it again (``rkc.intake``), taking over
the register's row; the decision posts its lines as they are, with a REGISTER_ACCEPTED line that
records the footer's difference instead of quarantining them (``rkc.decide``); posting marks the
acceptance posted and writes the outcome into the case's history (``note_posted``).
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from sqlalchemy import Connection, Engine

from domain.money import format_ru
from domain.statuses import RegisterStatus
from parsers.base import file_sha256
from rkc.config import Config
from rkc.filing import file_away, find_filed
from sql.acceptances import mark_posted, waiting

log = logging.getLogger(__name__)
NIGHT = "night"  # the actor of what the nightly run writes into a case's history


def return_accepted(config: Config, engine: Engine) -> list[Path]:
    """Move each accepted register still in quarantine back into its channel's inbox (never over
    another file); return where they went. A file already back (a run that died after moving it)
    is left where it is; one found nowhere is logged and waits (its acceptance stays)."""
    with engine.connect() as conn:
        rows = waiting(conn)
    returned = []
    for row in rows:  # a handful: the registers senior accountants accepted since the last night
        if row["status"] != RegisterStatus.QUARANTINED or row["channel"] not in config.channels:
            log.warning("accepted register %s (%s) is %s, channel %s: not returned", row["register_id"], row["file"],
                        row["status"], row["channel"])  # fmt: skip
            continue
        inbox = config.inbox / row["channel"]
        stored = Path(row["stored_path"] or "")
        if stored.is_file() and file_sha256(stored) == row["sha256"]:
            returned.append(file_away(stored, inbox, None))
            _return_totals(config, row["channel"], stored, inbox)
            log.info("accepted register %s: %s back in %s", row["register_id"], stored.name, inbox)
        elif find_filed(row["file"], inbox, row["sha256"]) is None:
            log.warning("accepted register %s (%s): its file is neither at %s nor in %s", row["register_id"],
                        row["file"], stored, inbox)  # fmt: skip
    return returned


def _return_totals(config: Config, channel: str, register: Path, inbox: Path) -> None:
    """The register's totals file, filed beside it in quarantine, goes back with it (else intake
    would wait for it, then read the register without totals)."""
    spec = config.channels[channel].totals_file
    if spec is None or not register.parent.is_dir():
        return
    for path in sorted(register.parent.iterdir()):
        if path.is_file() and spec.register_name(path.name) == register.name:
            file_away(path, inbox, None)


def note_posted(conn: Connection, register_id: int, run_date: date, amounts: dict[str, int]) -> bool:
    """Mark an accepted register's acceptance posted, in posting's transaction, and write what its
    lines became into its case's history; False when the register had no acceptance waiting."""
    text = (f"строки реестра разнесены в ночь {run_date:%d.%m.%Y}: проведено {format_ru(amounts['posted'])}, "
            f"в невыясненных {format_ru(amounts['suspense'])}, дубликаты {format_ru(amounts['duplicate'])}, "
            f"отклонено {format_ru(amounts['rejected'])}")  # fmt: skip
    return mark_posted(conn, register_id, run_date, text, NIGHT)
