"""The outbound ГИС ЖКХ exchange: `rkc gis export` and `rkc gis answers load` (docs/GIS.md).

Export of a date: new items — notifications of the night's payments from other channels,
квитирование of matched payments against their ПД's service lines, cancellations for reversed
ones — are stored with their TransportGUID and file, then every file of that date is rendered from
the stored items, validated against the configured XSD and written into ``out/<date>/gis/``. An
item is stored once; the files of a date are rendered from the same rows in the same order, so
exporting a date again writes the same bytes (an unchanged file is not touched).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from lxml import etree
from sqlalchemy import Connection, Engine

from domain.gis_exchange import (
    ItemKind,
    ItemStatus,
    Waiting,
    ack_items,
    cancel_items,
    chunks,
    notification_items,
)
from parsers.gis_answers import read_answers
from parsers.gis_xsd import load_schema, max_items, safe_xml_parser
from reports.gis_packages import REQUESTS, file_name, render_request
from rkc.config import Config, ConfigError
from sql.gis_export import (
    ack_legs,
    add_items,
    files_of,
    items_of,
    known_guids,
    legs_without_ipd,
    mark_exported,
    night_payments,
    record_answers,
    reversed_acks,
    status_counts,
)
from sql.uow import UnitOfWork

SCHEMA_FILES = {ItemKind.NOTIFICATION: Path("payment") / "hcs-payment-types.xsd",
                ItemKind.ACK: Path("bills") / "hcs-bills-types.xsd",
                ItemKind.ACK_CANCEL: Path("bills") / "hcs-bills-types.xsd"}  # fmt: skip


class ExportInvalid(Exception):
    """A rendered request failed the official schema: a bug in the exporter, nothing is written."""


@dataclass(frozen=True)
class ExportResult:
    """What one export of a date did."""

    run_date: date
    directory: Path
    new_items: dict[str, int]  # kind -> items stored by this export
    waiting: dict[str, int]  # Waiting reason -> candidates not exportable yet
    files: tuple[str, ...]  # every file of the date
    written: tuple[str, ...]  # files this export wrote (new or changed)
    states: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> status -> items, all dates


@dataclass(frozen=True)
class AnswersResult:
    """What loading one answer file did."""

    file: str
    accepted: int
    rejected: int
    unknown: tuple[str, ...]  # TransportGUIDs of no stored item
    message_error: tuple[str, str] | None  # an error for the whole message: no item is marked


def _schema_dir(config: Config) -> Path:
    if config.gis_xsd_dir is None:
        raise ConfigError("gis_xsd_dir is not set in rkc.yaml: the ГИС ЖКХ export validates every file against it")
    return config.gis_xsd_dir


def _new_items(conn: Connection, config: Config, run_date: date, sizes: dict[ItemKind, int]) -> tuple[dict, dict]:
    """Store the new items of ``run_date``, pending, each assigned to its file; return the counts
    per kind and the waiting candidates per reason."""
    gis = config.gis_channels
    notes, waiting = notification_items(night_payments(conn, run_date, gis))
    legs = ack_legs(conn, run_date, gis)
    legs["gis_channel"] = legs["gis_channel"].astype(bool)
    acks, ack_waiting = ack_items(legs, config.gis_export.services, config.gis_export.order_orgs)
    cancels = cancel_items(reversed_acks(conn))
    short = legs_without_ipd(conn, run_date)
    ack_waiting[Waiting.NO_IPD.value] = ack_waiting.get(Waiting.NO_IPD.value, 0) + short
    for reason, count in ack_waiting.items():
        if count:
            waiting[f"ack_{reason}"] = count
    counts = {}
    for kind, items in ((ItemKind.NOTIFICATION, notes), (ItemKind.ACK, acks), (ItemKind.ACK_CANCEL, cancels)):
        counts[kind.value] = len(items)
        if items.empty:
            continue
        first = files_of(conn, run_date, kind)  # files of this date already written keep their items
        names = pd.Series(index=items.index, dtype=object)
        for number, (start, stop) in enumerate(chunks(len(items), sizes[kind]), start=first + 1):
            names.iloc[start:stop] = file_name(kind, run_date.isoformat(), number)
        add_items(conn, items.assign(export_date=run_date, file=names, status=ItemStatus.PENDING.value))
    return counts, waiting


def _write(path: Path, content: bytes) -> None:
    """Write ``content`` atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)


def export_day(config: Config, engine: Engine, run_date: date) -> ExportResult:
    """Export ``run_date``: store its new items, (re)write all its files, mark them exported."""
    xsd_dir = _schema_dir(config)
    schemas = {kind: load_schema(xsd_dir, path) for kind, path in SCHEMA_FILES.items()}
    sizes = {kind: max_items(xsd_dir, SCHEMA_FILES[kind], REQUESTS[kind][1], REQUESTS[kind][2]) for kind in ItemKind}
    directory = config.out / run_date.isoformat() / "gis"
    with UnitOfWork(engine) as uow:
        counts, waiting = _new_items(uow.conn, config, run_date, sizes)
        items = items_of(uow.conn, run_date)
        changed, names = {}, []
        for name, group in items.groupby("file", sort=True):
            kind = ItemKind(group["kind"].iloc[0])
            content = render_request(kind, list(zip(group["transport_guid"], group["payload"], strict=True)))
            names.append(str(name))
            path = directory / str(name)
            if path.is_file() and path.read_bytes() == content:
                continue  # validated when it was written, and not touched again
            schema = schemas[kind]
            if not schema.validate(etree.fromstring(content, safe_xml_parser())):
                raise ExportInvalid(f"{name}: {schema.error_log[0].message}")
            changed[str(name)] = content
        for name, content in changed.items():
            _write(directory / name, content)
        mark_exported(uow.conn, run_date)
        uow.commit()
        states = status_counts(uow.conn)
    return ExportResult(run_date, directory, counts, waiting, tuple(names), tuple(changed), states)


def load_answers(config: Config, engine: Engine, path: Path) -> AnswersResult:
    """Record ГИС ЖКХ's answer file: each answered item accepted (with its GUID) or rejected (with
    the errors). Loading the same file again changes nothing."""
    answer = read_answers(path, config.gis_xsd_dir)
    frame = pd.DataFrame(
        {
            "transport_guid": [a.transport_guid for a in answer.items],
            "status": [(ItemStatus.ACCEPTED if a.accepted else ItemStatus.REJECTED).value for a in answer.items],
            "gis_guid": [a.gis_guid for a in answer.items],
            "error": ["; ".join(f"{code}: {text}" for code, text in a.errors) or None for a in answer.items],
        }
    )
    with UnitOfWork(engine) as uow:
        known = known_guids(uow.conn, frame["transport_guid"].tolist())
        mine = frame[frame["transport_guid"].isin(known)]
        record_answers(uow.conn, mine, str(path.name), datetime.now())
        uow.commit()
    unknown = tuple(frame.loc[~frame["transport_guid"].isin(known), "transport_guid"])
    accepted = int((mine["status"] == ItemStatus.ACCEPTED.value).sum())
    return AnswersResult(path.name, accepted, len(mine) - accepted, unknown, answer.message_error)
