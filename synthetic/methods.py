"""How the generated day's payers paid: the method cells of the registers that write one, and the
receipt's QR payload (ГОСТ Р 56042) where the payer scanned it.

Every method of the seed comes out of a generated day: the direct transfer is the payers' own п/п
of the statement (``synthetic.payers``, the default of channel ``direct``); Sber's and the
multi-service bank's cashier column tells a teller (cashier), a device (terminal) and the online
bank (bank_app); ГИС ЖКХ is its channel's default; the online service
writes a method column (its app, autopay, the payment widgets of the supplier's site, the УК's
cabinet and the center's site); the regional portal writes «Способ оплаты» (the portal itself,
Госуслуги, a QR scan) and, for a scan, the scanned payload. The configuration that reads them is
in ``rkc/default_config.yaml`` (``method`` of each channel).

A row's method is a function of its plan row (no draw from the day's random generator, so the
other files of a seed stay as they were), shares below.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthetic._text import join, nums, pick, where
from synthetic.payments import FULL, Plan
from synthetic.world import World

# The online service's method column: its word -> share (per mille) of its payments.
ONLINE_METHODS = (("APP", 350), ("AUTOPAY", 200), ("SITE_SUPPLIER", 150), ("LK_UK", 150), ("SITE_RKC", 150))
# The portal's «Способ оплаты»: the portal itself, Госуслуги, a QR scan (written, or left empty
# when the row carries the payload: the payload says it).
PORTAL_METHODS = (("Региональный портал", 450), ("Госуслуги", 300), ("QR-код", 125), ("", 125))
QR_CUT_EVERY = 40  # one scanned payload in this many arrives cut short (QR_UNREADABLE)
QR_ONLY_SHARE = 500  # per mille of the scanned rows whose ЛС cell is empty: the payload names it


def _hash(rows: np.ndarray, salt: int) -> np.ndarray:
    """A number 0…999 per plan row, stable for a seed (Knuth's multiplicative hash)."""
    return (np.asarray(rows, dtype=np.int64) * 2_654_435_761 + salt) % 1_000_003 % 1000


def _choose(rows: np.ndarray, table: tuple[tuple[str, int], ...], salt: int) -> np.ndarray:
    """Per row the index into ``table`` by its shares (per mille)."""
    bounds = np.cumsum([share for _, share in table])
    return np.searchsorted(bounds, _hash(rows, salt), side="right")


def online_methods(rows: np.ndarray) -> pa.Array:
    """The online service's method column of ``rows``."""
    return pick([word for word, _ in ONLINE_METHODS], _choose(rows, ONLINE_METHODS, 17))


def _payload(center: dict[str, str], world: World, plan: Plan, rows: np.ndarray) -> pa.Array:
    """The receipt's QR payload (``domain.qr.compose``'s layout, column-wise) of each row's ПД: the
    center as payee, the ЛС as printed, the ПД's period, its total, its ИПД in UIN when it has one."""
    docs = np.maximum(plan.doc[rows], 0)
    period = pick([world.period.strftime("%m%Y"), world.old_period.strftime("%m%Y")], world.doc_old[docs])
    uip = world.doc_uip.take(pa.array(docs))
    uin = where(np.asarray(pc.equal(pc.utf8_length(uip), 18)), join(["|UIN=", uip], ""), "")
    payee = f"|PayeeINN={center['inn']}" if center["inn"] else ""
    head = (f"ST00012|Name={center['name']}|PersonalAcc={center['account']}|BankName={center['bank_name']}"
            f"|BIC={center['bic']}|CorrespAcc={center['corresp_account']}{payee}|PersAcc=")  # fmt: skip
    return join([head, plan.account_raw.take(pa.array(rows)), "|PaymPeriod=", period, "|Sum=",
                 nums(world.doc_total[docs]), "|Purpose=Оплата ЖКУ|Category=ЖКУ|TechCode=02", uin], "")  # fmt: skip


def portal_methods(
    rows: np.ndarray, plan: Plan, world: World, center: dict[str, str], defects: set[int]
) -> tuple[pa.Array, pa.Array, np.ndarray]:
    """The portal's «Способ оплаты» and «QR-код» cells of ``rows``, and which rows leave their ЛС cell
    empty (the payload names it). Only ordinary payments of a known ПД with a period are scanned;
    a planted defect row never is (its defect is another). The payload's Sum is the ПД's total, so a
    partial or over payment by QR reads as QR_MISMATCH; one payload in ``QR_CUT_EVERY`` is cut short."""
    choice = _choose(rows, PORTAL_METHODS, 29)
    scannable = (plan.doc[rows] >= 0) & (plan.period[rows] >= 0) & ~np.isin(rows, list(defects))
    scanned = scannable & (choice >= 2)
    choice = np.where(~scannable & (choice >= 2), 0, choice)  # not scannable: paid on the portal itself
    methods = pick([word for word, _ in PORTAL_METHODS], choice)
    payload = _payload(center, world, plan, rows)
    cut = scanned & (_hash(rows, 41) % QR_CUT_EVERY == 0)
    payload = where(cut, pc.utf8_slice_codeunits(payload, 0, 30), payload)
    only = scanned & ~cut & (plan.kind[rows] == FULL) & (_hash(rows, 53) < QR_ONLY_SHARE)
    return methods, where(scanned, payload, ""), only


def center_requisites(name: str, account: str, bic: str, inn: str, bank_name: str, corresp: str) -> dict[str, str]:
    """The payee of the generated receipts' QR codes (the center of rkc.yaml), every mandatory requisite
    filled (a configuration without a bank name or correspondent account still gets a readable payload)."""
    return {"name": name or "РКЦ", "account": account, "bic": bic, "inn": inn or "", "bank_name": bank_name or "Банк",
            "corresp_account": corresp or "0"}  # fmt: skip
