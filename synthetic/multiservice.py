"""The Sber multi-service text register: the classic line with the bank's split of the payment by service.

Layout (docs/FORMATS.md, ``parsers/dialects/sber_multiservice.yaml``): cp1251, ``;``, decimal comma,
CRLF; ``date;time;branch;cashier;operation_id;account;payer;address;period``, then one
``service;amount`` pair per service paid, then the payment's amount, transfer and commission; the
classic footer ``=count;amount;transfer;commission;п/п number;п/п date``.

The service names are those of the receipt's lines (the charges' ``service``), so the center can
post the bank's split as it is. The split follows the receipt: a full payment pays every line; a
partial one pays the lines in the receipt's order until the money runs out (the payer chose what
to pay; unpaid services are left out); an overpayment pays every line and puts the excess on the
first, the managing company's. The planted ``service_split`` line claims 1.00 more for its first
service than it was paid: its pairs do not add up to its amount and the line is rejected.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthetic._text import arr, encode_lines, join, money, pick
from synthetic.payments import Plan
from synthetic.sber import RegisterFile, bank_address, cashiers, control_totals, footer_line, hms
from synthetic.world import World

BRANCH = "3349"  # the paying bank's branch; its online bank is "ДБО"
SPLIT_ERROR = 100  # kopecks the planted line's first service claims too much


def service_pairs(world: World, doc: np.ndarray, amount: np.ndarray, spoil: np.ndarray) -> pa.Array:
    """Per payment, its ``service;amount`` pairs joined by ``;`` (see the module doc for the split).

    ``doc``: the ПД each payment pays; ``amount``: kopecks; ``spoil``: rows whose split must not add up.
    """
    count = np.bincount(world.line_doc, minlength=len(world.doc_acc))
    start = np.cumsum(count) - count
    order = np.argsort(world.line_doc, kind="stable")  # the receipt's lines, ПД by ПД, in printed order
    per = count[doc]
    row = np.repeat(np.arange(len(doc)), per)
    first = np.cumsum(per) - per
    pos = np.arange(len(row)) - first[row]
    line = order[start[doc][row] + pos]
    owed = world.line_amount[line]
    running = np.cumsum(owed) - owed
    before = running - running[first][row]  # owed by the payment's earlier lines
    paid = np.clip(amount[row] - before, 0, owed)
    head = pos == 0
    paid[head] += np.maximum(amount - world.doc_total[doc], 0) + np.where(spoil, SPLIT_ERROR, 0)
    keep = paid > 0
    pairs = join([world.line_service.take(pa.array(line[keep])), money(paid[keep], ",")], ";")
    offsets = np.concatenate([[0], np.cumsum(np.bincount(row[keep], minlength=len(doc)))])
    return arr(pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pairs), ";"))


def write_multiservice(path: Path, plan: Plan, rows: np.ndarray, world: World, *, channel: str, op_day: date,
                       commission: np.ndarray, register_no: str,
                       payment_order: tuple[str, date]) -> RegisterFile:  # fmt: skip
    """Write the multi-service register of ``rows`` (payments of known ПД only) for ``channel``."""
    doc = plan.doc[rows]
    if (doc < 0).any():
        raise ValueError("a multi-service line needs the receipt's services: unknown accounts go to other channels")
    idx = pa.array(rows)
    amount = plan.amount[rows]
    comm = commission[rows]
    ops = plan.op[rows]
    periods = pick(["", world.period.strftime("%m%y"), world.old_period.strftime("%m%y")], plan.period[rows] + 1)
    spoil = np.isin(rows, plan.defects.get("service_split", []))
    body = join([op_day.strftime("%d-%m-%Y"), hms(plan.seconds[rows], "-"), BRANCH,
                 cashiers(ops, BRANCH, "ДБО"), pa.array(ops.tolist()), plan.account_raw.take(idx),
                 pc.utf8_upper(plan.payer.take(idx)), bank_address(plan.address.take(idx)), periods,
                 service_pairs(world, doc, amount, spoil), money(amount, ","), money(amount - comm, ","),
                 money(comm, ",")], ";")  # fmt: skip
    total, fee = int(amount.sum()), int(comm.sum())
    declared = control_totals(len(rows), total, fee, payment_order)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(encode_lines(body, "cp1251", "\r\n") + (footer_line(declared) + "\r\n").encode("cp1251"))
    return RegisterFile(path, channel, "text:sber_multiservice", rows, 1, total, fee, register_no, op_day,
                        payment_order, declared)  # fmt: skip
