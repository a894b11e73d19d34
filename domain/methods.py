"""How the payer paid (способ оплаты): the methods the seed names, and reading them from a register.

Every payment carries one ``PaymentMethod``. A channel says where its registers write the method (a
column, a ``KEY:value`` field; docs/CONFIG.md «method») and maps the values it finds there to methods
(``MethodMap``): exact values, compared after ``fold`` (case, ё, runs of spaces), then patterns. A
line whose value is absent takes the channel's default, or ``qr`` when the line carries a receipt's QR
payload; a value the map does not know takes the same and is counted (``MethodResolution.unknown``),
never silently: the night reports it (UNKNOWN_METHOD, docs/RULES.md).

>>> spec = MethodMap(PaymentMethod.BANK_APP, {"касса": PaymentMethod.CASHIER})
>>> r = resolve_methods(["Касса", None, "почта"], spec, amounts=[100, 200, 300])
>>> list(r.methods), [(u.raw, u.count, u.amount) for u in r.unknown]
(['cashier', 'bank_app', 'bank_app'], [('почта', 1, 300)])
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


class PaymentMethod(StrEnum):
    """How a payment was made (``payment.method``; the database checks the same list)."""

    CASHIER = "cashier"  # a teller at the bank's or the agent's cash desk
    TERMINAL = "terminal"  # a self-service device: terminal, ATM
    BANK_APP = "bank_app"  # the bank's app or online cabinet
    AUTOPAY = "autopay"  # the bank's automatic payment (Автоплатёж)
    GIS = "gis"  # through ГИС ЖКХ
    GOSUSLUGI = "gosuslugi"  # through Госуслуги
    QR = "qr"  # by scanning the receipt's QR code
    REGIONAL_PORTAL = "regional_portal"  # the regional payment portal
    SUPPLIER_SITE = "supplier_site"  # the supplier's own site
    CENTER_SITE = "center_site"  # the settlement center's site
    UK_CABINET = "uk_cabinet"  # the managing company's (УК) cabinet
    DIRECT_TRANSFER = "direct_transfer"  # a bank transfer straight to the center's account


# What users read (reports, statements, the workbench); the code stays the identifier.
LABELS_RU: Mapping[PaymentMethod, str] = MappingProxyType({
    PaymentMethod.CASHIER: "Касса",
    PaymentMethod.TERMINAL: "Терминал",
    PaymentMethod.BANK_APP: "Приложение/кабинет банка",
    PaymentMethod.AUTOPAY: "Автоплатёж",
    PaymentMethod.GIS: "ГИС ЖКХ",
    PaymentMethod.GOSUSLUGI: "Госуслуги",
    PaymentMethod.QR: "QR-код",
    PaymentMethod.REGIONAL_PORTAL: "Региональный портал",
    PaymentMethod.SUPPLIER_SITE: "Сайт поставщика",
    PaymentMethod.CENTER_SITE: "Сайт РКЦ",
    PaymentMethod.UK_CABINET: "Кабинет УК",
    PaymentMethod.DIRECT_TRANSFER: "Перевод на счёт РКЦ",
})  # fmt: skip
NOT_STATED_RU = "Не указан"  # payments stored before methods were recorded
UNKNOWN_LISTED = 20  # distinct unknown values listed one by one per register; the rest in one line


def label_ru(method: object) -> str:
    """The Russian label of a method code (``NOT_STATED_RU`` for none, the code itself if unknown)."""
    if method is None or (isinstance(method, float) and method != method) or method is pd.NA:
        return NOT_STATED_RU
    try:
        return LABELS_RU[PaymentMethod(str(method))]
    except ValueError:
        return str(method)


def fold(value: str) -> str:
    """A raw value as ``MethodMap.values`` compares it: lower case, ё→е, single spaces, trimmed.

    >>> fold("  Сбербанк   ОНЛАЙН ")
    'сбербанк онлайн'
    """
    return re.sub(r"\s+", " ", value.lower().replace("ё", "е")).strip()


def _fold_column(values: pa.Array) -> pa.Array:
    out = pc.replace_substring(pc.utf8_lower(values), "ё", "е")
    out = pc.utf8_trim_whitespace(pc.replace_substring_regex(out, r"\s+", " "))
    return pc.if_else(pc.equal(out, ""), pa.scalar(None, pa.string()), out)


@dataclass(frozen=True)
class MethodMap:
    """One channel's reading of methods: ``default`` for a line that names none, ``values`` (folded
    raw value → method) and ``patterns`` (regular expression over the trimmed raw value, any case →
    method, tried in order after the exact values)."""

    default: PaymentMethod
    values: Mapping[str, PaymentMethod] = field(default_factory=dict)
    patterns: tuple[tuple[str, PaymentMethod], ...] = ()

    def __post_init__(self) -> None:
        folded = {fold(k): PaymentMethod(v) for k, v in self.values.items()}
        object.__setattr__(self, "values", MappingProxyType(folded))
        object.__setattr__(self, "default", PaymentMethod(self.default))
        for pattern, _ in self.patterns:
            re.compile(pattern)  # a wrong pattern fails here, where the configuration is read


@dataclass(frozen=True)
class UnknownMethod:
    """A raw method value of one register that the channel's map does not know: as written (its
    first spelling), on how many payments, for how much (kopecks), and what it was taken as."""

    raw: str
    count: int
    amount: int
    taken_as: PaymentMethod


@dataclass(frozen=True)
class MethodResolution:
    """Per payment its method (``PaymentMethod`` values, object array), and the unknown values."""

    methods: np.ndarray
    unknown: tuple[UnknownMethod, ...] = ()


def _array(values: pa.Array | pa.ChunkedArray | Sequence[str | None] | pd.Series) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    if isinstance(values, pa.Array):
        return values if values.type == pa.string() else pc.cast(values, pa.string())
    return pa.array(pd.Series(values, dtype=object).to_numpy(dtype=object), type=pa.string(), from_pandas=True)


def resolve_methods(
    raw: pa.Array | Sequence[str | None] | pd.Series,
    spec: MethodMap,
    *,
    has_qr: np.ndarray | None = None,
    amounts: np.ndarray | Sequence[int] | None = None,
) -> MethodResolution:
    """Each payment's method from its raw value (None: the line names none), column-wise.

    A value in ``spec.values`` (folded) or matching one of ``spec.patterns`` gives its method; any
    other line takes ``qr`` where ``has_qr`` (it carries a receipt's QR payload), else
    ``spec.default``. Values present but unknown are returned with their count and amount
    (``amounts`` in kopecks, 0 when not given), the most frequent first. The values are read once
    each (a register repeats a few hundred cashier ids over a million lines), then spread to the lines.
    """
    encoded = pc.dictionary_encode(_array(raw))
    uniq, at = encoded.dictionary, encoded.indices
    n = len(at)
    row_of = np.asarray(pc.fill_null(at, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    folded = _fold_column(uniq)
    u_method, u_known = _known_values(uniq, folded, spec)
    u_present = np.asarray(pc.is_valid(folded).to_numpy(zero_copy_only=False), dtype=bool)
    has = row_of >= 0
    known = np.zeros(n, dtype=bool)
    known[has] = u_known[row_of[has]]
    present = np.zeros(n, dtype=bool)
    present[has] = u_present[row_of[has]]
    qr = np.zeros(n, dtype=bool) if has_qr is None else np.asarray(has_qr, dtype=bool)
    methods = np.where(qr, PaymentMethod.QR.value, spec.default.value).astype(object)
    methods[known] = u_method[row_of[known]]
    unknown = present & ~known
    if not unknown.any():
        return MethodResolution(methods)
    trimmed = pc.utf8_trim_whitespace(uniq).to_numpy(zero_copy_only=False)
    keys = pd.factorize(folded.to_numpy(zero_copy_only=False))[0]  # spellings that fold alike are one value
    return MethodResolution(methods, _unknown(row_of, unknown, keys, trimmed, qr, amounts, spec.default))


def _known_values(uniq: pa.Array, folded: pa.Array, spec: MethodMap) -> tuple[np.ndarray, np.ndarray]:
    """Per distinct raw value its method (object, None when unknown) and whether the map knows it."""
    m = len(uniq)
    methods = np.full(m, None, dtype=object)
    known = np.zeros(m, dtype=bool)
    if spec.values and m:
        keys = pa.array(list(spec.values), pa.string())
        targets = np.array([spec.values[k].value for k in keys.to_pylist()], dtype=object)
        at = pc.index_in(folded, value_set=keys)
        found = np.asarray(pc.is_valid(at).to_numpy(zero_copy_only=False), dtype=bool)
        methods[found] = targets[pc.fill_null(at, 0).to_numpy()[found]]
        known |= found
    trimmed = pc.utf8_trim_whitespace(uniq)
    for pattern, method in spec.patterns:
        if known.all():
            break
        hit = pc.fill_null(pc.match_substring_regex(trimmed, pattern, ignore_case=True), False)
        take = np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool) & ~known
        methods[take] = method.value
        known |= take
    return methods, known


def _unknown(
    row_of: np.ndarray, mask: np.ndarray, keys: np.ndarray, trimmed: np.ndarray, qr: np.ndarray, amounts: object,
    default: PaymentMethod,
) -> tuple[UnknownMethod, ...]:  # fmt: skip
    """The unknown values of the lines in ``mask`` grouped by their folded form (``keys`` per distinct
    raw value) and what they were taken as, the most frequent first."""
    rows = np.flatnonzero(mask)
    kopecks = np.zeros(len(rows), dtype=np.int64) if amounts is None else np.asarray(amounts, dtype=np.int64)[rows]
    frame = pd.DataFrame({"key": keys[row_of[rows]], "qr": qr[rows], "value": row_of[rows], "amount": kopecks})
    groups = frame.groupby(["key", "qr"], sort=False).agg(value=("value", "first"), count=("value", "size"),
                                                          amount=("amount", "sum")).reset_index()  # fmt: skip
    groups["raw"] = trimmed[groups["value"].to_numpy()]
    groups = groups.sort_values(["count", "raw"], ascending=[False, True], kind="stable")
    return tuple(UnknownMethod(str(r.raw), int(r.count), int(r.amount), PaymentMethod.QR if r.qr else default)
                 for r in groups.itertuples())  # fmt: skip


def merge_unknown(found: Sequence[UnknownMethod]) -> tuple[UnknownMethod, ...]:
    """Unknown values found chunk by chunk as one list: the same value (folded) counted once, its
    first spelling kept, the most frequent first."""
    merged: dict[tuple[str, PaymentMethod], UnknownMethod] = {}
    for u in found:
        key = (fold(u.raw), u.taken_as)
        was = merged.get(key)
        merged[key] = u if was is None else UnknownMethod(was.raw, was.count + u.count, was.amount + u.amount,
                                                          u.taken_as)  # fmt: skip
    return tuple(sorted(merged.values(), key=lambda u: (-u.count, u.raw)))


def unknown_details(unknown: Sequence[UnknownMethod], limit: int = UNKNOWN_LISTED) -> list[tuple[str, int]]:
    """(Russian description, amount in kopecks) of each unknown value, the first ``limit`` one by one,
    the others in one line: what the report shows under UNKNOWN_METHOD."""
    out = [(f"способ оплаты «{u.raw}» не известен каналу: платежей {u.count}, учтены как «{label_ru(u.taken_as)}»",
            u.amount) for u in unknown[:limit]]  # fmt: skip
    rest = unknown[limit:]
    if rest:
        count = sum(u.count for u in rest)
        out.append((f"ещё {len(rest)} неизвестных значений способа оплаты: платежей {count}, учтены по умолчанию "
                    "канала", sum(u.amount for u in rest)))  # fmt: skip
    return out


BY_METHOD_COLUMNS = ["method", "payments", "amount"]


def by_method(methods: Sequence[object] | pd.Series, amounts: Sequence[int] | pd.Series) -> pd.DataFrame:
    """Payments and kopecks per method (``BY_METHOD_COLUMNS``), in the order of ``PaymentMethod``
    with payments stored without a method (None) last; only the methods present. The amounts sum
    to ``sum(amounts)``: every payment is in exactly one row."""
    # Codes by first appearance, counted and summed in NumPy: a group's methods are few, and turning
    # every payment's method into a Python object for a groupby cost ~0.5 µs a payment (statements).
    values = methods if isinstance(methods, pd.Series) else pd.Series(list(methods), dtype=object)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)  # missing (None, NaN, NA): -1
    kopecks = np.asarray(amounts, dtype=np.int64)
    if len(kopecks) != len(codes):
        raise ValueError(f"{len(codes)} methods for {len(kopecks)} amounts")
    names: list[object] = list(uniques)
    counts = np.bincount(codes[codes >= 0], minlength=len(names)).astype(np.int64)
    sums = np.zeros(len(names), dtype=np.int64)
    np.add.at(sums, codes[codes >= 0], kopecks[codes >= 0])  # integer kopecks: never through float
    missing = codes < 0
    if missing.any():
        names.append(None)
        counts = np.append(counts, np.int64(missing.sum()))
        sums = np.append(sums, kopecks[missing].sum(dtype=np.int64))
    grouped = pd.DataFrame({"method": pd.Series(names, dtype=object), "payments": counts, "amount": sums})
    return order_methods(grouped)


def order_methods(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` (with a ``method`` column) in the order of ``PaymentMethod``, unknown codes after the
    known ones and None (not stated) last."""
    rank = {m.value: i for i, m in enumerate(PaymentMethod)}
    method = rows["method"].astype(object)
    key = [rank.get(m, len(rank)) if m is not None and m == m else len(rank) + 1 for m in method]
    out = rows.assign(_rank=key).sort_values(["_rank"], kind="stable").drop(columns="_rank")
    out["method"] = out["method"].astype(object).where(out["method"].notna(), None)
    for column in ("payments", "amount", "posted", "suspense"):
        if column in out.columns:
            out[column] = out[column].astype("int64")
    return out.reset_index(drop=True)


NOT_STATED = "not_stated"  # run-summary.json's key for payments stored without a method


def summary_key(method: object) -> str:
    """A method's key in ``run-summary.json``'s ``by_method``: its code, ``not_stated`` for none."""
    return NOT_STATED if method is None or method != method else str(method)
