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
from rkc.app import import_charges_files
from rkc.config import init_home, load_config
from rkc.generator import generate
from rkc.generator.names import OTHER_SUPPLIERS, UK_SERVICES
from rkc.gis_export import export_day, load_answers
from rkc.intake import collect_inbox
from sql.engine import make_engine
from sql.entries import reverse_entry

ORG = "11111111-2222-4333-8444-555555555555"  # test data: the ГИС channel's notifying organisation


def _service_map() -> str:
    """A ``gis_export`` section naming a ГИС ЖКХ type for every generated service (test GUIDs)."""
    names = [*UK_SERVICES, *(s for *_, services in OTHER_SUPPLIERS for s in services)]
    lines = ["gis_export:", "  order_orgs:", f"    gis: {ORG}", "  services:"]
    for i, name in enumerate(names):
        guid = uuid.uuid5(uuid.NAMESPACE_URL, f"test-service:{name}")
        kind = "TMSType" if i % 2 else "MSType"
        code = f", code: '{i + 1}'" if kind == "TMSType" else ""
        lines.append(f"    '{name}': {{type: {kind}, guid: {guid}{code}}}")
    return "\n".join(lines) + "\n"


def _night(root: Path, db_url: str, xsd_dir: Path, monkeypatch: pytest.MonkeyPatch):
    """A generated day run through the nightly tasks, with the XSD directory and the service map set."""
    monkeypatch.setenv("RKC_DATABASE_URL", db_url)
    config, _ = init_home(root)
    settings = root / "rkc.yaml"
    text = settings.read_text(encoding="utf-8").replace("gis_xsd_dir:\n", f"gis_xsd_dir: {xsd_dir}\n")
    settings.write_text(text + _service_map(), encoding="utf-8")
    config = load_config(root)
    day = generate(config.home, accounts=120, payments=400, seed=11)
    import_charges_files(config, day.charges_csv, day.suppliers_csv)
    home, work_dir = str(config.home), str(config.home / "work" / day.run_date.isoformat())
    intakes = [tasks.intake.fn(home, channel, str(path), work_dir) for channel, path in collect_inbox(config)]
    plan = tasks.decide.fn(home, intakes, work_dir)
    for intake in intakes:
        tasks.post_register.fn(home, intake, plan, day.run_date)
    tasks.tie.fn(home, day.run_date)
    return config, day, work_dir


def _validate_all(directory: Path, xsd_dir: Path) -> dict[str, int]:
    """Validate every file of ``directory`` against its schema; items per request element."""
    schemas = {
        NS_PAYMENT: etree.XMLSchema(etree.parse(str(xsd_dir / "payment/hcs-payment-types.xsd"), safe_xml_parser())),
        NS_BILLS: etree.XMLSchema(etree.parse(str(xsd_dir / "bills/hcs-bills-types.xsd"), safe_xml_parser())),
    }
    counts: dict[str, int] = {}
    for path in sorted(directory.glob("*.xml")):
        tree = etree.parse(str(path), safe_xml_parser())
        schema = schemas[etree.QName(tree.getroot()).namespace]
        assert schema.validate(tree), f"{path.name}: {schema.error_log}"
        for item in tree.getroot():
            name = etree.QName(item).localname
            counts[name] = counts.get(name, 0) + 1
    return counts


def _answer(namespace: str, results: list[tuple[str, str | None]]) -> bytes:
    """A getStateResult as the ГИС ЖКХ client saves it: per TransportGUID a GUID, or an error."""
    b = f"{{{NS_BASE}}}"
    root = etree.Element(f"{{{namespace}}}getStateResult", {f"{b}version": "10.0.1.1"},
                         nsmap={"base": NS_BASE, "ns": namespace})  # fmt: skip
    etree.SubElement(root, f"{b}RequestState").text = "3"
    etree.SubElement(root, f"{b}MessageGUID").text = str(uuid.uuid4())
    for transport, error in results:
        result = etree.SubElement(root, f"{{{namespace}}}ImportResult")
        if error is None:
            etree.SubElement(result, f"{b}GUID").text = str(uuid.uuid5(uuid.NAMESPACE_OID, transport))
        etree.SubElement(result, f"{b}TransportGUID").text = transport
        if error is None:
            etree.SubElement(result, f"{b}UniqueNumber").text = "N" + transport[:8]
            etree.SubElement(result, f"{b}UpdateDate").text = "2026-11-21T05:00:00"
        else:
            failure = etree.SubElement(result, f"{b}Error")
            etree.SubElement(failure, f"{b}ErrorCode").text = error
            etree.SubElement(failure, f"{b}Description").text = "Платежный документ не найден"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


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
    config, day, work_dir = _night(tmp_path / "home", db_url, xsd_dir, monkeypatch)
    engine = make_engine(config.database_url)
    first = export_day(config, engine, day.run_date)
    out = config.out / day.run_date.isoformat() / "gis"
    counts = _validate_all(out, xsd_dir)
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
    answer = tmp_path / "answer-notifications.xml"
    answer.write_bytes(_answer(NS_PAYMENT, [(notes[0], "INT002012")] + [(g, None) for g in notes[1:]]))
    loaded = load_answers(config, engine, answer)
    assert (loaded.accepted, loaded.rejected, loaded.unknown) == (len(notes) - 1, 1, ())
    assert load_answers(config, engine, answer) == loaded  # idempotent

    # accepted notifications can now be acknowledged: the next export of the date adds those files
    third = export_day(config, engine, day.run_date)
    assert third.new_items["ack"] > 0 and third.new_items["notification"] == 0
    assert set(third.written) == set(third.files) - set(before)  # old files untouched, new ones added
    assert all(before[name][0] == (out / name).read_bytes() for name in before)
    counts = _validate_all(out, xsd_dir)
    assert counts["AcknowledgmentRequestInfo"] == first.new_items["ack"] + third.new_items["ack"]

    # a reversed acknowledged payment yields an AckCancellation
    with engine.begin() as conn:
        entry_id = conn.execute(sa.text(
            "SELECT MIN(entry_id) FROM gis_export_item WHERE kind = 'ack'")).scalar()  # fmt: skip
        reverse_entry(conn, entry_id, on=day.run_date + timedelta(days=1), reason="платёж отозван банком")
    later = day.run_date + timedelta(days=1)
    fourth = export_day(config, engine, later)
    assert fourth.new_items == {"notification": 0, "ack": 0, "ack_cancel": 1}
    assert _validate_all(config.out / later.isoformat() / "gis", xsd_dir) == {"AckCancellation": 1}
    assert export_day(config, engine, later).new_items["ack_cancel"] == 0  # once

    # the rejected notification reaches the night's run report
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
    answer = tmp_path / "answer.xml"
    answer.write_bytes(_answer(NS_BILLS, [(stranger, "INT000001")]))
    result = load_answers(config, engine, answer)
    assert (result.accepted, result.rejected, result.unknown) == (0, 0, (stranger,))


def test_export_needs_the_schema_directory(tmp_path, engine, monkeypatch) -> None:
    from rkc.config import ConfigError

    monkeypatch.setenv("RKC_DATABASE_URL", str(engine.url.render_as_string(hide_password=False)))
    config, _ = init_home(tmp_path / "home")
    with pytest.raises(ConfigError, match="gis_xsd_dir"):
        export_day(config, engine, date(2026, 11, 20))
