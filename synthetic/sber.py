"""Registers as files: the facts every writer reports, and the Sber classic text register.

Sber classic (docs/FORMATS.md, docs/DIALECTS.md): cp1251, ``;``, decimal comma, CRLF, 12 fields a line,
``date;time;branch;cashier;operation_id;account;payer;address;period;amount;transfer;commission``,
and a footer ``=count;total;transfer;commission;п/п number;п/п date``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthetic._text import encode_lines, join, money, pick, where, zfill
from synthetic.payments import Plan
from synthetic.world import World


@dataclass
class RegisterFile:
    """What a test needs to know about one written register."""

    path: Path
    channel: str
    format: str
    rows: np.ndarray  # plan rows in line order
    first_line: int  # line (or row, or notification ordinal) number of the first payment
    amount: int  # Σ of every payment line, kopecks
    commission: int
    register_no: str
    register_date: date
    payment_order: tuple[str, date] | None = None  # п/п number and date the register names
    declared: dict[str, object] = field(default_factory=dict)  # the footer/"Итого" as written

    @property
    def transfer(self) -> int:
        """What the agent pays for this register: amount − commission."""
        return self.amount - self.commission

    def line_of(self, row: int) -> int:
        """Line number of a plan row in this file."""
        return self.first_line + int(np.flatnonzero(self.rows == row)[0])


BRANCH = "5230"


def cashiers(operation_ids: np.ndarray, branch: str = BRANCH, online: str = "SBOL") -> pa.Array:
    """Tellers (``5230099V``), self-service devices (``60234118``) and the online bank (``SBOL``).

    A function of the operation id, so a line sent twice is the same line twice.
    """
    op = np.asarray(operation_ids).astype(np.int64)
    u = (op * 2_654_435_761) % 1000
    teller = join([branch, zfill(op % 199 + 1, 3), "V"], "")
    device = zfill(60_000_000 + op % 1_000_000, 8)
    return where(u < 350, teller, where(u < 550, device, online))


def bank_address(address: pa.Array) -> pa.Array:
    """``г. Ипатово, ул. Ленина, д. 1, кв. 2`` as banks print it: ``Г ИПАТОВО УЛ ЛЕНИНА Д 1 КВ 2``."""
    plain = pc.replace_substring_regex(address, r"[.,]", "")
    return pc.utf8_upper(pc.replace_substring_regex(plain, r"\s+", " "))


def hms(seconds: np.ndarray, sep: str) -> pa.Array:
    """Times of day as ``hh-mm-ss`` (or with ``:``)."""
    s = np.asarray(seconds, dtype=np.int64)
    return join([zfill(s // 3600, 2), zfill(s // 60 % 60, 2), zfill(s % 60, 2)], sep)


def write_sber(path: Path, plan: Plan, rows: np.ndarray, world: World, *, op_day: date, commission: np.ndarray,
               rng: np.random.Generator, register_no: str, payment_order: tuple[str, date],
               footer_off: tuple[int, int] = (0, 0)) -> RegisterFile:  # fmt: skip
    """Write one Sber classic register of ``rows``; ``footer_off`` (count, kopecks) spoils its footer.

    The planted malformed row gets an impossible date (31 February): the line is rejected but its
    amount stays readable, so the register still ties.
    """
    idx = pa.array(rows)
    n = len(rows)
    periods = pick(["", world.period.strftime("%m%y"), world.old_period.strftime("%m%y")], plan.period[rows] + 1)
    day = op_day.strftime("%d-%m-%Y")
    bad = np.isin(rows, plan.defects.get("malformed", []))
    dates = where(bad, f"31-02-{op_day.year}", day)
    amount = plan.amount[rows]
    comm = commission[rows]
    ops = plan.op[rows]
    body = join([dates, hms(plan.seconds[rows], "-"), BRANCH, cashiers(ops), pa.array(ops.tolist()),
                 plan.account_raw.take(idx), pc.utf8_upper(plan.payer.take(idx)),
                 bank_address(plan.address.take(idx)), periods, money(amount, ","), money(amount - comm, ","),
                 money(comm, ",")], ";")  # fmt: skip
    total, fee = int(amount.sum()), int(comm.sum())
    declared = control_totals(n, total, fee, payment_order, footer_off)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(encode_lines(body, "cp1251", "\r\n") + (footer_line(declared) + "\r\n").encode("cp1251"))
    return RegisterFile(path, "sber", "text:sber_classic", rows, 1, total, fee, register_no, op_day,
                        payment_order, declared)  # fmt: skip


def control_totals(lines: int, total: int, fee: int, payment_order: tuple[str, date],
                   footer_off: tuple[int, int] = (0, 0)) -> dict[str, object]:  # fmt: skip
    """The footer's figures (kopecks) as the manifest records them; ``footer_off`` spoils count and sum."""
    count_off, amount_off = footer_off
    fee_off = amount_off // 100  # the spoilt footer keeps the 1 % look
    return {"count": lines + count_off, "amount": total + amount_off, "transfer": total - fee + amount_off - fee_off,
            "commission": fee + fee_off, "payment_order_number": payment_order[0],
            "payment_order_date": payment_order[1].isoformat()}  # fmt: skip


def footer_line(declared: dict[str, object]) -> str:
    """The Sber footer ``=count;amount;transfer;commission;п/п number;п/п date`` of ``control_totals``."""
    sums = money(np.array([declared[k] for k in ("amount", "transfer", "commission")]), ",").to_pylist()
    day = date.fromisoformat(str(declared["payment_order_date"]))
    return ";".join(["=" + str(declared["count"]), *sums, str(declared["payment_order_number"]), f"{day:%d-%m-%Y}"])
