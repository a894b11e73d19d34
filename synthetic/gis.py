"""ГИС ЖКХ payment notifications (``importNotificationsOfOrderExecutionRequest``), by string templates.

One notification per line, so a notification's line number (what the parser reports) is its
ordinal plus 2. Each notification is valid against the official XSD 14.4.0.1 on its own (the way
``parsers.gis_xsd`` validates); the file as a whole may hold more than the 500 notifications one
request may carry, like the registers the center actually receives. Amounts are in kopecks.
Notifications of ПД with an ИПД carry ``PaymentDocumentID``; the others the ЛС and the period.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa

from synthetic import names
from synthetic._text import arr, encode_lines, join, nums, pick, where, zfill
from synthetic.payments import Plan
from synthetic.sber import RegisterFile
from synthetic.world import World

_NS = (
    'xmlns:pay="http://dom.gosuslugi.ru/schema/integration/payment/" '
    'xmlns:base="http://dom.gosuslugi.ru/schema/integration/base/" '
    'xmlns:pb="http://dom.gosuslugi.ru/schema/integration/payments-base/" '
    'xmlns:bb="http://dom.gosuslugi.ru/schema/integration/bills-base/" '
    'xmlns:ab="http://dom.gosuslugi.ru/schema/integration/account-base/" '
    'xmlns:ob="http://dom.gosuslugi.ru/schema/integration/organizations-base/"'
)
FIRST_LINE = 3
GIS_SLICE = 1 << 19  # notifications written at a time


def _recipients(world: World) -> np.ndarray:
    """Per ПД, the supplier row of its first line (the managing company): the notification's recipient."""
    first = np.full(len(world.doc_acc), -1, dtype=np.int64)
    order = np.arange(len(world.line_doc))[::-1]
    first[world.line_doc[order]] = order  # the last write per ПД is its first line
    return world.line_supplier[first]


def _recipient_xml(world: World) -> list[str]:
    """The ``RecipientInfo`` element of each supplier."""
    out = []
    bank_names = dict(names.BANKS)
    for s in world.suppliers.itertuples():
        name = s.name.replace("&", "&amp;")
        out.append(
            f"<pb:RecipientInfo><ob:INN>{s.inn}</ob:INN><pb:Legal><ob:KPP>{s.kpp}</ob:KPP><pb:Name>{name}</pb:Name>"
            f"</pb:Legal><pb:PaymentInformation><pb:RecipientINN>{s.inn}</pb:RecipientINN><pb:BankName>"
            f"{bank_names[s.bic]}</pb:BankName><pb:PaymentRecipient>{name}</pb:PaymentRecipient><pb:BankBIK>"
            f"{s.bic}</pb:BankBIK><pb:operatingAccountNumber>{s.bank_account}</pb:operatingAccountNumber>"
            "</pb:PaymentInformation></pb:RecipientInfo>"
        )
    return out


def write_gis(path: Path, plan: Plan, rows: np.ndarray, world: World, *, op_day: date,
              rng: np.random.Generator, register_no: str) -> RegisterFile:  # fmt: skip
    """Write the ГИС ЖКХ notifications of ``rows`` (payments of known ПД only), a slice of them at a
    time: an Arrow string array holds at most 2 GiB, and 10M payments' file is ~2.9 GB."""
    if (plan.doc[rows] < 0).any():
        raise ValueError("ГИС ЖКХ notifications need a ПД: unknown-account payments go to other channels")
    guid_head = f"{int(rng.integers(0, 2**32)):08x}-{op_day:%m%d}-4{op_day:%y}0-8000-"
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<pay:importNotificationsOfOrderExecutionRequest {_NS} base:version="10.0.1.1" Id="request-{register_no}">\n'
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        out.write(head.encode())
        for first in range(0, len(rows), GIS_SLICE):
            part = rows[first : first + GIS_SLICE]
            numbers = np.arange(first + 1, first + len(part) + 1)
            out.write(encode_lines(arr(_notifications(plan, world, part, numbers, op_day, guid_head))))
        out.write(b"</pay:importNotificationsOfOrderExecutionRequest>\n")
    total = int(plan.amount[rows].sum())
    return RegisterFile(path, "gis", "gis_xml", rows, FIRST_LINE, total, 0, register_no, op_day, None, {})


def _notifications(plan: Plan, world: World, rows: np.ndarray, numbers: np.ndarray, op_day: date,
                   guid_head: str) -> pa.Array:
    """One ``NotificationOfOrderExecutionType`` element a payment of ``rows``, its transport GUID
    ending in ``numbers``."""
    idx = pa.array(rows)
    doc = plan.doc[rows]
    uip = world.doc_uip.take(pa.array(doc))
    els = world.els.take(pa.array(world.doc_acc[doc]))
    has_ipd = np.asarray(els.to_numpy(zero_copy_only=False)) != ""
    old = plan.period[rows] == 1
    year = where(old, str(world.old_period.year), str(world.period.year))
    month = where(old, str(world.old_period.month), str(world.period.month))
    ym = join(["<base:Year>", year, "</base:Year><base:Month>", month, "</base:Month>"], "")
    by_ipd = join(["<bb:PaymentDocumentID>", uip, "</bb:PaymentDocumentID>", ym], "")
    by_account = join([ym, "<ab:AccountNumber>", plan.account_raw.take(idx), "</ab:AccountNumber>"], "")
    month_name = where(old, names.MONTHS_GENITIVE[world.old_period.month - 1],
                       names.MONTHS_GENITIVE[world.period.month - 1])  # fmt: skip
    purpose = join(["Оплата ЖКУ за ", month_name, " ", year, ", ЛС ", plan.account_raw.take(idx)], "")
    recipient = pick(_recipient_xml(world), _recipients(world)[doc])
    return join([
        "<pay:NotificationOfOrderExecutionType><pb:SupplierInfo><pb:SupplierName>", plan.payer.take(idx),
        "</pb:SupplierName></pb:SupplierInfo>", recipient, "<pb:OrderInfo><pb:OrderID>",
        pa.array(plan.op[rows].tolist()), "</pb:OrderID><pb:OrderDate>", op_day.isoformat(),
        "</pb:OrderDate><pb:Amount>", nums(plan.amount[rows]), "</pb:Amount><pb:PaymentPurpose>", purpose,
        "</pb:PaymentPurpose>", where(has_ipd, by_ipd, by_account), "</pb:OrderInfo><base:TransportGUID>",
        guid_head, zfill(numbers, 12), "</base:TransportGUID></pay:NotificationOfOrderExecutionType>",
    ], "")  # fmt: skip
