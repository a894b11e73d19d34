"""Shared pieces of the ГИС ЖКХ XML parser tests: sample paths, a minimal request, file helpers."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from parsers.base import Chunk
from parsers.gis_xml import GisXmlParser

DATA = Path(__file__).resolve().parent / "data" / "registers"
SAMPLE = DATA / "gis_notifications.xml"
SOAP = DATA / "gis_notifications_soap.xml"
NS = (
    'xmlns:pay="http://dom.gosuslugi.ru/schema/integration/payment/" '
    'xmlns:base="http://dom.gosuslugi.ru/schema/integration/base/" '
    'xmlns:pb="http://dom.gosuslugi.ru/schema/integration/payments-base/"'
)
OPEN = f'<pay:importNotificationsOfOrderExecutionRequest {NS} base:version="10.0.1.1">'
CLOSE = "</pay:importNotificationsOfOrderExecutionRequest>"


def note(order_id: str = "C" * 32, amount: str = "100", purpose: str = "ЖКУ") -> str:
    """A minimal notification (order id, date, amount, purpose)."""
    return (
        "<pay:NotificationOfOrderExecutionType><pb:OrderInfo>"
        f"<pb:OrderID>{order_id}</pb:OrderID><pb:OrderDate>2024-05-01</pb:OrderDate>"
        f"<pb:Amount>{amount}</pb:Amount><pb:PaymentPurpose>{purpose}</pb:PaymentPurpose>"
        "</pb:OrderInfo></pay:NotificationOfOrderExecutionType>"
    )


def write(tmp_path: Path, data: bytes | str, name: str = "register.xml") -> Path:
    """``data`` (text as UTF-8) written to ``tmp_path/name``."""
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def parse_all(parser: GisXmlParser, path: Path) -> list[Chunk]:
    """Every chunk ``parser`` yields for ``path``."""
    return list(parser.parse(path))


def as_json(chunks: list[Chunk]) -> dict:
    """Chunks as the golden files hold them: payment records, errors, declared totals."""
    payments = pd.concat([c.payments for c in chunks], ignore_index=True)
    records = json.loads(payments.to_json(orient="records", force_ascii=False))
    # Method and QR columns are pinned only where a notification has them (the golden files predate them).
    optional = ("method_raw", "method", "qr", "qr_flag", "qr_detail")
    records = [{k: v for k, v in r.items() if not (k in optional and v is None)} for r in records]
    errors = [
        {"line_no": e.line_no, "reason": e.reason, "amount": e.amount, "raw": e.raw} for c in chunks for e in c.errors
    ]
    return {"payments": records, "errors": errors, "declared": [c.declared for c in chunks if c.declared]}
