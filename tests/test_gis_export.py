"""The outbound ГИС ЖКХ exchange on a generated day, on SQLite and PostgreSQL: every exported file is
valid against the official XSD, a second export writes nothing new, answers mark items accepted or
rejected (and rejected ones reach the run report), квитирование follows accepted notifications, and
a reversed payment's квитирование is cancelled."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from lxml import etree
from openpyxl import load_workbook

from flows import nightly as tasks
from parsers.gis_answers import NS_BILLS
from parsers.gis_xsd import NS_BASE, NS_PAYMENT, safe_xml_parser
from rkc.config import init_home
from rkc.gis_export import export_day, load_answers
from rkc.memory import libraries_out_of_the_collector
from sql.engine import make_engine
from sql.entries import reverse_entry
from tests.gisexportutil import answer, night, validate_all


def _guids(directory: Path, element: str) -> list[str]:
    return [
        node.text
        for path in sorted(directory.glob("*.xml"))
        for item in etree.parse(str(path), safe_xml_parser()).getroot()
        if etree.QName(item).localname == element
        for node in item.iterfind(f"{{{NS_BASE}}}TransportGUID")
    ]


def _snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in directory.glob("*.xml")}


def test_export_answers_acknowledgments_and_cancellation(tmp_path, db_url, xsd_dir, monkeypatch) -> None:
    config, day, work_dir = night(tmp_path / "home", db_url, xsd_dir, monkeypatch)
    engine = make_engine(config.database_url)
    first = export_day(config, engine, day.run_date)
    out = config.out / day.run_date.isoformat() / "gis"
    counts = validate_all(out, xsd_dir)
    assert counts["SupplierNotificationOfOrderExecution"] == first.new_items["notification"] > 0
    # ГИС ЖКХ's own payments are acknowledged at once (OrderID + orgPPAGUID), the others wait for
    # their notification to be accepted
    assert counts["AcknowledgmentRequestInfo"] == first.new_items["ack"] > 0
    assert first.waiting["ack_notification_not_accepted"] > 0
    assert set(first.written) == set(first.files)

    with engine.connect() as conn:
        stored = dict(conn.execute(sa.text("SELECT status, COUNT(*) FROM gis_export_item GROUP BY status")).all())
        gis_payments = conn.execute(sa.text(
            "SELECT COUNT(*) FROM payment p JOIN register r ON r.id = p.register_id"
            " WHERE p.channel = 'gis' AND r.run_date = :d"), {"d": day.run_date}).scalar()  # fmt: skip
        notified_gis = conn.execute(sa.text(
            "SELECT COUNT(*) FROM gis_export_item i JOIN payment p ON p.id = i.payment_id"
            " WHERE i.kind = 'notification' AND p.channel = 'gis'")).scalar()  # fmt: skip
    assert stored == {"exported": sum(first.new_items.values())}
    assert gis_payments > 0 and notified_gis == 0  # ГИС ЖКХ already knows its own payments

    before = _snapshot(out)
    again = export_day(config, engine, day.run_date)
    assert again.written == () and sum(again.new_items.values()) == 0
    assert _snapshot(out) == before  # same bytes, not even rewritten

    # ГИС ЖКХ accepts every notification but the first, which it rejects
    notes = _guids(out, "SupplierNotificationOfOrderExecution")
    answers = tmp_path / "answer-notifications.xml"
    answers.write_bytes(answer(NS_PAYMENT, [(notes[0], "INT002012")] + [(g, None) for g in notes[1:]]))
    loaded = load_answers(config, engine, answers)
    assert (loaded.accepted, loaded.rejected, loaded.unknown) == (len(notes) - 1, 1, ())
    assert load_answers(config, engine, answers) == loaded  # idempotent

    # accepted notifications can now be acknowledged: the next export of the date adds those files
    third = export_day(config, engine, day.run_date)
    assert third.new_items["ack"] > 0 and third.new_items["notification"] == 0
    assert set(third.written) == set(third.files) - set(before)  # old files untouched, new ones added
    assert all(before[name][0] == (out / name).read_bytes() for name in before)
    counts = validate_all(out, xsd_dir)
    assert counts["AcknowledgmentRequestInfo"] == first.new_items["ack"] + third.new_items["ack"]

    # a reversed acknowledged payment yields an AckCancellation
    with engine.begin() as conn:
        entry_id = conn.execute(sa.text(
            "SELECT MIN(entry_id) FROM gis_export_item WHERE kind = 'ack'")).scalar()  # fmt: skip
        reverse_entry(conn, entry_id, on=day.run_date + timedelta(days=1), reason="платёж отозван банком")
    later = day.run_date + timedelta(days=1)
    fourth = export_day(config, engine, later)
    assert fourth.new_items == {"notification": 0, "ack": 0, "ack_cancel": 1}
    assert validate_all(config.out / later.isoformat() / "gis", xsd_dir) == {"AckCancellation": 1}
    assert export_day(config, engine, later).new_items["ack_cancel"] == 0  # once

    # the rejected notification reaches the night's run report
    with libraries_out_of_the_collector():  # the flow runs its tasks so (rkc.memory)
        result = tasks.report.fn(str(config.home), day.run_date, work_dir, {})
    workbook = load_workbook(result["xlsx"], read_only=True)
    sheet = workbook["ГИС ЖКХ — отклонено"]
    rows = list(sheet.iter_rows(values_only=True))
    assert any(notes[0] in row and "INT002012: Платежный документ не найден" in row for row in rows)
    assert "ГИС ЖКХ — отклонено" in Path(result["html"]).read_text(encoding="utf-8")
    engine.dispose()


def test_answers_of_unknown_items_and_message_errors(tmp_path, engine, xsd_dir, monkeypatch) -> None:
    monkeypatch.setenv("RKC_DATABASE_URL", str(engine.url.render_as_string(hide_password=False)))
    config, _ = init_home(tmp_path / "home")
    stranger = str(uuid.uuid4())
    answers = tmp_path / "answer.xml"
    answers.write_bytes(answer(NS_BILLS, [(stranger, "INT000001")]))
    result = load_answers(config, engine, answers)
    assert (result.accepted, result.rejected, result.unknown) == (0, 0, (stranger,))


def test_export_needs_the_schema_directory(tmp_path, engine, monkeypatch) -> None:
    from rkc.config import ConfigError

    monkeypatch.setenv("RKC_DATABASE_URL", str(engine.url.render_as_string(hide_password=False)))
    config, _ = init_home(tmp_path / "home")
    with pytest.raises(ConfigError, match="gis_xsd_dir"):
        export_day(config, engine, date(2026, 11, 20))


def test_a_center_without_gis_channels_reads_its_candidates(tmp_path, db_url, xsd_dir, monkeypatch) -> None:
    """An empty list of ГИС ЖКХ channels (no ``gis_xml`` channel configured) takes every channel."""
    from sql.gis_export import ack_legs, night_payments

    config, day, _ = night(tmp_path / "home", db_url, xsd_dir, monkeypatch)
    engine = make_engine(config.database_url)
    with engine.connect() as conn:
        everyone = night_payments(conn, day.run_date, [])
        others = night_payments(conn, day.run_date, ["gis"])
        legs = ack_legs(conn, day.run_date, [])
    engine.dispose()
    assert len(everyone) > len(others) > 0 and set(everyone["channel"]) - set(others["channel"]) == {"gis"}
    assert len(legs) > 0 and not legs["gis_channel"].any()
