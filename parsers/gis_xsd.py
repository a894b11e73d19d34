"""The official ГИС ЖКХ schema, loaded safely, and validation of one notification against it.

The schema directory is configuration (the unpacked official XSD bundle, e.g. version 14.4.0.1);
its files are never copied into the project. Loading must not touch the network, so before
libxml2 compiles the schema every file reachable through ``xs:import``/``xs:include``/
``xs:redefine`` is audited: each ``schemaLocation`` must be a relative path to an existing file
inside the schema directory and no schema file may carry a DOCTYPE. The bundle's only foreign
import, XML-DSig (``lib/xmldsig-core-schema.xsd``), ships inside the bundle, so the audit passes
without any network access; a bundle that points outside itself is refused as a configuration
error rather than fetched.

A notification (``NotificationOfOrderExecutionType`` inside the request) has an anonymous type,
so it cannot be validated on its own. It is validated the sound way: a copy of it is put inside
a synthetic ``importNotificationsOfOrderExecutionRequest`` (with the fixed ``base:version``) and
that one-notification request is validated against the official element declaration, unchanged.
File-wide constraints (at most 500 notifications per request, unique ``OrderID``) are therefore
not checked here: a register may be larger than one request, and duplicates are a matching rule.

The message's own version is checked before anything is read (``request_mismatch``): older ГИС ЖКХ
releases put their version into the namespace (``…/integration/8.5.0.2/payment/``), later ones into
the request's fixed ``base:version`` attribute; a message of another version than the schema's, or
of another namespace altogether, is refused naming what it has and what was expected.
"""

from __future__ import annotations

import copy
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree

NS_XS = "http://www.w3.org/2001/XMLSchema"
NS_PAYMENT = "http://dom.gosuslugi.ru/schema/integration/payment/"
NS_BASE = "http://dom.gosuslugi.ru/schema/integration/base/"
REQUEST_NAME = "importNotificationsOfOrderExecutionRequest"
REQUEST = f"{{{NS_PAYMENT}}}{REQUEST_NAME}"
SCHEMA_RELEASE = "ГИС ЖКХ XSD 14.4.0.1"  # the release whose messages are read
ENTRY = Path("payment") / "hcs-payment-types.xsd"
REQUEST_VERSION = "10.0.1.1"  # fixed by the XSD on the request's base:version attribute
_IMPORTS = {f"{{{NS_XS}}}{name}" for name in ("import", "include", "redefine")}
MAX_MESSAGE = 300


def request_mismatch(path: Path) -> str | None:
    """Why the file's ``importNotificationsOfOrderExecutionRequest`` is not of the schema's version (its
    namespace, else its ``base:version``), None when it is, or when there is no request to judge (the
    reader then says what is wrong). Only the start tags up to the request's own are parsed."""
    events = etree.iterparse(
        str(path), events=("start",), resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        for _, element in events:
            # From the tag text: libxml2 hands over a cut tag of a truncated file as it is
            namespace, _, local = element.tag[1:].rpartition("}") if element.tag[:1] == "{" else ("", "", element.tag)
            if local == REQUEST_NAME:
                break
        else:
            return None
    except etree.XMLSyntaxError:
        return None
    if namespace != NS_PAYMENT:
        found = f"namespace {namespace!r}" if namespace else "no namespace"
        return f"{REQUEST_NAME} in {found}; expected namespace {NS_PAYMENT!r} ({SCHEMA_RELEASE})"
    version = element.get(f"{{{NS_BASE}}}version")
    if version is not None and version.strip() != REQUEST_VERSION:
        return f"{REQUEST_NAME} of base:version {version!r}; expected {REQUEST_VERSION!r} ({SCHEMA_RELEASE})"
    return None


class SchemaConfigError(ValueError):
    """The configured schema directory is missing, incomplete or would need the network."""


def safe_xml_parser() -> etree.XMLParser:
    """A parser that never resolves entities, loads a DTD or touches the network."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, dtd_validation=False
    )


def _audit(entry: Path, root: Path) -> None:
    """Check that every schema reachable from ``entry`` is a local file under ``root``, DTD-free."""
    pending, seen = [entry.resolve()], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        if not current.is_relative_to(root):
            raise SchemaConfigError(f"schema file outside the schema directory: {current}")
        if not current.is_file():
            raise SchemaConfigError(f"schema file not found: {current}")
        try:
            tree = etree.parse(str(current), safe_xml_parser())
        except etree.XMLSyntaxError as exc:
            raise SchemaConfigError(f"{current}: not well-formed: {exc}") from exc
        if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
            raise SchemaConfigError(f"{current}: schema files with a DOCTYPE are refused")
        for node in tree.iter(*_IMPORTS):
            location = node.get("schemaLocation")
            if location is None:
                continue  # namespace-only import: libxml2 loads nothing
            parts = urlsplit(location)
            if parts.scheme or parts.netloc or Path(location).is_absolute():
                raise SchemaConfigError(
                    f"{current}: import of {location!r} is not a relative local path; "
                    "put the imported schema into the schema directory and point to it"
                )
            pending.append((current.parent / location).resolve())


def load_schema(xsd_dir: Path, entry_file: Path = ENTRY) -> etree.XMLSchema:
    """Compile the official schema ``entry_file`` (default: the payment schema) from ``xsd_dir``,
    audited first: no network."""
    root = Path(xsd_dir).resolve()
    entry = root / entry_file
    if not entry.is_file():
        raise SchemaConfigError(f"{entry} not found: is {root} an unpacked ГИС ЖКХ XSD bundle?")
    _audit(entry, root)
    try:
        return etree.XMLSchema(etree.parse(str(entry), safe_xml_parser()))
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
        raise SchemaConfigError(f"{entry}: the schema does not compile: {exc}") from exc


def max_items(xsd_dir: Path, entry_file: Path, request: str, item: str) -> int:
    """The ``maxOccurs`` the schema ``entry_file`` gives ``item`` inside the element ``request``:
    how many items one request may carry (read from the configured bundle, not assumed)."""
    path = Path(xsd_dir).resolve() / entry_file
    tree = etree.parse(str(path), safe_xml_parser())
    found = tree.xpath(
        "/xs:schema/xs:element[@name=$r]//xs:element[@name=$i]/@maxOccurs", namespaces={"xs": NS_XS}, r=request, i=item
    )
    if not found or not str(found[0]).isdigit():
        raise SchemaConfigError(f"{path}: no bounded maxOccurs of {item} in {request}")
    return int(found[0])


class NotificationValidator:
    """Validates single notifications against the official request declaration."""

    def __init__(self, xsd_dir: Path) -> None:
        self.schema = load_schema(xsd_dir)
        self._version = {f"{{{NS_BASE}}}version": REQUEST_VERSION}

    def errors(self, notification: etree._Element) -> str | None:
        """``None`` when the notification is valid, else the first schema error (with its line)."""
        request = etree.Element(REQUEST, self._version)
        request.append(copy.deepcopy(notification))  # deepcopy keeps the source line numbers
        if self.schema.validate(request):
            return None
        log = self.schema.error_log
        error = log[0] if len(log) else None  # the first error is the cause, the rest follow from it
        message = error.message if error is not None else "invalid"
        line = f"line {error.line}: " if error is not None and error.line else ""
        return f"XSD: {line}{message}"[:MAX_MESSAGE]
