"""Banks' service codes translated into the center's service names, and why a bank's split is not kept.

A bank that splits a payment by service names the services by its own codes ("1", "ХВС",
"5258-01"); the charges name them by the center's service names. Each channel may carry a map
(``channels.<name>.service_codes`` in the configuration): bank code → service name. A channel
without a map writes the service names themselves, and its codes are compared as they are. With a
map, the map is the channel's whole vocabulary: a code missing from it is unknown, even when it
happens to spell a service name, so that a new code of the bank is reported, not guessed.

The codes of a night are few: each channel's distinct codes are looked up once and the result is
spread back over the payments' service entries by their position.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from domain._vec import fmt_amounts

# Why one service entry of a payment kept the bank's split from being used.
NOT_IN_MAP = "нет в справочнике кодов канала"
NOT_ON_DOCUMENT = "нет в ПД"
BAD_AMOUNT = "сумма не читается или отрицательна"


def translate_codes(
    codes: np.ndarray, channels: np.ndarray | None, maps: Mapping[str, Mapping[str, str]] | None
) -> np.ndarray:
    """The center's service name of each bank ``code`` (object array, ``None`` where the code's
    channel has a map without it); ``channels[i]`` is the channel of ``codes[i]``. Codes of a channel
    without a map (or with no ``channels`` at all) are returned as they are."""
    names = np.asarray(codes, dtype=object).copy()
    if not maps or channels is None or not len(names):
        return names
    ch_idx, ch_names = pd.factorize(pd.Series(channels, dtype=object))
    for i, channel in enumerate(ch_names):  # the night's channels: a handful
        table = maps.get(channel)
        if not table:
            continue
        mine = np.flatnonzero(ch_idx == i)
        code_idx, distinct = pd.factorize(pd.Series(names[mine], dtype=object))
        looked = np.array([table.get(c) for c in distinct] + [None], dtype=object)  # each distinct code once
        names[mine] = looked[code_idx]  # -1 (no code) takes the trailing None
    return names


def ignored_split_details(
    row: np.ndarray,
    code: np.ndarray,
    name: np.ndarray,
    problem: np.ndarray,
    sums: np.ndarray,
    paid: np.ndarray,
) -> np.ndarray:
    """The Russian detail of each payment whose bank split was not kept, in order of ``row``.

    ``row``, ``code``, ``name``, ``problem``: the failing payments' service entries in row order —
    the payment, the bank's code, its translated name (None: not in the map) and the entry's problem
    (one of the module's reasons, or None for an entry that was fine); ``sums`` / ``paid``: per
    failing payment in ascending row order, the entries' sum (the payment's amount where an entry's
    amount is unreadable: then the sum means nothing) and the payment's amount.
    """
    bad = problem != None  # noqa: E711 - an elementwise test on an object array
    shown = pd.Series(code, dtype=object).fillna("без кода").astype(str)
    renamed = pd.Series(name, dtype=object).notna().to_numpy() & (name != code)
    shown = shown.where(~renamed, shown + " → " + pd.Series(name, dtype=object).astype(str))
    items = (shown + " (" + pd.Series(problem, dtype=object).astype(str) + "); ").to_numpy(dtype=object)
    payments = np.unique(row)
    out = np.full(len(payments), "", dtype=object)
    if bad.any():
        r = row[bad]
        starts = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
        joined = np.add.reduceat(items[bad], starts)  # string concatenation per payment, in C
        out[np.searchsorted(payments, r[starts])] = joined
    off = sums != paid
    if off.any():
        said, owed = fmt_amounts(sums[off]).to_numpy(dtype=object), fmt_amounts(paid[off]).to_numpy(dtype=object)
        out[off] += "суммы по услугам " + said + " ≠ платёж " + owed + "; "
    why = pd.Series(out, dtype=object).str[:-2].to_numpy(dtype=object)
    return "разбивка банка не применена, платёж расщеплён по строкам ПД: " + why
