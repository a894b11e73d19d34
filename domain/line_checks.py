"""What makes a register line not a payment, whatever the format it came in (docs/RULES.md).

Every register format (text, XLSX/XLS/DBF sheets, ГИС ЖКХ XML) reads its lines into the same
fields and then asks ``line_checks``: a line that names no account, УИП or ЕЛС (nor has a purpose
text to read them from) cannot be found a payer; an identifier longer than ``domain.limits``
allows is not one; a zero amount pays nothing. The answer is per check a mask over the lines with
its reason; a parser joins the reasons of a line (``reasons``) into the ``LineError`` it records
with the line number and raw text.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from domain.limits import MAX_ACCOUNT, MAX_OPERATION_ID, MAX_UIP

Check = tuple[np.ndarray, str]  # (per line: the check fails, the reason)
NO_IDENTIFIER = "no account, УИП or ЕЛС"
ZERO_AMOUNT = "amount is zero"


def _text(values: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> pa.Array | pa.ChunkedArray:
    return values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(values, pa.string())


def _mask(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=bool)


def _longer(values: pa.Array | pa.ChunkedArray, limit: int) -> np.ndarray:
    return _mask(pc.greater(pc.utf8_length(values), limit))


def line_checks(
    *,
    account: pa.Array | Sequence[str | None],
    uip: pa.Array | Sequence[str | None],
    els: pa.Array | Sequence[str | None],
    amount: np.ndarray,
    has_amount: np.ndarray,
    operation_id: pa.Array | Sequence[str | None] | None = None,
    operation_id_name: str = "operation id",
    require_identifier: bool = True,
    purpose: pa.Array | Sequence[str | None] | None = None,
) -> list[Check]:
    """The domain's checks of parsed lines, in the order their reasons are written.

    ``account``/``uip``/``els``: the identifiers as written, trimmed, null when absent;
    ``amount``: kopecks (any value where ``has_amount`` is False: that is the format's own
    complaint); ``operation_id``: the file's own ids when the format has them (``None``: it has
    none, the parser makes them up), named ``operation_id_name`` in the reason;
    ``require_identifier``: reject a line naming no account, УИП or ЕЛС (off only for ГИС ЖКХ,
    see ``parsers.gis_frame``); ``purpose``: the line's purpose text where the format has one (null
    when absent): a line naming no identifier but a purpose is kept, its purpose read for them when
    the night is decided (docs/RULES.md, the rule ``purpose``).
    """
    account, uip, els = _text(account), _text(uip), _text(els)
    none = pc.and_(pc.and_(pc.is_null(account), pc.is_null(uip)), pc.is_null(els))
    if purpose is not None:
        none = pc.and_(none, pc.is_null(_text(purpose)))
    checks: list[Check] = [(_mask(none), NO_IDENTIFIER)] if require_identifier else []
    checks += [
        (_longer(account, MAX_ACCOUNT), f"account longer than {MAX_ACCOUNT} characters"),
        (_longer(uip, MAX_UIP), f"УИП longer than {MAX_UIP} characters"),
        (np.asarray(has_amount, dtype=bool) & (np.asarray(amount) == 0), ZERO_AMOUNT),
    ]
    if operation_id is not None:
        op = _longer(_text(operation_id), MAX_OPERATION_ID)
        checks.append((op, f"{operation_id_name} longer than {MAX_OPERATION_ID}"))
    return checks


def reasons(checks: Sequence[Check], n: int) -> np.ndarray:
    """Per line, the reasons of its failed checks joined by ``"; "`` (``""``: none failed)."""
    out = np.full(n, "", dtype=object)
    for mask, label in checks:
        for i in np.flatnonzero(mask):
            out[i] = f"{out[i]}; {label}" if out[i] else label
    return out
