"""The settlement center's standing data: suppliers, accounts (лицевые счета) and their ПД.

Everything is drawn from one ``numpy.random.Generator`` in a fixed order, so one seed always gives
the same world. Accounts and charges are built as arrays (no per-account Python loop): a 300,000
account center takes well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from domain.identifiers import bank_account, inn
from synthetic import names
from synthetic._text import arr, encode_lines, join, money, nums, pick, where, zfill

# Accounts' compact numbers stay below this bound: unknown accounts are drawn above it.
ACCOUNT_LIMIT = 8_000_000_000
IPD_SHARE = 0.3  # share of accounts whose ПД carry a ГИС ЖКХ ИПД as their УИП
OLD_PERIOD_SHARE = 0.15  # share of accounts that still have an unpaid ПД of the month before
CHARGES_SLICE = 1 << 20  # service lines written to charges.csv at a time
_ELS_LETTERS = "АБВГДЕЖИКЛМНПРСТ"


@dataclass(frozen=True)
class World:
    """Suppliers, accounts and charges of the synthetic center: arrow strings and numpy numbers."""

    suppliers: pd.DataFrame  # inn, name, kpp, bank_account, bic, email, kind, fee terms (a few rows)
    account_raw: pa.Array  # ЛС as printed on the receipt (some zero-padded)
    account: pa.Array  # ЛС compact
    payer: pa.Array
    address: pa.Array
    els: pa.Array  # ЕЛС or "" for accounts outside ГИС ЖКХ
    doc_uip: pa.Array  # per ПД: its УИП
    doc_acc: np.ndarray  # per ПД: its account (row)
    doc_old: np.ndarray  # per ПД: True for the month before the billing period
    doc_total: np.ndarray  # per ПД: kopecks
    line_doc: np.ndarray  # per service line: its ПД
    line_supplier: np.ndarray  # per service line: row in ``suppliers``
    line_service: pa.Array
    line_amount: np.ndarray  # kopecks
    period: date  # the billing period (first day): the month before the run date
    old_period: date

    def doc_period(self, doc: np.ndarray) -> np.ndarray:
        """``YYYY-MM`` of each ПД in ``doc`` (object array)."""
        labels = np.array([self.period.strftime("%Y-%m"), self.old_period.strftime("%Y-%m")], dtype=object)
        return labels[self.doc_old[doc].astype(np.int64)]


def month_before(day: date) -> date:
    """The first day of the month before ``day``'s month."""
    return date(day.year - 1, 12, 1) if day.month == 1 else date(day.year, day.month - 1, 1)


def _valid_inn(rng: np.random.Generator, region: str, used: set[str]) -> str:
    while True:
        base = region + "".join(str(d) for d in rng.integers(0, 10, 9 - len(region)))
        value = base + inn.calc_check_digits(base)
        if value not in used:
            used.add(value)
            return value


def make_suppliers(rng: np.random.Generator, accounts: int) -> pd.DataFrame:
    """6 to 20 suppliers by the size of the center: managing companies plus the resource suppliers."""
    total = int(np.clip(6 + accounts // 25_000, 6, 20))
    others = names.OTHER_SUPPLIERS[: 5 if total == 6 else 6]
    n_uk = total - len(others)
    rows, used = [], set()
    specs = [("uk", *names.UK_NAMES[i % len(names.UK_NAMES)], i // len(names.UK_NAMES)) for i in range(n_uk)]
    specs += [(kind, name, mail, 0) for kind, name, mail, _ in others]
    for kind, name, mail, repeat in specs:
        value = _valid_inn(rng, "26" + ("08" if kind == "uk" else "34"), used)
        bic = names.BANKS[int(rng.integers(len(names.BANKS)))][0]
        raw = "407028100" + "".join(str(d) for d in rng.integers(0, 10, 11))
        suffix = f"-{repeat + 1}" if repeat else ""
        rows.append({"inn": value, "name": name.replace("»", f"{suffix}»") if suffix else name,
                     "kpp": value[:4] + "01001", "bank_account": bank_account.with_key(raw, bic), "bic": bic,
                     "email": f"buh@{mail}{suffix}.ru", "kind": kind,
                     **dict(zip(names.FEE_COLUMNS, names.FEE_TERMS[kind], strict=True))})  # fmt: skip
    return pd.DataFrame(rows)


def _people(rng: np.random.Generator, n: int) -> pa.Array:
    female = rng.random(n) < 0.55
    s_i = rng.integers(0, len(names.SURNAMES), n)
    sur = where(female, pick(names.FEMALE_SURNAMES, s_i), pick(names.SURNAMES, s_i))
    first = where(female, pick(names.FEMALE_NAMES, rng.integers(0, len(names.FEMALE_NAMES), n)),
                  pick(names.MALE_NAMES, rng.integers(0, len(names.MALE_NAMES), n)))  # fmt: skip
    p_i = rng.integers(0, len(names.MALE_PATRONYMICS), n)
    pat = where(female, pick(names.FEMALE_PATRONYMICS, p_i), pick(names.MALE_PATRONYMICS, p_i))
    return join([sur, first, pat], " ")


def _addresses(rng: np.random.Generator, n: int) -> tuple[pa.Array, np.ndarray]:
    """Addresses and the house of each account; single-account houses are private (no flat)."""
    houses = max(1, n // 25)
    settle = rng.choice(len(names.SETTLEMENTS), size=houses, p=names.SETTLEMENT_WEIGHTS)
    street = rng.integers(0, len(names.STREETS), houses)
    letter = where(rng.random(houses) < 0.08, "А", "")
    number = join([nums(rng.integers(1, 140, houses)), letter], "")
    house_text = join([pick(names.SETTLEMENTS, settle), pick(names.STREETS, street), join(["д.", number], " ")], ", ")
    house = rng.integers(0, houses, n)
    flat = pd.Series(house).groupby(house).cumcount().to_numpy() + 1
    size = np.bincount(house, minlength=houses)[house]
    text = house_text.take(pa.array(house))
    return where(size > 1, join([text, nums(flat)], ", кв. "), text), house


def make_accounts(rng: np.random.Generator, n: int) -> dict[str, object]:
    """``n`` accounts: printed numbers (some zero-padded to 10 or 12 digits), payers, addresses, ЕЛС."""
    step = max(1, min(1000, (ACCOUNT_LIMIT - 10_000_000) // max(n, 1)))
    numbers = rng.permutation(10_000_000 + np.cumsum(rng.integers(1, step + 1, n)))
    style = rng.random(n)
    compact = nums(numbers)
    raw = where(style < 0.45, zfill(numbers, 12), where(style < 0.6, zfill(numbers, 10), compact))
    address, house = _addresses(rng, n)
    ipd = rng.random(n) < IPD_SHARE
    ipd[np.flatnonzero(ipd)[900_000:]] = False  # ЕЛС serials are 6 digits: keep them unique
    serial = np.zeros(n, dtype=np.int64)
    serial[ipd] = rng.choice(1_000_000, size=int(ipd.sum()), replace=False)
    letters = rng.integers(0, len(_ELS_LETTERS), (n, 2))
    els = join(["26", pick(tuple(_ELS_LETTERS), letters[:, 0]), pick(tuple(_ELS_LETTERS), letters[:, 1]),
                zfill(serial, 6)], "")  # fmt: skip
    return {"account_raw": raw, "account": compact, "payer": _people(rng, n), "address": address,
            "els": where(ipd, els, ""), "house": house}  # fmt: skip


def make_world(rng: np.random.Generator, suppliers: pd.DataFrame, accounts: dict[str, object],
               period: date) -> World:  # fmt: skip
    """One ПД per account for ``period`` and, for some, one for the month before; 2–5 lines each,
    every line owed to a different supplier (the managing company first)."""
    house = np.asarray(accounts["house"])
    n = len(house)
    uk_rows = np.flatnonzero(suppliers["kind"].to_numpy() == "uk")
    other_rows = np.flatnonzero(suppliers["kind"].to_numpy() != "uk")
    kinds = suppliers["kind"].to_numpy()[other_rows]
    services = {kind: svc for kind, _, _, svc in names.OTHER_SUPPLIERS}
    extra = rng.integers(1, 5, n)  # lines besides the managing company's: 1..4, so 2..5 lines
    order = np.argsort(rng.random((n, len(other_rows))), axis=1)  # a random order of the other kinds
    per = 1 + extra
    acc_i = np.repeat(np.arange(n), per)
    pos = np.arange(len(acc_i)) - np.repeat(np.cumsum(per) - per, per)
    is_uk = pos == 0
    kind_i = order[acc_i, np.maximum(pos - 1, 0)]
    supplier = np.where(is_uk, uk_rows[house[acc_i] % len(uk_rows)], other_rows[kind_i])
    catalogue = [names.UK_SERVICES[0]] + [services[k][j % len(services[k])] for k in kinds for j in range(2)]
    svc_i = np.where(is_uk, 0, 1 + kind_i * 2 + rng.integers(0, 2, len(acc_i)))
    ranges = np.array([names.SERVICE_RUBLES[s] for s in catalogue], dtype=np.int64) * 100
    amount = rng.integers(ranges[svc_i, 0], ranges[svc_i, 1])

    has_old = rng.random(n) < OLD_PERIOD_SHARE
    old_acc = np.flatnonzero(has_old)
    old_doc = np.full(n, -1)
    old_doc[old_acc] = n + np.arange(len(old_acc))
    copy = has_old[acc_i]  # the old ПД repeats the account's services with other amounts
    line_doc = np.concatenate([acc_i, old_doc[acc_i[copy]]])
    line_svc = np.concatenate([svc_i, svc_i[copy]])
    line_amount = np.concatenate([amount, rng.integers(ranges[svc_i[copy], 0], ranges[svc_i[copy], 1])])
    doc_acc = np.concatenate([np.arange(n), old_acc])
    doc_old = np.arange(len(doc_acc)) >= n
    total = np.zeros(len(doc_acc), dtype=np.int64)
    np.add.at(total, line_doc, line_amount)
    old = month_before(period)
    world = World(
        suppliers=suppliers, account_raw=accounts["account_raw"], account=accounts["account"],
        payer=accounts["payer"], address=accounts["address"], els=accounts["els"], doc_uip=pa.array([], pa.string()),
        doc_acc=doc_acc, doc_old=doc_old, doc_total=total, line_doc=line_doc,
        line_supplier=np.concatenate([supplier, supplier[copy]]), line_service=pick(catalogue, line_svc),
        line_amount=line_amount, period=period, old_period=old,
    )  # fmt: skip
    return _with_uips(world)


def _with_uips(world: World) -> World:
    """УИП of each ПД: the ИПД ``ЕЛС-01-MMYY`` (18 characters) where the account has an ЕЛС, else a
    20-digit house key: the account to 12 digits, ``YYYYMM`` and the document number ``01``."""
    acc = pa.array(world.doc_acc)
    els = world.els.take(acc)
    mmyy = where(world.doc_old, world.old_period.strftime("%m%y"), world.period.strftime("%m%y"))
    yyyymm = where(world.doc_old, world.old_period.strftime("%Y%m"), world.period.strftime("%Y%m"))
    ipd = join([els, "01", mmyy], "-")
    house = join([pc.utf8_lpad(world.account.take(acc), 12, "0"), yyyymm, "01"], "")
    uip = where(np.asarray(pc.equal(els, "")), house, ipd)
    return World(**{**world.__dict__, "doc_uip": uip})


def write_suppliers(path: Path, suppliers: pd.DataFrame) -> None:
    """``suppliers.csv``: ``inn;name;kpp;bank_account;bic;email;fee_percent;fee_min;fee_max;fee_services``,
    UTF-8 (the fee terms by the supplier's kind, ``names.FEE_TERMS``)."""
    cols = ["inn", "name", "kpp", "bank_account", "bic", "email", *names.FEE_COLUMNS]
    body = join([arr(suppliers[c].astype(str).tolist()) for c in cols], ";")
    path.write_bytes((";".join(cols) + "\n").encode("utf-8") + encode_lines(body))


def write_charges(path: Path, world: World, *, encoding: str, decimal: str) -> None:
    """``charges.csv``: one row per service line, ``uip;account;period;supplier_inn;service;amount;payer;address``."""
    header = "uip;account;period;supplier_inn;service;amount;payer;address\n".encode(encoding)
    with path.open("wb") as out:
        out.write(header)
        # A slice of lines at a time: an Arrow string array holds at most 2 GiB, and 3M accounts'
        # export is ~2.5 GB.
        for start in range(0, len(world.line_doc), CHARGES_SLICE):
            lines = slice(start, start + CHARGES_SLICE)
            doc = world.line_doc[lines]
            d, a = pa.array(doc), pa.array(world.doc_acc[doc])
            period = where(world.doc_old[doc], world.old_period.strftime("%Y-%m"), world.period.strftime("%Y-%m"))
            body = join([world.doc_uip.take(d), world.account_raw.take(a), period,
                         pick(world.suppliers["inn"].tolist(), world.line_supplier[lines]),
                         world.line_service[lines], money(world.line_amount[lines], decimal),
                         world.payer.take(a), world.address.take(a)], ";")  # fmt: skip
            out.write(encode_lines(body, encoding))
