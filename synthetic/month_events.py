"""The events of a generated month (``synthetic.month``), done through the use cases a user or an
agent reaches: a refund to a payer, a register recalled and its corrected copy sent again, a ГИС
ЖКХ payment cancelled by a cancellation file in the gis inbox.

The payments are chosen among the ГИС ЖКХ notifications of a generated day that carry no planted
defect (their OrderIDs read from the day's file and manifest) and are posted to suppliers; the
ledger is read through the repositories only.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from domain.identifiers import bank_account
from domain.statuses import RegisterStatus
from rkc.config import Config
from rkc.refunds import RefundAsk, request_refund
from rkc.reverse import reverse_register
from rkc.users import acting_user
from sql.queries import stored_payments
from sql.refunds import payment_row
from sql.registers import night_registers
from synthetic.core import GeneratedDay

GIS = "gis"  # the generator's ГИС ЖКХ channel
PAYER_BIC = "044525225"
_ORDER = re.compile(r"<pb:OrderID>([^<]+)</pb:OrderID>")


@dataclass(frozen=True)
class Recall:
    """A register its agent recalled: its id, file name and where the night filed it."""

    register_id: int
    file: str
    stored_path: Path


def _planted(manifest: Path) -> set[str]:
    """Every operation id the day's manifest names (a planted defect's line, or its copy)."""
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            found.update(str(v) for k, v in node.items() if k == "operation_id")
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(json.loads(manifest.read_text(encoding="utf-8"))["defects"])
    return found


def gis_orders(day: GeneratedDay) -> list[str]:
    """The OrderIDs of the day's ГИС ЖКХ notifications without a planted defect, in file order; read
    before the night files the register away."""
    files = [p for p in day.registers if p.parent.name == GIS]
    orders = [o for p in files for o in _ORDER.findall(p.read_text(encoding="utf-8"))]
    return [o for o in dict.fromkeys(orders) if o not in _planted(day.manifest)]


def gis_payments(engine: Engine, orders: list[str]) -> list[tuple[str, int]]:
    """(OrderID, payment id) of ``orders`` posted in the ГИС ЖКХ channel to suppliers (not in
    suspense), in their order."""
    keys = pd.DataFrame({"channel": GIS, "operation_id": orders, "occurrence": 1})
    with engine.connect() as conn:
        found = stored_payments(conn, keys)
    posted = dict(zip(found.loc[~found["in_suspense"], "operation_id"], found.loc[~found["in_suspense"], "id"],
                      strict=True))  # fmt: skip
    return [(o, int(posted[o])) for o in orders if o in posted]


def refund_a_payer(config: Config, engine: Engine, orders: list[str], user: str, on: date) -> int:
    """Refund the first posted payment of ``orders`` (``gis_orders``) to its payer as ``user`` (an
    accountant) on the night ``on``: all of it up to the refund limit, else the limit; returns the
    refund's id."""
    _, payment_id = gis_payments(engine, orders)[0]
    with engine.connect() as conn:
        payment = payment_row(conn, payment_id)
    assert payment is not None  # found by its key a moment ago
    limit = config.workbench.refund_limit
    amount = None if int(payment["amount"]) <= limit else limit
    account = bank_account.with_key(f"40817810{payment_id:012d}", PAYER_BIC)
    ask = RefundAsk(payment_id, amount, payment["payer"] or "Плательщик", account, PAYER_BIC, "",
                    "плательщик оплатил дважды: возврат по заявлению")  # fmt: skip
    return request_refund(config, engine, acting_user(engine, user), ask, on=on).refund_id


def recall_register(engine: Engine, night: date) -> Recall:
    """The agent recalls the night's first posted Sber register: its entries reversed."""
    with engine.connect() as conn:
        posted = [r for r in night_registers(conn, night) if r["channel"] == "sber"
                  and r["status"] == RegisterStatus.POSTED]  # fmt: skip
    register = posted[0]
    reverse_register(engine, int(register["register_id"]), "агент отозвал реестр: ошибка в суммах", night)
    return Recall(int(register["register_id"]), str(register["file"]), Path(register["stored_path"]))


def send_corrected(config: Config, recall: Recall | None) -> Path:
    """The agent's corrected copy of the recalled register in the inbox: other bytes, the same payments."""
    if recall is None:
        raise ValueError("no register was recalled")
    corrected = config.inbox / "sber" / f"corrected-{recall.file}"
    shutil.copy(recall.stored_path, corrected)
    with corrected.open("ab") as f:
        f.write(b"\r\n")
    return corrected


CANCELLATION = """<?xml version="1.0" encoding="UTF-8"?>
<pay:importNotificationsOfOrderExecutionCancellationRequest \
xmlns:pay="http://dom.gosuslugi.ru/schema/integration/payment/" \
xmlns:pb="http://dom.gosuslugi.ru/schema/integration/payments-base/" \
xmlns:base="http://dom.gosuslugi.ru/schema/integration/base/" base:version="10.0.1.1" Id="cancel-{day:%Y%m%d}">
  <pay:NotificationOfOrderExecutionCancellation>
    <pb:OrderID>{order}</pb:OrderID>
    <pb:CancellationDate>{day:%Y-%m-%d}</pb:CancellationDate>
    <pb:Comment>Сведения загружены ошибочно</pb:Comment>
    <base:TransportGUID>6f1c2a4e-0b7d-4c59-9a53-{day:%Y%m%d}0001</base:TransportGUID>
  </pay:NotificationOfOrderExecutionCancellation>
</pay:importNotificationsOfOrderExecutionCancellationRequest>
"""


def cancel_gis_payment(config: Config, engine: Engine, orders: list[str], on: date) -> str:
    """A cancellation file in the gis inbox for the second posted payment of ``orders`` (notified on
    an earlier day; the first is the refunded one); returns its OrderID."""
    order, _ = gis_payments(engine, orders)[1]
    path = config.inbox / GIS / f"cancellation_{on:%Y%m%d}.xml"
    path.write_text(CANCELLATION.format(order=order, day=on), encoding="utf-8")
    return order
