"""The online payment service's register: ``|``-separated text with a header row and no control totals.

Layout (``parsers/dialects/pipe_header.yaml``): UTF-8, LF, the header
``date|operation|account|uip|fio|address|period|amount|commission|method``, then one payment a line:
``dd.mm.yyyy``, the service's operation id (``A-00000001``), the account as the payer typed it, the
receipt's УИП when the payer scanned the QR code (most do), the payer and the address as on the
receipt, the period ``mm.yyyy`` and the amount and commission, typed either way (``1 250,50`` or
``1250.50``, per line), and how the payer paid (``synthetic.methods``: the service's app, autopay,
its widgets on the supplier's site, the УК's cabinet and the center's site). No time and no footer:
the service sends no control totals, so its п/п is found by the register named in its purpose and
the amount.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa

from synthetic._text import encode_lines, grouped, join, money, where
from synthetic.methods import online_methods
from synthetic.payments import Plan
from synthetic.sber import RegisterFile
from synthetic.world import World

HEADER = "date|operation|account|uip|fio|address|period|amount|commission|method"
QR_SHARE = 0.85  # payments made by scanning the receipt carry its УИП


def write_pipe(path: Path, plan: Plan, rows: np.ndarray, world: World, *, channel: str, op_day: date,
               commission: np.ndarray, rng: np.random.Generator, register_no: str) -> RegisterFile:  # fmt: skip
    """Write the ``|`` register of ``rows`` for ``channel``."""
    n = len(rows)
    idx = pa.array(rows)
    doc = plan.doc[rows]
    qr = (doc >= 0) & (rng.random(n) < QR_SHARE)
    uip = where(qr, world.doc_uip.take(pa.array(np.maximum(doc, 0))), "")
    labels = ["", world.period.strftime("%m.%Y"), world.old_period.strftime("%m.%Y")]
    period = where(plan.period[rows] == 1, labels[2], where(plan.period[rows] == 0, labels[1], labels[0]))
    amount = plan.amount[rows]
    comm = commission[rows]
    typed = rng.random(n) < 0.5  # "1 250,50" as people type it, else "1250.50"
    sums = [where(typed, grouped(kopecks), money(kopecks)) for kopecks in (amount, comm)]
    body = join([op_day.strftime("%d.%m.%Y"), pa.array(plan.op[rows].tolist()), plan.account_raw.take(idx), uip,
                 plan.payer.take(idx), plan.address.take(idx), period, *sums, online_methods(rows)], "|")  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((HEADER + "\n").encode("utf-8") + encode_lines(body))
    return RegisterFile(path, channel, "text:pipe_header", rows, 2, int(amount.sum()), int(comm.sum()), register_no,
                        op_day, None, {})  # fmt: skip
