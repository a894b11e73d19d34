"""The night's decisions over every register read: control totals, duplicates, matching,
cross-channel copies, splitting, commission, near misses.

All registers of the night are decided together (a cross-channel copy may sit in another file)
but nothing is written to the ledger here: the outcome of every payment goes to Parquet files in
the work directory, and posting then takes them register by register.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from domain.chargeindex import ChargeIndex
from domain.commission import check_commission
from domain.duplicates import cross_channel_duplicates, mark_duplicates, number_occurrences
from domain.matching import MATCHED, match_payments
from domain.nearmiss import propose_near_misses
from domain.records import LineError
from domain.splitting import split_payments
from domain.totals import check_register_totals
from rkc.config import Config
from rkc.intake import PARSED, Intake, read_errors, read_payments, write_payments
from sql.queries import load_charges, posted_keys, previous_payments

FLAG_COLUMNS = ["payment_id", "code", "detail"]


@dataclass(frozen=True)
class NightPlan:
    """Where the night's decisions are (JSON-able), and which registers are quarantined why."""

    payments_path: str
    parts_path: str
    flags_path: str
    proposals_path: str
    quarantined: dict[str, str]  # sha256 -> reason

    def to_dict(self) -> dict:
        """Plain dict for passing between tasks."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> NightPlan:
        """Inverse of ``to_dict``."""
        return cls(**data)


def decide_night(config: Config, engine: Engine, intakes: list[Intake], work_dir: Path) -> NightPlan:
    """Decide the outcome of every payment of the night's parsed registers."""
    parsed = [i for i in intakes if i.status == PARSED]
    frames, quarantined = [], {}
    for key, intake in enumerate(parsed):
        payments = read_payments(intake.payments_path)
        errors = read_errors(intake.errors_path)
        check = check_register_totals(payments, _line_errors(intake, errors), intake.declared_totals())
        if not check.ok:
            quarantined[intake.sha256] = check.reason
        frames.append(payments.assign(sha256=intake.sha256, register_key=key, channel=intake.channel))
    payments = pd.concat(frames, ignore_index=True) if frames else _empty_night()
    payments["payment_id"] = np.arange(len(payments), dtype="int64")
    payments["occurrence"] = number_occurrences(payments, file_column="register_key")
    payments["outcome"] = np.where(payments["sha256"].isin(quarantined), "quarantined", "suspense")
    payments["matched_uip"] = None
    payments["match_rule"] = None

    live = payments[payments["outcome"] != "quarantined"]
    with engine.connect() as conn:
        charges = load_charges(conn)
        known = posted_keys(conn, live[["channel", "operation_id", "occurrence"]])
        previous = previous_payments(conn, sorted(set(live["paid_date"].dropna().astype(str))))
    dup_flags = mark_duplicates(live.rename(columns={"register_key": "register_id"}), posted=known)
    live = live[~live["payment_id"].isin(dup_flags["payment_id"])]

    index = ChargeIndex.build(charges)  # hashed once, shared by matching, splitting and near misses
    matched = match_payments(live, index)
    m = matched.matches.set_index("payment_id")
    own_uip = live.set_index("payment_id")["uip"]
    cross_input = live.assign(uip=live["payment_id"].map(m["uip"]).fillna(live["payment_id"].map(own_uip)))
    priority = [c.name for c in sorted(config.channels.values(), key=lambda c: (c.priority, c.name))]
    cross_flags = cross_channel_duplicates(cross_input, previous=previous, priority=priority)
    live = live[~live["payment_id"].isin(cross_flags["payment_id"])]

    ok = m.loc[live["payment_id"]]
    is_matched = (ok["status"] == MATCHED).to_numpy()
    winners = live.loc[is_matched, ["payment_id", "amount", "services"]].assign(
        uip=ok.loc[is_matched, "uip"].to_numpy()
    )
    split = split_payments(winners, index)
    tariffs = {c.name: c.tariff for c in config.channels.values()}
    commission_flags = check_commission(live, tariffs)
    suspense = live.loc[~is_matched]
    proposals = propose_near_misses(suspense, index)

    ids = payments.set_index("payment_id").index
    dup_ids = pd.concat([dup_flags["payment_id"], cross_flags["payment_id"]])
    payments.loc[ids.isin(dup_ids), "outcome"] = "duplicate"
    won = ids.isin(winners["payment_id"])
    payments.loc[won, "outcome"] = "posted"
    payments.loc[won, "matched_uip"] = payments.loc[won, "payment_id"].map(m["uip"])
    payments.loc[won, "match_rule"] = payments.loc[won, "payment_id"].map(m["rule"])
    live_ids = set(live["payment_id"])
    match_flags = matched.flags[matched.flags["payment_id"].isin(live_ids)]
    flags = pd.concat([dup_flags, cross_flags, match_flags, split.flags, commission_flags], ignore_index=True)[
        FLAG_COLUMNS
    ]

    work_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: work_dir / f"night.{name}.parquet" for name in ("payments", "parts", "flags", "proposals")}
    write_payments(payments, paths["payments"])
    split.parts.to_parquet(paths["parts"], index=False)
    flags.astype({"code": str, "detail": str}).to_parquet(paths["flags"], index=False)
    proposals.to_parquet(paths["proposals"], index=False)
    return NightPlan(
        str(paths["payments"]), str(paths["parts"]), str(paths["flags"]), str(paths["proposals"]), quarantined
    )


def _line_errors(intake: Intake, errors: pd.DataFrame) -> list[LineError]:
    amounts = errors["amount"].astype(object).where(errors["amount"].notna(), None)
    return [
        LineError(intake.path, int(n), str(r), str(raw), None if a is None else int(a))
        for n, r, raw, a in zip(errors["line_no"], errors["reason"], errors["raw"], amounts, strict=True)
    ]


def _empty_night() -> pd.DataFrame:
    from domain.records import empty_payments

    return empty_payments().assign(sha256=pd.Series(dtype=object), register_key=pd.Series(dtype="int64"),
                                   channel=pd.Series(dtype=object))  # fmt: skip


def read_plan_payments(plan: NightPlan, sha256: str) -> pd.DataFrame:
    """The decided payments of one register (filtered while reading: the file holds the whole night)."""
    return read_payments(plan.payments_path, filters=[("sha256", "==", sha256)]).reset_index(drop=True)
