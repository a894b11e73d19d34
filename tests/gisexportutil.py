"""Helpers of the ГИС ЖКХ export tests: a generated night with the export configured, validation of
every exported file, and answers as the ГИС ЖКХ client saves them."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from lxml import etree

from flows import nightly as tasks
from parsers.gis_answers import NS_BILLS
from parsers.gis_xsd import NS_BASE, NS_PAYMENT, safe_xml_parser
from rkc.app import import_charges_files
from rkc.config import init_home, load_config
from rkc.intake import collect_inbox
from rkc.memory import libraries_out_of_the_collector
from synthetic import generate
from synthetic.names import OTHER_SUPPLIERS, UK_SERVICES

LIMITS = {"SupplierNotificationOfOrderExecution": 250, "AcknowledgmentRequestInfo": 100, "AckCancellation": 100}

ORG = "11111111-2222-4333-8444-555555555555"  # test data: the ГИС channel's notifying organisation


def service_map() -> str:
    """A ``gis_export`` section naming a ГИС ЖКХ type for every generated service (test GUIDs)."""
    names = [*UK_SERVICES, *(s for *_, services in OTHER_SUPPLIERS for s in services)]
    lines = ["gis_export:", "  order_orgs:", f"    gis: {ORG}", "  services:"]
    for i, name in enumerate(names):
        guid = uuid.uuid5(uuid.NAMESPACE_URL, f"test-service:{name}")
        kind = "TMSType" if i % 2 else "MSType"
        code = f", code: '{i + 1}'" if kind == "TMSType" else ""
        lines.append(f"    '{name}': {{type: {kind}, guid: {guid}{code}}}")
    return "\n".join(lines) + "\n"


def night(root: Path, db_url: str, xsd_dir: Path, monkeypatch: pytest.MonkeyPatch):
    """A generated day run through the nightly tasks, with the XSD directory and the service map set."""
    monkeypatch.setenv("RKC_DATABASE_URL", db_url)
    config, _ = init_home(root)
    settings = root / "rkc.yaml"
    text = settings.read_text(encoding="utf-8").replace("gis_xsd_dir:\n", f"gis_xsd_dir: {xsd_dir}\n")
    settings.write_text(text + service_map(), encoding="utf-8")
    config = load_config(root)
    day = generate(config.home, accounts=120, payments=400, seed=11)
    import_charges_files(config, day.charges_csv, day.suppliers_csv)
    home, work_dir = str(config.home), str(config.home / "work" / day.run_date.isoformat())
    with libraries_out_of_the_collector():  # the flow runs its tasks so (rkc.memory)
        intakes = [tasks.intake.fn(home, channel, str(path), work_dir) for channel, path in collect_inbox(config)]
        plan = tasks.decide.fn(home, intakes, work_dir)
        for intake in intakes:
            tasks.post_register.fn(home, intake, plan, day.run_date)
        tasks.tie.fn(home, day.run_date)
    return config, day, work_dir


def validate_all(directory: Path, xsd_dir: Path) -> dict[str, int]:
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
        names = [etree.QName(item).localname for item in tree.getroot()]
        assert 0 < len(names) <= LIMITS[names[0]], f"{path.name}: {len(names)} items"  # the XSD's maxOccurs
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    return counts


def answer(
    namespace: str, results: list[tuple[str, str | None]], message_error: tuple[str, str] | None = None
) -> bytes:
    """A getStateResult as the ГИС ЖКХ client saves it: per TransportGUID a GUID, or an error."""
    b = f"{{{NS_BASE}}}"
    root = etree.Element(f"{{{namespace}}}getStateResult", {f"{b}version": "10.0.1.1"},
                         nsmap={"base": NS_BASE, "ns": namespace})  # fmt: skip
    etree.SubElement(root, f"{b}RequestState").text = "3"
    etree.SubElement(root, f"{b}MessageGUID").text = str(uuid.uuid4())
    if message_error is not None:
        failure = etree.SubElement(root, f"{b}ErrorMessage")
        etree.SubElement(failure, f"{b}ErrorCode").text = message_error[0]
        etree.SubElement(failure, f"{b}Description").text = message_error[1]
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
