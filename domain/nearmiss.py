"""Near-miss proposals for payments left in suspense: shown in the report, never posted.

Three reasons (docs/RULES.md, Matching):

- ``digit``: the payment's ЛС with one digit replaced is a known account;
- ``transposition``: the ЛС with two adjacent digits swapped is a known account;
- ``address``: a ПД has the same normalised address.

Blocking keeps the cost proportional to the (few) suspense payments rather than to all pairs: the
digit variants of each suspense account (at most 9 per digit plus one per adjacent pair) are
generated as fixed-width byte arrays and looked up in the hash index of known accounts; addresses
are joined on their normalised text. For a proposed account the ПД of the payment's period is
proposed when it exists, else the ПД(s) of the account's latest period.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from domain._vec import text
from domain.chargeindex import ChargeIndex, to_arrow
from domain.matching import documents

PROPOSAL_COLUMNS = ["payment_id", "uip", "account", "period", "reason"]
REASON_DIGIT = "digit"
REASON_TRANSPOSITION = "transposition"
REASON_ADDRESS = "address"

# Words that say what kind of place follows; they vary between banks and carry no identity.
_ADDRESS_NOISE = (
    r" (?:Г|ГОР|ГОРОД|П|ПОС|ПГТ|С|СЕЛО|Д|ДЕР|ДОМ|УЛ|УЛИЦА|ПР|ПРТ|ПРОСП|ПРОСПЕКТ|ПЕР|ПЕРЕУЛОК|"
    r"ПЛ|Ш|Б|БУЛ|БУЛЬВАР|НАБ|МКР|КВ|КВАРТИРА|К|КОРП|КОРПУС|СТР|СТРОЕНИЕ|ОБЛ|Р|РН|РАЙОН|РЕСП|КРАЙ) "
)


def normalize_address(addresses: pd.Series) -> pd.Series:
    """Comparable address text: upper case, Ё→Е, no punctuation or place-type words, single spaces.

    Vectorized with Arrow's RE2 (ПД addresses number in the hundreds of thousands). RE2 has no
    look-around and its ``\\b`` is ASCII-only, so place-type words are cut as whole space-delimited
    tokens, with every space doubled first so that neighbouring tokens do not share one.
    """
    return pd.Series(normalized_addresses(addresses).to_pylist(), index=getattr(addresses, "index", None), dtype=object)


def normalized_addresses(addresses: pd.Series) -> pa.Array:
    """``normalize_address`` as Arrow text, for a caller that stores the keys rather than compares
    them: a million ПД's keys as Python strings held ~100 MB more during the charges import."""
    s = to_arrow(addresses)
    s = pc.replace_substring(pc.utf8_upper(pc.fill_null(s, "")), "Ё", "Е")
    s = pc.replace_substring_regex(s, r"(\pL)(\pN)", r"\1 \2")  # "12А" and "Д5" are two tokens
    s = pc.replace_substring_regex(s, r"(\pN)(\pL)", r"\1 \2")
    s = pc.replace_substring_regex(s, r"[^\pL\pN]+", "  ")
    pad = pa.scalar("  ", pa.large_string())
    s = pc.binary_join_element_wise(pad, s, pad, pa.scalar("", pa.large_string()))
    s = pc.replace_substring_regex(s, _ADDRESS_NOISE, " ")
    return pc.utf8_trim_whitespace(pc.replace_substring_regex(s, r" +", " "))


def _docs_at(docs: pd.DataFrame, addresses: pd.Series, wanted: pd.Index) -> pd.DataFrame:
    """The ПД of ``docs`` whose normalised address is in ``wanted`` (the normal forms of
    ``addresses``), as ``address_key``, ``uip``, ``account``, ``period``.

    Normalising keeps the runs of digits as they are, so only ПД whose address has the same
    digits as some payment's can come out equal: they alone go through the six expressions.
    """
    digits_wanted = pc.unique(_digit_runs(addresses))
    maybe = pc.is_in(_digit_runs(docs["address"]), value_set=digits_wanted).to_numpy(zero_copy_only=False)
    key = pd.Series("", index=docs.index, dtype=object)
    key[maybe] = normalize_address(docs["address"][maybe]).to_numpy(dtype=object)
    near = key.isin(wanted).to_numpy()
    return pd.DataFrame({"address_key": key[near], **{c: docs[c][near] for c in ("uip", "account", "period")}})


def _digit_runs(addresses: pd.Series) -> pa.Array:
    """Each address's runs of ASCII digits, space-separated ("" when none): ``normalize_address``
    keeps them as they are, since it only upper-cases letters, splits letters from digits and
    turns everything else into spaces."""
    return pc.utf8_trim_whitespace(pc.replace_substring_regex(pc.fill_null(to_arrow(addresses), ""), r"[^0-9]+", " "))


def _variants(accounts: np.ndarray, owners: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All one-digit and adjacent-transposition variants of ASCII accounts: (owner, variant, reason)."""
    out_owner, out_value, out_reason = [], [], []
    lengths = pd.Series(accounts, dtype=object).str.len().to_numpy(dtype=np.int64)
    for length in np.unique(lengths):  # one pass per account length, never per account
        sel = lengths == length
        if length == 0:
            continue
        raw = "".join(accounts[sel]).encode("ascii")
        grid = np.frombuffer(raw, dtype=np.uint8).reshape(-1, length)
        who = owners[sel]
        is_digit = (grid >= ord("0")) & (grid <= ord("9"))
        for j in range(length):
            for d in range(ord("0"), ord("9") + 1):
                if j == 0 and d == ord("0"):
                    continue  # a normalised account never starts with 0
                keep = is_digit[:, j] & (grid[:, j] != d)
                v = grid[keep].copy()
                v[:, j] = d
                out_owner.append(who[keep])
                out_value.append(v)
                out_reason.append(np.full(keep.sum(), REASON_DIGIT, dtype=object))
            if j + 1 < length:
                keep = is_digit[:, j] & is_digit[:, j + 1] & (grid[:, j] != grid[:, j + 1])
                if j == 0:
                    keep &= grid[:, 1] != ord("0")
                v = grid[keep].copy()
                v[:, [j, j + 1]] = v[:, [j + 1, j]]
                out_owner.append(who[keep])
                out_value.append(v)
                out_reason.append(np.full(keep.sum(), REASON_TRANSPOSITION, dtype=object))
    if not out_owner:
        return np.empty(0, np.int64), np.empty(0, object), np.empty(0, object)
    values = np.concatenate([v.view(f"S{v.shape[1]}").ravel().astype(str) for v in out_value if len(v)] or [[]])
    return np.concatenate(out_owner), values.astype(object), np.concatenate(out_reason)


def propose_near_misses(
    payments: pd.DataFrame,
    charges: pd.DataFrame | ChargeIndex,
    *,
    limit: int = 5,
    address_docs: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Proposals for suspense payments: ``PROPOSAL_COLUMNS``, at most ``limit`` per payment and reason.

    ``payments``: the payments left in suspense with ``payment_id``, ``account``, ``period`` and
    ``address``. ``address_docs``: the ПД at the payments' addresses (``address_key``, the address
    in ``normalize_address`` form, ``uip``, ``account``, ``period``), where the caller has them
    stored in normal form; without it the addresses of ``charges`` are normalised here. The result
    is sorted (payment, reason, account, ПД) and independent of row order.
    """
    docs = documents(charges)
    pid = payments["payment_id"].to_numpy(dtype=np.int64)
    acc = text(payments["account"])
    period = text(payments["period"])
    ok = pd.Series(acc, dtype=object).str.fullmatch(r"[0-9A-Za-z]+").fillna(False).to_numpy(dtype=bool)
    owner, variant, reason = _variants(acc[ok].astype(str), np.flatnonzero(ok))
    known = pd.Index(pd.unique(pd.Series(text(docs["account"]), dtype=object).dropna()))
    hit = known.get_indexer(variant) >= 0
    cand = pd.DataFrame({"row": owner[hit], "account": variant[hit], "reason": reason[hit]})
    cand = cand.merge(docs[["uip", "account", "period"]], on="account", how="inner")

    # Same address: only payments that name one, and never the payment's own account.
    p_addr = normalize_address(payments["address"]).to_numpy(dtype=object)
    has_addr = p_addr != ""
    if has_addr.any():
        wanted = pd.Index(np.unique(p_addr[has_addr].astype(str)))
        if address_docs is None:
            address_docs = _docs_at(docs, payments["address"][has_addr], wanted)
        at = address_docs[address_docs["address_key"].isin(wanted)]
        by_addr = pd.DataFrame({"row": np.flatnonzero(has_addr), "addr": p_addr[has_addr]}).merge(
            pd.DataFrame(
                {
                    "addr": at["address_key"].to_numpy(dtype=object),
                    "uip": at["uip"].to_numpy(dtype=object),
                    "account": at["account"].to_numpy(dtype=object),
                    "period": at["period"].to_numpy(dtype=object),
                }
            ),
            on="addr",
        )
        by_addr = by_addr[by_addr["account"].to_numpy(dtype=object) != acc[by_addr["row"].to_numpy()]]
        by_addr = by_addr.drop(columns="addr").assign(reason=REASON_ADDRESS)
        cand = pd.concat([cand, by_addr[cand.columns]], ignore_index=True)

    if cand.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in PROPOSAL_COLUMNS}).astype({"payment_id": "int64"})
    # Per proposed account: the ПД of the payment's own period if any, else the latest period's.
    cand["want"] = period[cand["row"].to_numpy()]
    same = cand["period"].to_numpy(dtype=object) == cand["want"].to_numpy(dtype=object)
    cand["same"] = same
    grp = cand.groupby(["row", "reason", "account"], sort=False)
    any_same = grp["same"].transform("any").to_numpy(dtype=bool)
    latest = grp["period"].transform("max").to_numpy(dtype=object)
    keep = np.where(any_same, same, cand["period"].to_numpy(dtype=object) == latest)
    cand = cand[keep]
    cand = cand.assign(payment_id=pid[cand["row"].to_numpy()])
    cand = cand.sort_values(["payment_id", "reason", "account", "uip"], ignore_index=True)
    cand = cand.drop_duplicates(["payment_id", "reason", "uip"])
    cand = cand[cand.groupby(["payment_id", "reason"]).cumcount() < limit]
    return cand[PROPOSAL_COLUMNS].reset_index(drop=True)
