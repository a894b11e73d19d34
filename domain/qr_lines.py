"""Receipt QR payloads carried by register lines (ГОСТ Р 56042-2014), read column-wise.

A bank or portal that took a payment by scanning the receipt may write the scanned text on the
register line (a column or a ``KEY:value`` field, docs/DIALECTS.md «qr»). ``read_line_payloads``
reads the requisites that identify the payer from every such payload at once: PersAcc (the ЛС), UIN
(the УИП, or the ГИС ЖКХ ИПД that printed receipts put there), PaymPeriod (``MMYYYY``, ``MM.YYYY``,
``MMYY`` or ``YYYY-MM``) and Sum (kopecks). Only the lines that carry a payload are read; well-formed
``|`` payloads column-wise (split at ``|`` and at the first ``=``, the keys compared once each), the
few others one by one by ``domain.qr.parse``, which reads any separator and says why a payload is
no payment. A payload's own requisites of the payee (the center's account,
БИК) are not judged here: they do not tell whose money it is.

``fill_from_payloads`` gives each line the identifiers it lacks; ``payload_findings`` judges a
payload against its line (docs/RULES.md «QR codes on register lines»): QR_UNREADABLE when it cannot
be read, QR_MISMATCH when its Sum, ЛС or УИП differs from the line's. The line is a payment either
way, identified by what it and its payload name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from domain.codes import Code
from domain.identifiers import account as account_id
from domain.money import format_ru
from domain.qr import MANDATORY, QrError, parse

_NONE = pa.scalar(None, pa.string())


def _period(values: pa.Array) -> pa.Array:
    """PaymPeriod as ``YYYY-MM``: ``MMYYYY``, ``MM.YYYY`` (``MM/YYYY``), ``MMYY``, ``YYYY-MM``; null otherwise."""
    out = pa.nulls(len(values), pa.string())
    for pattern, year, month in ((r"^(?P<m>\d{2})[./-]?(?P<y>\d{4})$", "y", "m"),
                                 (r"^(?P<y>\d{4})-(?P<m>\d{2})$", "y", "m"),
                                 (r"^(?P<m>\d{2})(?P<yy>\d{2})$", "yy", "m")):  # fmt: skip
        found = pc.extract_regex(values, pattern)
        names = [found.type.field(i).name for i in range(found.type.num_fields)]
        y = pc.struct_field(found, [names.index(year)])
        m = pc.struct_field(found, [names.index(month)])
        if year == "yy":
            y = pc.binary_join_element_wise("20", y, "")
        ok = pc.fill_null(pc.and_(pc.greater_equal(m, "01"), pc.less_equal(m, "12")), False)
        out = pc.coalesce(out, pc.if_else(ok, pc.binary_join_element_wise(y, m, "-"), _NONE))
    return out


@dataclass(frozen=True)
class LinePayloads:
    """What the payloads of ``n`` lines name (null where a line has none, or it says nothing there):
    ``account`` (PersAcc as written), ``uip`` (UIN, "0" read as none), ``period`` (``YYYY-MM``),
    ``sum`` (kopecks), and ``error`` (why a payload present cannot be read; Russian)."""

    present: np.ndarray  # bool: the line carries a payload
    account: pa.Array
    uip: pa.Array
    period: pa.Array
    sum: pa.Array  # int64
    error: pa.Array

    @property
    def readable(self) -> np.ndarray:
        """The lines whose payload was read."""
        return self.present & np.asarray(pc.is_null(self.error).to_numpy(zero_copy_only=False), dtype=bool)


def _text(values: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        values = pa.array(list(values), pa.string())
    trimmed = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.fill_null(pc.equal(trimmed, ""), True), _NONE, trimmed)


def _requisites(text: pa.Array, keys: Sequence[str]) -> tuple[dict[str, pa.Array], np.ndarray]:
    """The trimmed value of each of ``keys`` (any letter case; null when absent or empty) in each
    payload, and which payloads have the well-formed ``|`` shape (an ``ST0001N`` header, then only
    ``Key=Value`` fields). Every payload is split once, at ``|`` and then at the first ``=``; no
    regular expression runs over the fields (a million payloads hold some fifteen million)."""
    n = len(text)
    parts = pc.split_pattern(text, "|")
    fields = pc.list_flatten(parts)
    parent = np.asarray(pc.list_parent_indices(parts).to_numpy(zero_copy_only=False), dtype=np.int64)
    starts = np.asarray(parts.offsets.to_numpy(zero_copy_only=False), dtype=np.int64)
    pairs = pc.split_pattern(fields, "=", max_splits=1)
    halves = pc.list_flatten(pairs)
    at = np.asarray(pairs.offsets.to_numpy(zero_copy_only=False), dtype=np.int64)[:-1]
    paired = np.asarray(pc.list_value_length(pairs).to_numpy(zero_copy_only=False), dtype=np.int64) == 2
    key = pc.utf8_lower(pc.utf8_trim_whitespace(halves.take(pa.array(at))))
    value = pc.utf8_trim_whitespace(halves.take(pa.array(np.where(paired, at + 1, at))))
    value = pc.if_else(pa.array(paired), value, _NONE)
    blank = np.asarray(pc.equal(pc.utf8_trim_whitespace(fields), "").to_numpy(zero_copy_only=False), dtype=bool)
    keyed = paired & ~np.asarray(pc.equal(key, "").to_numpy(zero_copy_only=False), dtype=bool)
    first = np.zeros(len(fields), dtype=bool)
    first[starts[:-1]] = True  # every payload present has at least one field
    header = np.asarray(pc.fill_null(pc.match_substring_regex(fields.take(pa.array(starts[:-1])),
                                                              r"(?i)^\s*ST0001\d\s*$"), False)
                        .to_numpy(zero_copy_only=False), dtype=bool)  # fmt: skip
    well_formed = header.copy()
    well_formed[parent[~first & ~keyed & ~blank]] = False
    names = pc.dictionary_encode(key)  # a dozen distinct keys over all the fields
    code = np.asarray(pc.fill_null(names.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    known = {name: i for i, name in enumerate(names.dictionary.to_pylist())}
    out = {}
    for wanted in keys:
        hit = np.flatnonzero(code == known.get(wanted.lower(), -2))
        pos = np.full(n, -1, dtype=np.int64)
        pos[parent[hit][::-1]] = hit[::-1]  # a key given twice: the first value
        picked = value.take(pa.array(pos, mask=pos < 0))
        out[wanted] = pc.if_else(pc.fill_null(pc.equal(picked, ""), True), _NONE, picked)
    return out, well_formed


def read_line_payloads(payloads: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> LinePayloads:
    """Read the QR payload of every line that carries one (null or empty: none), see the module doc.
    Only the lines that carry one are read; the others get nulls."""
    text = _text(payloads)
    n = len(text)
    present = np.asarray(pc.is_valid(text).to_numpy(zero_copy_only=False), dtype=bool)
    rows = np.flatnonzero(present)
    read = _read_present(text.take(pa.array(rows)))
    back = np.full(n, -1, dtype=np.int64)
    back[rows] = np.arange(len(rows))
    spread = pa.array(back, mask=back < 0)
    return LinePayloads(present, *(read[k].take(spread) for k in ("account", "uip", "period", "sum", "error")))


def _read_present(text: pa.Array) -> dict[str, pa.Array]:
    """``read_line_payloads`` of payloads all present: account, uip, period (``YYYY-MM``), sum, error."""
    values, fast = _requisites(text, (*MANDATORY, "PersAcc", "UIN", "PaymPeriod", "Sum"))
    error = pa.nulls(len(text), pa.string())
    gaps = pc.binary_join_element_wise(
        *[pc.if_else(pc.is_null(values[key]), pa.scalar(key), pa.scalar("")) for key in MANDATORY], ",")  # fmt: skip
    gaps = pc.utf8_trim(pc.replace_substring_regex(gaps, ",+", ", "), ", ")
    error = pc.if_else(pc.not_equal(gaps, ""), pc.binary_join_element_wise("нет обязательных реквизитов: ", gaps, ""),
                       error)  # fmt: skip
    total = values["Sum"]
    bad_sum = pc.and_(pc.is_valid(total), pc.invert(pc.match_substring_regex(total, r"^\d{1,15}$")))
    error = pc.coalesce(error, pc.if_else(bad_sum, pa.scalar("Sum не целое число копеек"), _NONE))
    kopecks = pc.cast(pc.if_else(bad_sum, _NONE, total), pa.int64())
    arrays = {"account": values["PersAcc"], "uip": values["UIN"], "period": values["PaymPeriod"], "sum": kopecks,
              "error": error}  # fmt: skip
    slow = np.flatnonzero(~fast)
    if len(slow):  # another separator, a field without "=", no header: domain.qr reads it or says why
        arrays = _read_slowly(text, slow, arrays)
    uip = arrays["uip"]
    uip = pc.if_else(pc.fill_null(pc.equal(pc.utf8_trim(uip, "0"), ""), False), _NONE, uip)  # "0": no УИН
    unread = pc.is_valid(arrays["error"])  # a payload that could not be read names nothing
    keep = {k: pc.if_else(unread, pa.scalar(None, v.type), v) for k, v in
            (("account", arrays["account"]), ("uip", uip), ("period", arrays["period"]), ("sum", arrays["sum"]))}
    return {**keep, "period": _period(keep["period"]), "error": arrays["error"]}


def _read_slowly(text: pa.Array, rows: np.ndarray, arrays: dict[str, pa.Array]) -> dict[str, pa.Array]:
    """The ``rows`` of ``text`` read by ``domain.qr.parse``, written over ``arrays``."""
    values = {k: v.to_pylist() for k, v in arrays.items()}
    for i in rows:
        payload = text[int(i)].as_py()
        try:
            qr = parse(payload, check_identifiers=False)
        except QrError as exc:
            values["error"][i] = _reason_ru(str(exc))
            continue
        values["account"][i], values["uip"][i], values["period"][i] = qr.pers_acc, qr.uin, qr.paym_period
        values["sum"][i] = qr.sum_kopecks
        values["error"][i] = None
    return {k: pa.array(v, arrays[k].type) for k, v in values.items()}


# domain.qr's reasons (English, for logs and the command line) as the accountants read them.
_REASONS_RU = (
    ("not a ГОСТ Р 56042 payload (no ST0001 header)", "нет заголовка ST0001"),
    ("no field separator after the ST0001 header", "нет разделителя после заголовка ST0001"),
    ("field without Key=Value form", "поле не вида Ключ=Значение"),
    ("mandatory fields missing or empty", "нет обязательных реквизитов"),
    ("Sum is not a whole number of kopecks", "Sum не целое число копеек"),
)


def _reason_ru(reason: str) -> str:
    for english, russian in _REASONS_RU:
        if reason.startswith(english):
            return russian + reason[len(english):]
    return f"не по ГОСТ Р 56042 ({reason})"


def fill_from_payloads(
    line: pa.Array | Sequence[str | None], from_payload: pa.Array
) -> pa.Array:
    """The line's own value where it has one, else the payload's (identifiers the line lacks)."""
    return pc.coalesce(_text(line), from_payload)


@dataclass(frozen=True)
class PayloadFindings:
    """Per line the discrepancy code of its payload (``Code`` value, null: none) and its Russian detail."""

    code: np.ndarray  # object: None or a ``Code`` value
    detail: np.ndarray  # object: None or text


def payload_findings(
    payloads: LinePayloads, *, amount: np.ndarray, has_amount: np.ndarray,
    account: pa.Array | Sequence[str | None], uip: pa.Array | Sequence[str | None],
) -> PayloadFindings:  # fmt: skip
    """Judge each payload against its line's own amount (kopecks), ЛС and УИП as the line wrote them
    (before the payload filled them): QR_UNREADABLE, else QR_MISMATCH naming what differs."""
    n = len(payloads.present)
    code = np.full(n, None, dtype=object)
    detail = np.full(n, None, dtype=object)
    unread = payloads.present & ~payloads.readable
    if unread.any():
        code[unread] = Code.QR_UNREADABLE.value
        detail[unread] = ["QR-код не прочитан: " + e for e in payloads.error.filter(pa.array(unread)).to_pylist()]
    readable = payloads.readable
    if not readable.any():
        return PayloadFindings(code, detail)
    qr_sum = pc.fill_null(payloads.sum, -1).to_numpy()
    amounts = np.asarray(amount, dtype=np.int64)
    sums = readable & (qr_sum >= 0) & np.asarray(has_amount, dtype=bool) & (qr_sum != amounts)
    own_account, qr_account = account_id.compact_column(_text(account)), account_id.compact_column(payloads.account)
    accounts = readable & _differ(own_account, qr_account)
    uips = readable & _differ(pc.utf8_upper(_text(uip)), pc.utf8_upper(payloads.uip))
    for i in np.flatnonzero(sums | accounts | uips):
        parts = []
        if sums[i]:
            parts.append(f"сумма в QR-коде {format_ru(int(qr_sum[i]))} ≠ сумма платежа {format_ru(int(amounts[i]))}")
        if accounts[i]:
            parts.append(f"ЛС в QR-коде {payloads.account[int(i)].as_py()} ≠ ЛС строки {_at(account, i)}")
        if uips[i]:
            parts.append(f"УИП в QR-коде {payloads.uip[int(i)].as_py()} ≠ УИП строки {_at(uip, i)}")
        code[i] = Code.QR_MISMATCH.value
        detail[i] = "; ".join(parts)
    return PayloadFindings(code, detail)


def _differ(own: pa.Array, other: pa.Array) -> np.ndarray:
    """Both present and not equal."""
    return np.asarray(pc.fill_null(pc.not_equal(own, other), False).to_numpy(zero_copy_only=False), dtype=bool)


def _at(values: pa.Array | Sequence[str | None], i: int) -> str:
    value = values[int(i)]
    return str(value.as_py() if isinstance(value, pa.Scalar) else value).strip()


def rejection_notes(findings: PayloadFindings | None, n: int) -> np.ndarray:
    """Per line what a rejection's reason adds about its payload: the QR_UNREADABLE detail ("" for the
    other lines), so that a line rejected for naming no payer says its payload could not be read."""
    out = np.full(n, "", dtype=object)
    if findings is not None:
        unread = findings.code == Code.QR_UNREADABLE.value
        out[unread] = findings.detail[unread]
    return out
