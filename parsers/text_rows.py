"""Data lines of a text register to a payment frame and line errors, column-wise with pyarrow.

Lines are split once; lines of the same field count are read together (a multi-service file has
a few widths), every field is normalised as a whole column (``parsers.text_columns``) and each
check yields a mask. Only the rejected lines are visited one by one, to write their reasons.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from domain.identifiers import account as account_id
from domain.line_checks import line_checks
from domain.money import register_spelling
from domain.money_vec import kopecks_column
from domain.qr_lines import (
    PayloadFindings,
    fill_from_payloads,
    payload_findings,
    read_line_payloads,
    rejection_notes,
)
from domain.records import LineError, conform_payments, synthetic_operation_id
from parsers import text_columns as tc
from parsers.dialect import Dialect
from parsers.text_layout import Layout, amount_at, split
from parsers.text_layout import mask as _mask

CONTROLS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"


def obj(values: np.ndarray) -> pd.Series:
    """An object column (pandas would infer its ``str`` dtype, and NaN for None, from strings)."""
    return pd.Series(values, dtype=object)


def _read_fields(
    layout: Layout, lines: pa.Array, lists: pa.Array, n: np.ndarray, cut: np.ndarray, ok: np.ndarray
) -> tuple[dict, np.ndarray, list]:
    """Field columns (trimmed, null when empty) of the lines with a valid shape, grouped by width.

    Returns the fields, the row order they come in (indices into ``lines``) and, per width group,
    the service pairs as (rows, code columns, amount columns) for multi-service dialects.
    """
    d = layout.dialect
    parts: dict[str, list[pa.Array]] = {k: [] for k in (*layout.columns, *layout.keys)}
    order: list[np.ndarray] = []
    services: list[tuple[int, list[pa.Array], list[pa.Array]]] = []
    shape = n * 2 + cut  # lines of one group share the width and the dropped trailing separator
    for key_value in np.unique(shape[ok]):
        width = int(key_value) // 2
        in_group = ok & (shape == key_value)
        if in_group.all():
            sel, group_lists, sub = np.arange(len(n)), lists, lines
        else:
            sel = np.flatnonzero(in_group)
            index = pa.array(sel)
            group_lists, sub = lists.take(index), lines.take(index)
        for key, col in layout.columns.items():
            at = col - 1 if col > 0 else width + col
            ref = d.fields[key]
            parts[key].append(tc.part_of(tc.trimmed(pc.list_element(group_lists, at)), ref.slice, ref.regex))
        for key, prefix in layout.keys.items():
            sep = re.escape(d.separator)
            pattern = rf"(?i)(?:^|{sep})\s*{re.escape(prefix)}(?P<v>[^{sep}]*)"
            parts[key].append(tc.trimmed(pc.struct_field(pc.extract_regex(sub, pattern), [0])))
        if d.services is not None:
            k = (width - d.services.after_column - d.services.trailing_columns) // 2
            first = d.services.after_column
            codes = [tc.trimmed(pc.list_element(group_lists, first + 2 * j)) for j in range(k)]
            amounts = [tc.trimmed(pc.list_element(group_lists, first + 2 * j + 1)) for j in range(k)]
            services.append((len(sel), codes, amounts))
        order.append(sel)
    fields = {k: pa.concat_arrays(v) if v else pa.array([], pa.string()) for k, v in parts.items()}
    return fields, (np.concatenate(order) if order else np.zeros(0, np.int64)), services


def _services(d: Dialect, groups: list) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Per row: the services tuples, their kopeck sum (-1 when a pair is unreadable) and a bad mask."""
    if d.services is None:
        return None, np.zeros(0, np.int64), np.zeros(0, bool)
    tuples, sums, bad = [], [], []
    for rows, codes, amounts in groups:
        kop = [kopecks_column(a, register_spelling(d.decimal, d.amount_unit)) for a in amounts]
        broken = np.zeros(rows, dtype=bool)
        total = np.zeros(rows, dtype=np.int64)
        for c, k in zip(codes, kop, strict=True):
            broken |= _mask(pc.is_null(c)) | _mask(pc.is_null(k))
            total += pc.fill_null(k, 0).to_numpy()
        # Per pair position, the (code, kopecks) of every row; then per row, its pairs in order.
        pairs = [list(zip(c.to_pylist(), k.to_pylist(), strict=True)) for c, k in zip(codes, kop, strict=True)]
        tuples += list(zip(*pairs, strict=True))
        sums.append(total)
        bad.append(broken)
    out = np.empty(len(tuples), dtype=object)
    for i, pairs_of_row in enumerate(tuples):  # element-wise: numpy would make equal-length tuples 2-D
        out[i] = pairs_of_row
    if not groups:
        return out, np.zeros(0, np.int64), np.zeros(0, bool)
    return out, np.concatenate(sums), np.concatenate(bad)


def _money(d: Dialect, get: Callable[[str], pa.Array], key: str) -> tuple[pa.Array, np.ndarray]:
    """A money field in kopecks (null: unreadable) and, per line, whether the line gives it at all.

    A field the dialect sums (``commission: {sum: [7, 8]}``) is the exact kopeck sum of its parts,
    given when any part is, and unreadable when any part is missing or unreadable."""
    parts = d.sums.get(key)
    if parts is None:
        return kopecks_column(get(key), register_spelling(d.decimal, d.amount_unit)), _mask(pc.is_valid(get(key)))
    total, given = None, None
    for part in parts:
        kop = kopecks_column(get(part), register_spelling(d.decimal, d.amount_unit))
        total = kop if total is None else pc.add(total, kop)  # a null part makes the sum null
        given = pc.is_valid(get(part)) if given is None else pc.or_(given, pc.is_valid(get(part)))
    return total, _mask(given)


def fill_from_qr(
    f: dict[str, pa.Array], get: Callable[[str], pa.Array], period: pa.Array, amt: np.ndarray, has_amt: np.ndarray
) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Fill ``f``'s account and УИП, and the period, from the lines' QR payloads where the line has
    none; return the period and, per line, the payload's finding (code, Russian detail) or None."""
    payloads = read_line_payloads(f["qr"])
    findings = payload_findings(payloads, amount=amt, has_amount=has_amt, account=get("account"), uip=get("uip"))
    if payloads.readable.any():
        f["account"] = fill_from_payloads(get("account"), payloads.account)
        f["uip"] = fill_from_payloads(get("uip"), payloads.uip)
        period = pc.coalesce(period, payloads.period)
    return period, findings.code, findings.detail


def group_ids(pick: Callable[[pa.Array], pa.Array], parts: list[pa.Array]) -> np.ndarray:
    """The operation id shared by the lines of one payment: derived from its ``group_by`` fields."""
    joined = pc.binary_join_element_wise(*[pc.fill_null(pick(p), "") for p in parts], "\x1f")
    return np.array([synthetic_operation_id(v) for v in joined.to_pylist()], dtype=object)


def parse_rows(
    d: Dialect, layout: Layout, file: str, lines: pa.Array, line_no: np.ndarray, forced: dict[int, str],
    controls: bool = True, values: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, list[LineError]]:  # fmt: skip
    """Payments (``PAYMENT_COLUMNS``) and the rejected lines among ``lines`` (numbered ``line_no``);
    ``values``: fields given once for the file (``file_values``), for the lines that leave them empty."""
    lists, n, cut = split(layout, lines)
    shaped = layout.valid(n)
    errors = []
    for i in np.flatnonzero(~shaped):
        reason = f"expected {layout.width_text()} fields, found {int(n[i])}"
        if int(line_no[i]) in forced:
            reason = f"{forced[int(line_no[i])]}; {reason}"
        raw = lines[int(i)].as_py()
        # The amount at its configured place, when readable, still counts in the rejected amount.
        readable = amount_at(layout, raw, lists[int(i)].as_py()[: int(n[i])])
        errors.append(LineError(file, int(line_no[i]), reason, raw, readable))
    f, order, service_groups = _read_fields(layout, lines, lists, n, cut, shaped)
    # Everything below is in ``order`` (rows grouped by width); sorted back at the end.
    if len(order) != len(lines):
        lines, line_no = lines.take(pa.array(order, pa.int64())), line_no[order]
    else:
        line_no = line_no[order]
        if not (order[1:] > order[:-1]).all():
            lines = lines.take(pa.array(order, pa.int64()))
    rows = len(order)
    none = pa.nulls(rows, pa.string())
    get = lambda key: f.get(key, none)  # noqa: E731
    values = values or {}
    for key, value in values.items():
        f[key] = pc.coalesce(get(key), pa.scalar(value, pa.string()))
    services, svc_sum, svc_bad = _services(d, service_groups)
    if "period_month" in f:
        period = tc.periods_from_columns(f["period_month"], f["period_year"])
        if "period" in values:
            period = pc.coalesce(period, tc.periods(pa.array([values["period"]]), d.period_formats)[0])
    else:
        period = tc.periods(get("period"), d.period_formats)
    meters = None
    if d.meters is not None:
        meters = tc.meter_readings(lines, d.separator, d.meters.value_key, d.meters.id_key)
    has_total = "amount" in f or "amount" in d.sums
    if has_total:
        amount, _ = _money(d, get, "amount")
    else:  # no total column: the pairs are the payment
        amount = pa.array(np.where(svc_bad, 0, svc_sum), pa.int64(), mask=svc_bad)
    transfer, given_tr = _money(d, get, "transfer_amount")
    commission, given_com = _money(d, get, "commission")
    paid_date = tc.dates(get("date"), d.date_formats)
    paid_time = tc.times(get("time"), d.time_formats)
    amt = pc.fill_null(amount, 0).to_numpy()
    tr = pc.fill_null(transfer, 0).to_numpy()
    com = pc.fill_null(commission, 0).to_numpy()
    has_amt, has_tr, has_com = (_mask(pc.is_valid(a)) for a in (amount, transfer, commission))
    # Commission: the column, else what the bank kept (amount − transfer), else NA.
    com_out = np.where(has_com, com, amt - tr)
    com_known = has_com | (has_tr & has_amt)
    qr_flag = qr_detail = None
    if "qr" in f:  # a receipt's QR payload gives the identifiers the line lacks (domain/qr_lines.py)
        period, qr_flag, qr_detail = fill_from_qr(f, get, period, amt, has_amt)
    ids = [get(k) for k in ("account", "uip", "els")]

    def _part(key: str) -> str:
        return f" (a sum of {len(d.sums[key])} columns: a part is missing or unreadable)" if key in d.sums else ""

    checks: list[tuple[np.ndarray, str]] = [
        (_mask(pc.is_null(paid_date)), "date missing or unreadable"),
        (_mask(pc.is_valid(get("time"))) & _mask(pc.is_null(paid_time)), "time unreadable"),
        *line_checks(account=ids[0], uip=ids[1], els=ids[2], amount=amt, has_amount=has_amt,
                     operation_id=get("operation_id") if "operation_id" in d.fields else None),
        (~has_amt, "amount missing or unreadable" + _part("amount")),
        (given_tr & ~has_tr, "transfer amount unreadable" + _part("transfer_amount")),
        (given_com & ~has_com, "commission unreadable" + _part("commission")),
        (has_amt & com_known & ((com_out < 0) | (com_out > amt)), "commission or transfer exceeds the amount"),
        (has_amt & has_tr & has_com & (amt - com != tr), "amount − commission ≠ transfer amount"),
    ]  # fmt: skip
    if controls:  # the caller found control characters somewhere in the block
        checks.append((_mask(pc.match_substring_regex(lines, CONTROLS)), "control characters in the line"))
    if "operation_id" in d.fields:
        op = get("operation_id")
        checks.append((_mask(pc.is_null(op)), "operation id missing"))
    if "service_code" in f:  # one service a line (group_by): the line's amount is the service's
        checks.append((_mask(pc.is_null(f["service_code"])), "service code missing"))
        services = np.empty(rows, dtype=object)
        for i, pair in enumerate(zip(f["service_code"].to_pylist(), amt.tolist(), strict=True)):
            services[i] = (pair,)  # element-wise: numpy would make the tuples a 2-D array
    if services is not None and d.services is not None:
        checks.append((svc_bad, "a service code or amount is missing or unreadable"))
        if has_total:
            checks.append((has_amt & ~svc_bad & (svc_sum != amt), "service amounts do not add up to the amount"))
    forced_rows = np.zeros(rows, dtype=bool)
    if forced:
        forced_rows = np.isin(line_no, np.fromiter(forced, np.int64, len(forced)))
    bad = forced_rows.copy()
    for mask, _ in checks:
        bad |= mask
    notes = rejection_notes(None if qr_flag is None else PayloadFindings(qr_flag, qr_detail), rows)
    for i in np.flatnonzero(bad):
        reasons = [forced[int(line_no[i])]] if forced_rows[i] else []
        reasons += [label for mask, label in checks if mask[i]] + ([notes[i]] if notes[i] else [])
        readable = int(amt[i]) if has_amt[i] else None
        errors.append(LineError(file, int(line_no[i]), "; ".join(reasons), lines[int(i)].as_py(), readable))
    good = ~bad
    keep = pa.array(good)
    sort = np.argsort(line_no[good], kind="stable")
    identity = bool(good.all()) and bool((sort[1:] > sort[:-1]).all())
    take = pa.array(sort, pa.int64())

    def pick(values: pa.Array) -> pa.Array:
        return values if identity else values.filter(keep).take(take)

    def col(values: pa.Array) -> pd.Series:
        return obj(tc.objects(pick(values)))

    raw = tc.objects(pick(lines))
    # Dialects without operation ids get synthetic ones from the parser, in file order; lines of one
    # payment (group_by) share an id made of their group's fields.
    if d.group_by and d.group_by != ("operation_id",):
        op_ids = obj(group_ids(pick, [get(k) for k in d.group_by]))
    else:
        op_ids = col(get("operation_id")) if "operation_id" in d.fields else obj(np.full(len(raw), None))
    account_raw = pick(get("account"))
    frame = pd.DataFrame(
        {
            "line_no": line_no[good][sort],
            "raw": obj(raw),
            "operation_id": op_ids,
            "paid_date": col(paid_date),
            "paid_time": col(paid_time),
            "account_raw": obj(tc.objects(account_raw)),
            "account": obj(tc.objects(account_id.compact_column(account_raw))),
            "uip": col(get("uip")),
            "els": col(get("els")),
            "period": col(period),
            "amount": amt[good][sort],
            "commission": pd.arrays.IntegerArray(com_out[good][sort], ~com_known[good][sort]),
            "payer": col(get("payer")),
            "address": col(get("address")),
            "supplier_inn": col(get("supplier_inn")),
            "services": obj(services[good][sort] if services is not None else np.full(len(raw), None)),
            "meters": obj(meters[good][sort] if meters is not None else np.full(len(raw), None)),
            "method_raw": col(get("method")),
            "qr": col(get("qr")),
            "qr_flag": obj(qr_flag[good][sort] if qr_flag is not None else np.full(len(raw), None)),
            "qr_detail": obj(qr_detail[good][sort] if qr_detail is not None else np.full(len(raw), None)),
        },
        copy=False,
    )
    errors.sort(key=lambda e: e.line_no)
    return conform_payments(frame), errors
