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
_ORDER_INFO = f"{{{NS_PB}}}OrderInfo"
_RECIPIENT_INFO = f"{{{NS_PB}}}RecipientInfo"
_SUPPLIER_INFO = f"{{{NS_PB}}}SupplierInfo"
_SUPPLIER_NAME = f"{{{NS_PB}}}SupplierName"
_RECIPIENT_INN = f"{{{NS_OB}}}INN"
_ADDRESS_AND_CONSUMER = f"{{{NS_PB}}}AddressAndConsumer"
_IND = f"{{{NS_PB}}}Ind"
_FIO = tuple(f"{{{NS_IB}}}{name}" for name in ("Surname", "FirstName", "Patronymic"))
_SOAP_BODIES = {f"{{{ns}}}Body" for ns in SOAP_NAMESPACES}

# The fields read from one notification, in the order of the row tuple built per notification.
FIELDS = ("line_no", "raw", "operation_id", "order_date", "amount_text", "uip", "els", "account_raw",
          "year", "month", "payer", "supplier_inn")  # fmt: skip
_SLOT = {name: i for i, name in enumerate(FIELDS)}
_ORDER_SLOTS = {
    f"{{{NS_PB}}}OrderID": _SLOT["operation_id"],
    f"{{{NS_PB}}}OrderDate": _SLOT["order_date"],
    f"{{{NS_PB}}}Amount": _SLOT["amount_text"],
    f"{{{NS_BB}}}PaymentDocumentID": _SLOT["uip"],
    f"{{{NS_AB}}}UnifiedAccountNumber": _SLOT["els"],
    f"{{{NS_AB}}}AccountNumber": _SLOT["account_raw"],
    f"{{{NS_BASE}}}Year": _SLOT["year"],
    f"{{{NS_BASE}}}Month": _SLOT["month"],
}

RAW_LIMIT = 2000
MAX_OPERATION_ID = 32
_XMLNS = re.compile(r'\s+xmlns(?::[\w.\-]+)?="[^"]*"')  # in-scope declarations lxml repeats per element
_ROOT_RE = re.compile(rb"<(?:([A-Za-z_][\w.\-]*):)?importNotificationsOfOrderExecutionRequest[\s/>]")
_FIRST_TAG = re.compile(rb"<[A-Za-z_]")
_DOCTYPES = tuple("<!DOCTYPE".encode(enc) for enc in ("ascii", "utf-16-le", "utf-16-be"))
_XML_DATE = r"\d{4}-\d{2}-\d{2}(?:Z|[+-]\d{2}:\d{2})?"


def _text(node: etree._Element) -> str | None:
    text = node.text
    if text is None:
        return None
    return text.strip() or None


def _payer(address_and_consumer: etree._Element) -> str | None:
    """The consumer's full name when the payer is an individual (``Ind``)."""
    ind = address_and_consumer.find(_IND)
    if ind is None:
        return None
    parts = [ind.findtext(tag) for tag in _FIO]
    return " ".join(p.strip() for p in parts if p and p.strip()) or None


def read_notification(note: etree._Element) -> list[str | int | None]:
    """The fields of one notification as a row in ``FIELDS`` order (texts as written, stripped)."""
    row: list[str | int | None] = [None] * len(FIELDS)
    row[0] = note.sourceline
    raw = _XMLNS.sub("", etree.tostring(note, encoding="unicode", with_tail=False))
    row[1] = raw[:RAW_LIMIT]
    consumer = None
    for part in note:
        tag = part.tag
        if tag == _ORDER_INFO:
            for field in part:
                slot = _ORDER_SLOTS.get(field.tag)
                if slot is not None:
                    row[slot] = _text(field)
                elif field.tag == _ADDRESS_AND_CONSUMER:
                    consumer = _payer(field)
        elif tag == _RECIPIENT_INFO:
            inn = part.find(_RECIPIENT_INN)
            row[11] = None if inn is None else _text(inn)
        elif tag == _SUPPLIER_INFO:
            name = part.findtext(_SUPPLIER_NAME)
            row[10] = name.strip() or None if name else None
    if row[10] is None:
        row[10] = consumer
    return row


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
            raise BadFile(path, "the XML declares a DOCTYPE (DTDs and entities are refused)")
        try:
            yield from self._chunks(path)
        except etree.XMLSyntaxError as exc:
            raise BadFile(path, f"not well-formed XML: {exc}") from exc

    def _chunks(self, path: Path) -> Iterator[Chunk]:
        events = etree.iterparse(
            str(path), events=("end",), tag=(NOTIFICATION, NOTIFICATION_139), resolve_entities=False,
            no_network=True, load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True,
        )  # fmt: skip
        rows: list[list[str | int | None]] = []
        errors: list[LineError] = []
        seen = 0
        for _, note in events:
            if seen == 0:
                self._check_document(path, note)
            seen += 1
            self._read(path, note, rows, errors)
            note.clear(keep_tail=False)
            parent = note.getparent()
            while note.getprevious() is not None:
                del parent[0]  # earlier notifications: already read, only their shells remain
            if len(rows) + len(errors) >= self.chunk_rows:
                yield self._chunk(path, rows, errors)
                rows, errors = [], []
        if seen == 0:
            root = events.root
            if root is not None and (root.getroottree().docinfo.internalDTD is not None):
                raise BadFile(path, "the XML declares a DOCTYPE (DTDs and entities are refused)")
            raise BadFile(path, "no NotificationOfOrderExecutionType in the file")
        yield self._chunk(path, rows, errors)

    def _check_document(self, path: Path, note: etree._Element) -> None:
        """Refuse a DOCTYPE and a notification outside the request (at the root or in a SOAP Body)."""
        docinfo = note.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:
            raise BadFile(path, "the XML declares a DOCTYPE (DTDs and entities are refused)")
        if note.tag == NOTIFICATION_139:
            raise BadFile(path, "NotificationOfOrderExecution139Type notifications are not supported")
        request = note.getparent()
        if request is None or request.tag != REQUEST:
            raise BadFile(path, "a notification outside importNotificationsOfOrderExecutionRequest")
        holder = request.getparent()
        if holder is not None and holder.tag not in _SOAP_BODIES:
            raise BadFile(path, "the request is neither the document root nor in a SOAP Body")

    def _read(self, path: Path, note: etree._Element, rows: list, errors: list[LineError]) -> None:
        """Read one notification into ``rows``, or into ``errors`` when it is invalid."""
        if note.tag != NOTIFICATION or note.getparent().tag != REQUEST:
            raise BadFile(path, f"line {note.sourceline}: notifications of a different kind or place")
        row = read_notification(note)
        reason = self.validator.errors(note) if self.validator is not None else None
        if reason is not None:
            errors.append(LineError(str(path), row[0], reason, row[1], _amount_or_none(row[4])))
        else:
            rows.append(row)

    def _chunk(self, path: Path, rows: list, errors: list[LineError]) -> Chunk:
        """Normalise a batch of rows into a payment frame; rows that fail basic checks become errors."""
        columns = list(zip(*rows, strict=True)) if rows else [()] * len(FIELDS)
        table = pd.DataFrame(
            {name: pd.Series(col, dtype=object) for name, col in zip(FIELDS, columns, strict=True)}
        )
        table["line_no"] = table["line_no"].astype("int64")
        reasons = _check(table)
        bad = reasons != ""
        for idx in reasons.index[bad]:
            raw_amount = table.at[idx, "amount_text"]
            errors.append(
                LineError(str(path), int(table.at[idx, "line_no"]), reasons[idx], table.at[idx, "raw"],
                          _amount_or_none(raw_amount))
            )  # fmt: skip
        good = table[~bad]
        payments = pd.DataFrame(
            {
                "line_no": good["line_no"],
                "raw": good["raw"],
                "operation_id": good["operation_id"],
                "paid_date": good["order_date"].str.slice(0, 10).astype(object),
                "account_raw": good["account_raw"],
                "account": _compact(good["account_raw"]),
                "uip": good["uip"],
                "els": good["els"],
                "period": _period(good["year"], good["month"]),
                "amount": good["amount_text"].astype("int64"),
                "payer": good["payer"],
                "supplier_inn": good["supplier_inn"],
            }
        )
        payments = conform_payments(payments.reset_index(drop=True))
        payments = payments.astype({c: object for c in payments.columns if payments[c].dtype == "str"})
        errors.sort(key=lambda e: e.line_no)
        meta = {"schema": "xsd" if self.validator is not None else "none"}
        return Chunk(payments=payments, errors=tuple(errors), declared=None, meta=meta)


def _check(table: pd.DataFrame) -> pd.Series:
    """Per row, why it cannot be a payment ("" when it can): the checks that hold without an XSD."""
    reasons = pd.Series("", index=table.index, dtype=object)
    op = table["operation_id"]
    reasons[op.isna()] += "OrderID missing; "
    reasons[op.notna() & (op.str.len() > MAX_OPERATION_ID)] += f"OrderID longer than {MAX_OPERATION_ID}; "
    dates = table["order_date"]
    shaped = dates.str.fullmatch(_XML_DATE).fillna(False).astype(bool)
    parsed = pd.to_datetime(dates.where(shaped).str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    reasons[parsed.isna()] += "OrderDate missing or not a date; "
    amount = table["amount_text"]
    reasons[~amount.str.fullmatch(r"[0-9]{1,18}").fillna(False).astype(bool)] += (
        "Amount missing or not a whole number of kopecks; "
    )
    return reasons.str.rstrip("; ")


def _compact(raw: pd.Series) -> pd.Series:
    """ЛС in the matching form (``domain.identifiers.account.compact``); None where absent."""
    values = [None if value is None else compact_account(value) for value in raw]
    return pd.Series(values, index=raw.index, dtype=object)


def _period(year: pd.Series, month: pd.Series) -> pd.Series:
    """``YYYY-MM`` from ``Year``/``Month``; None where either is absent or unreadable."""
    ok = year.str.fullmatch(r"\d{4}").fillna(False) & month.str.fullmatch(r"0?[1-9]|1[0-2]").fillna(False)
    ok = ok.astype(bool)
    text = year.where(ok) + "-" + month.where(ok).str.zfill(2)
    return text.astype(object).where(ok, None)
