"""ГИС ЖКХ payment notifications: ``importNotificationsOfOrderExecutionRequest`` (XSD 14.4.0.1).

The file is the request itself, or the request in the Body of a SOAP 1.1/1.2 envelope (with a
header and an XML-DSig signature, which are ignored: signatures are not verified here). Each
``NotificationOfOrderExecutionType`` becomes one payment: ``OrderID`` is the operation id,
``Amount`` is in kopecks, ``PaymentDocumentID`` (ИПД) is the УИП, ``UnifiedAccountNumber`` the
ЕЛС, ``AccountNumber`` the ЛС, ``Year``/``Month`` the period and ``RecipientInfo/INN`` the
supplier. The format declares no control totals.

Streaming: ``lxml.etree.iterparse`` on the notifications' end events; each one is read, then
cleared and its earlier siblings deleted, so memory stays flat whatever the file size.

Security: the parser never resolves entities, never loads a DTD, never touches the network and
keeps libxml2's size limits (``huge_tree=False``: a text node over 10 MB is an error). Any
DOCTYPE is refused outright as a bad file, first by a byte scan of the prolog, then (for
encodings the scan cannot see, e.g. UTF-16) by the parsed document's info at the first event.

With ``xsd_dir``, every notification is validated against the official schema
(``parsers.gis_xsd``); one that fails, or that lacks a readable ``OrderID``/``OrderDate``/
``Amount``, is a ``LineError`` and the others are still read.

A file that breaks mid-way (truncated, not well-formed) raises ``BadFile`` from the iterator,
possibly after some chunks were already yielded. Callers must treat any exception during the
iteration as BAD_FILE for the whole file and discard the chunks they got (the register is
quarantined whole, never loaded in part).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

from domain.identifiers.account import compact as compact_account
from domain.money import AmountError, parse_kopecks
from domain.records import LineError, conform_payments
from parsers.base import CHUNK_ROWS, BadFile, Chunk, read_head
from parsers.gis_xsd import NS_BASE, NS_PAYMENT, REQUEST, NotificationValidator

NS_PB = "http://dom.gosuslugi.ru/schema/integration/payments-base/"
NS_BB = "http://dom.gosuslugi.ru/schema/integration/bills-base/"
NS_AB = "http://dom.gosuslugi.ru/schema/integration/account-base/"
NS_OB = "http://dom.gosuslugi.ru/schema/integration/organizations-base/"
NS_IB = "http://dom.gosuslugi.ru/schema/integration/individual-registry-base/"
SOAP_NAMESPACES = ("http://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/2003/05/soap-envelope")

NOTIFICATION = f"{{{NS_PAYMENT}}}NotificationOfOrderExecutionType"
NOTIFICATION_139 = f"{{{NS_PAYMENT}}}NotificationOfOrderExecution139Type"
SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"
_ORDER_INFO = f"{{{NS_PB}}}OrderInfo"
_IND = f"{{{NS_PB}}}Ind"
_SOAP_BODIES = {f"{{{ns}}}Body" for ns in SOAP_NAMESPACES}

# The fields read from one notification, in the order of the row list built per notification.
FIELDS = (
    "line_no", "raw", "operation_id", "order_date", "amount_text", "uip", "els", "account_raw",
    "year", "month", "supplier_name", "supplier_inn", "surname", "first_name", "patronymic",
)  # fmt: skip
_SLOT = {name: i for i, name in enumerate(FIELDS)}
# Leaf element -> (the parent it must have, its slot). The parent check keeps a same-named element
# elsewhere (e.g. the recipient's own FIO under ``Entpr``) out of the row.
_LEAVES: dict[str, tuple[str, int]] = {
    f"{{{NS_PB}}}OrderID": (_ORDER_INFO, _SLOT["operation_id"]),
    f"{{{NS_PB}}}OrderDate": (_ORDER_INFO, _SLOT["order_date"]),
    f"{{{NS_PB}}}Amount": (_ORDER_INFO, _SLOT["amount_text"]),
    f"{{{NS_BB}}}PaymentDocumentID": (_ORDER_INFO, _SLOT["uip"]),
    f"{{{NS_AB}}}UnifiedAccountNumber": (_ORDER_INFO, _SLOT["els"]),
    f"{{{NS_AB}}}AccountNumber": (_ORDER_INFO, _SLOT["account_raw"]),
    f"{{{NS_BASE}}}Year": (_ORDER_INFO, _SLOT["year"]),
    f"{{{NS_BASE}}}Month": (_ORDER_INFO, _SLOT["month"]),
    f"{{{NS_PB}}}SupplierName": (f"{{{NS_PB}}}SupplierInfo", _SLOT["supplier_name"]),
    f"{{{NS_OB}}}INN": (f"{{{NS_PB}}}RecipientInfo", _SLOT["supplier_inn"]),
    f"{{{NS_IB}}}Surname": (_IND, _SLOT["surname"]),
    f"{{{NS_IB}}}FirstName": (_IND, _SLOT["first_name"]),
    f"{{{NS_IB}}}Patronymic": (_IND, _SLOT["patronymic"]),
}
_EVENT_TAGS = (*_LEAVES, NOTIFICATION, NOTIFICATION_139)
_TEXT_FIELDS = FIELDS[2:]

RAW_LIMIT = 2000
MAX_OPERATION_ID = 32
_ROOT_RE = re.compile(rb"<(?:([A-Za-z_][\w.\-]*):)?importNotificationsOfOrderExecutionRequest[\s/>]")
_FIRST_TAG = re.compile(rb"<[A-Za-z_]")
_DOCTYPES = tuple("<!DOCTYPE".encode(enc) for enc in ("ascii", "utf-16-le", "utf-16-be"))
_XML_DATE = r"^\d{4}-\d{2}-\d{2}(?:Z|[+-]\d{2}:\d{2})?$"
_BAD_DOCTYPE = "the XML declares a DOCTYPE (DTDs and entities are refused)"


def raw_xml(note: etree._Element) -> str:
    """The notification's XML for provenance, without the namespace declarations lxml repeats on
    its start tag (the notification has no attributes of its own), cut to ``RAW_LIMIT``."""
    text = etree.tostring(note, encoding="unicode", with_tail=False)
    end = text.find(">")
    cut = text.find(" xmlns", 0, end)
    if cut != -1:
        text = text[:cut] + text[end - 1 if text[end - 1] == "/" else end :]
    return text[:RAW_LIMIT]


def _amount_or_none(text: str | None) -> int | None:
    try:
        return parse_kopecks(text) if text is not None else None
    except AmountError:
        return None


def has_doctype(head: bytes) -> bool:
    """Whether the prolog in ``head`` declares a DOCTYPE (UTF-16 heads are searched whole)."""
    first = _FIRST_TAG.search(head)
    prolog = head if first is None else head[: first.start()]
    return _DOCTYPES[0] in prolog or any(marker in head for marker in _DOCTYPES[1:])


class GisXmlParser:
    """Register parser for ГИС ЖКХ ``importNotificationsOfOrderExecutionRequest`` files."""

    name = "gis_xml"
    format = "xml"

    def __init__(self, xsd_dir: Path | None = None, *, chunk_rows: int = CHUNK_ROWS) -> None:
        self.validator = NotificationValidator(xsd_dir) if xsd_dir is not None else None
        self.chunk_rows = chunk_rows

    def identify(self, path: Path, head: bytes) -> bool:
        """Whether ``head`` is XML whose request element is the payment-notifications request."""
        if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            return False
        match = _ROOT_RE.search(head)
        if match is None:
            return False
        prefix = match.group(1)
        declaration = rb"xmlns:" + re.escape(prefix) if prefix else rb"xmlns"
        ns = re.escape(NS_PAYMENT.encode())
        return re.search(declaration + rb"\s*=\s*([\"'])" + ns + rb"\1", head) is not None

    def parse(self, path: Path) -> Iterator[Chunk]:
        """Stream the notifications as chunks; ``BadFile`` (possibly mid-stream) if unreadable."""
        path = Path(path)
        if has_doctype(read_head(path)):
            raise BadFile(path, _BAD_DOCTYPE)
        try:
            yield from self._chunks(path)
        except etree.XMLSyntaxError as exc:
            raise BadFile(path, f"not well-formed XML: {exc}") from exc

    def _chunks(self, path: Path) -> Iterator[Chunk]:
        # End events for the few leaves we read and for the notifications: cheaper than walking
        # each notification's children from Python (see docs/PERFORMANCE.md).
        events = etree.iterparse(
            str(path), events=("end",), tag=_EVENT_TAGS, resolve_entities=False, no_network=True,
            load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True, collect_ids=False,
        )  # fmt: skip
        leaves, notification, width = _LEAVES, NOTIFICATION, len(FIELDS)
        rows: list[list] = []
        errors: list[LineError] = []
        row: list = [None] * width
        seen = 0
        for _, element in events:
            leaf = leaves.get(element.tag)
            if leaf is not None:
                if element.getparent().tag == leaf[0]:
                    row[leaf[1]] = element.text
                continue
            if seen == 0:
                self._check_document(path, element)
            seen += 1
            if element.tag != notification:
                raise BadFile(path, f"line {element.sourceline}: a notification of another kind")
            row[0], row[1] = element.sourceline, raw_xml(element)
            reason = self.validator.errors(element) if self.validator is not None else None
            if reason is None:
                rows.append(row)
            else:
                amount = _amount_or_none(row[_SLOT["amount_text"]])
                errors.append(LineError(str(path), row[0], reason, row[1], amount))
            row = [None] * width
            self._release(path, element)
            if len(rows) + len(errors) >= self.chunk_rows:
                yield self._chunk(path, rows, errors)
                rows, errors = [], []
        if seen == 0:
            root = events.root
            if root is not None and root.getroottree().docinfo.internalDTD is not None:
                raise BadFile(path, _BAD_DOCTYPE)
            raise BadFile(path, "no NotificationOfOrderExecutionType in the file")
        yield self._chunk(path, rows, errors)

    @staticmethod
    def _release(path: Path, note: etree._Element) -> None:
        """Free a read notification and everything before it in the request (memory stays flat).

        The request holds only a signature and notifications (XSD); anything else before this
        notification would have leaked its fields into it, so it makes the file bad.
        """
        note.clear(keep_tail=False)
        request = note.getparent()
        if request.tag != REQUEST:
            raise BadFile(path, f"line {note.sourceline}: a notification outside the request")
        while (previous := note.getprevious()) is not None:
            if previous.tag != NOTIFICATION and previous.tag != SIGNATURE:
                raise BadFile(path, f"line {previous.sourceline}: unexpected element {previous.tag}")
            del request[0]

    def _check_document(self, path: Path, note: etree._Element) -> None:
        """Refuse a DOCTYPE and a notification outside the request (at the root or in a SOAP Body)."""
        docinfo = note.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:
            raise BadFile(path, _BAD_DOCTYPE)
        if note.tag == NOTIFICATION_139:
            raise BadFile(path, "NotificationOfOrderExecution139Type notifications are not supported")
        request = note.getparent()
        if request is None or request.tag != REQUEST:
            raise BadFile(path, "a notification outside importNotificationsOfOrderExecutionRequest")
        holder = request.getparent()
        if holder is not None and holder.tag not in _SOAP_BODIES:
            raise BadFile(path, "the request is neither the document root nor in a SOAP Body")

    def _chunk(self, path: Path, rows: list[list], errors: list[LineError]) -> Chunk:
        """Normalise a batch of rows (vectorized, pyarrow); rows failing basic checks become errors."""
        columns = list(zip(*rows, strict=True)) if rows else [()] * len(FIELDS)
        text = {name: _trimmed(col) for name, col in zip(FIELDS[2:], columns[2:], strict=True)}
        line_no, raw = columns[0], columns[1]  # kept as Python objects: no copy through arrow
        reasons = _reasons(text)
        bad = pc.invert(pc.equal(reasons, ""))
        bad_rows = pc.indices_nonzero(bad).to_pylist()
        for i in bad_rows:
            amount = _amount_or_none(text["amount_text"][i].as_py())
            errors.append(LineError(str(path), line_no[i], reasons[i].as_py(), raw[i], amount))
        if bad_rows:
            good = pc.invert(bad)
            keep = good.to_numpy(zero_copy_only=False)
            line_no = [v for v, k in zip(line_no, keep, strict=True) if k]
            raw = [v for v, k in zip(raw, keep, strict=True) if k]
            text = {name: pc.filter(values, good) for name, values in text.items()}
        # binary_join_element_wise with null_handling="skip" drops rows in pyarrow 26: fill instead
        parts = [pc.fill_null(text[name], "") for name in ("surname", "first_name", "patronymic")]
        fio = pc.utf8_trim_whitespace(pc.binary_join_element_wise(*parts, " "))
        fio = pc.replace_substring(fio, "  ", " ")  # a missing first name (XSD: required)
        payer = pc.coalesce(text["supplier_name"], pc.if_else(pc.equal(fio, ""), None, fio))
        account_raw = _objects(text["account_raw"])
        payments = pd.DataFrame(
            {
                "line_no": pd.Series(line_no, dtype="int64"),
                "raw": pd.Series(raw, dtype=object),
                "operation_id": _objects(text["operation_id"]),
                "paid_date": _objects(pc.utf8_slice_codeunits(text["order_date"], 0, 10)),
                "account_raw": account_raw,
                "account": _compact(account_raw),
                "uip": _objects(text["uip"]),
                "els": _objects(text["els"]),
                "period": _objects(_period(text["year"], text["month"])),
                "amount": pc.cast(text["amount_text"], pa.int64()).to_numpy(zero_copy_only=False),
                "payer": _objects(payer),
                "supplier_inn": _objects(text["supplier_inn"]),
            }
        )
        payments = conform_payments(payments)
        errors.sort(key=lambda e: e.line_no)
        meta = {"schema": "xsd" if self.validator is not None else "none"}
        return Chunk(payments=payments, errors=tuple(errors), declared=None, meta=meta)


def _trimmed(values: tuple) -> pa.Array:
    """Texts as a string array, surrounding whitespace removed, empty as null."""
    trimmed = pc.utf8_trim_whitespace(pa.array(values, pa.string()))
    return pc.if_else(pc.equal(trimmed, ""), None, trimmed)


def _objects(values: pa.Array) -> pd.Series:
    """A pandas object column (None for null): the payment frame keeps identifiers as ``str``."""
    return pd.Series(values.to_pylist(), dtype=object)


def _compact(raw: pd.Series) -> pd.Series:
    """ЛС in the matching form (``domain.identifiers.account.compact``); None where absent."""
    return pd.Series([None if v is None else compact_account(v) for v in raw], index=raw.index, dtype=object)


def _matches(values: pa.Array, pattern: str) -> pa.Array:
    return pc.fill_null(pc.match_substring_regex(values, pattern), False)


def _reasons(text: dict[str, pa.Array]) -> pa.Array:
    """Per row, why it cannot be a payment ("" when it can): the checks that hold without an XSD.

    ``Amount`` must be what ``domain.money.parse_kopecks`` reads (ASCII digits), at most 18 of
    them so that it fits int64.
    """
    op, dates, amount = text["operation_id"], text["order_date"], text["amount_text"]
    day = pc.strptime(pc.utf8_slice_codeunits(dates, 0, 10), format="%Y-%m-%d", unit="s", error_is_null=True)
    checks = [
        (pc.is_null(op), "OrderID missing"),
        (pc.fill_null(pc.greater(pc.utf8_length(op), MAX_OPERATION_ID), False),
         f"OrderID longer than {MAX_OPERATION_ID}"),
        (pc.or_(pc.invert(_matches(dates, _XML_DATE)), pc.is_null(day)), "OrderDate missing or not a date"),
        (pc.invert(_matches(amount, r"^[0-9]{1,18}$")), "Amount missing or not a whole number of kopecks"),
    ]  # fmt: skip
    parts = [pc.if_else(mask, label, "") for mask, label in checks]
    joined = pc.binary_join_element_wise(*parts, "; ")
    return pc.utf8_trim(joined, "; ")


def _period(year: pa.Array, month: pa.Array) -> pa.Array:
    """``YYYY-MM`` from ``Year``/``Month``; null where either is absent or unreadable."""
    ok = pc.and_(_matches(year, r"^\d{4}$"), _matches(month, r"^(0?[1-9]|1[0-2])$"))
    text = pc.binary_join_element_wise(year, pc.utf8_lpad(pc.utf8_ltrim(month, "0"), 2, "0"), "-")
    return pc.if_else(ok, text, None)
