"""The night's plan: the decisions over its registers as files in the work directory, one set per
register beside intake's payment file, row for row (``rkc.decide`` writes them, posting reads its own
register's), and the record of which registers a plan decided, so that a run that stopped before
posting them all finishes the same plan.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from rkc.decide_purpose import READ_COLUMNS, with_read_identifiers
from rkc.intake import Intake
from rkc.workfiles import NightStore, PlanKind, read_payments
from sql.payment_ids import payment_ids_taken
from sql.registers import stored_files

FLAG_COLUMNS = ["payment_id", "code", "detail"]
# Per register, one row per payment of the intake file, in its order. ``document_version``: the version
# of the matched ПД whose lines the payment's parts were split by (null when not split by a ПД).
DECISION_COLUMNS = ["payment_id", "occurrence", "outcome", "matched_uip", "match_rule", "document_version"]
# What posting reads of the split. The part's ``uip`` is the payment's ``matched_uip``; as a categorical
# over the night's ПД it would carry a dictionary of every УИП into each register's file.
PLAN_PART_COLUMNS = ["payment_id", "supplier_inn", "service", "amount"]


@dataclass(frozen=True)
class NightPlan:
    """Where the night's decisions are (JSON-able), and which registers are quarantined why.

    Per register (by sha256) four files: ``decisions`` (``DECISION_COLUMNS``), ``parts`` (the
    supplier split of its matched payments, ``PLAN_PART_COLUMNS``), ``flags`` (its
    discrepancies) and ``proposals`` (near misses for its payments in suspense). ``payment_id``
    is the payment's id, reserved when the night was decided: posting stores the payment under
    it, and the report finds the stored payment by it, whichever run decided it.
    """

    work_dir: str
    quarantined: dict[str, str]  # sha256 -> reason
    # sha256 -> [[code, detail], …]: discrepancies of the register as a whole (UNVERIFIED_REGISTER);
    # a quarantined register listed here is recorded under these codes, not REGISTER_TOTAL_MISMATCH
    register_flags: dict[str, list[list[str]]] = field(default_factory=dict)

    def path(self, sha256: str, kind: PlanKind) -> Path:
        """The ``decisions``, ``parts``, ``flags`` or ``proposals`` file of one register."""
        return NightStore(Path(self.work_dir)).plan(sha256, kind)

    def to_dict(self) -> dict:
        """Plain dict for passing between tasks."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> NightPlan:
        """Inverse of ``to_dict`` (a record written by an earlier release may carry more keys)."""
        return cls(data["work_dir"], data["quarantined"], data.get("register_flags") or {})


def unfinished_plan(engine: Engine, parsed: list[Intake], work_dir: Path) -> NightPlan | None:
    """The plan of an earlier run of this night that stopped before posting all its registers,
    when this run holds exactly the registers it left unposted (the others are stored).

    Finishing that plan gives the ledger an undisturbed run would have. Deciding the rest again
    would not: a cross-channel copy would be paired against the registers already posted, which
    always win, where the whole night's decision may have kept the other copy by channel priority.
    With any new file among them the night is decided again (docs/RULES.md).
    """
    record = NightStore(work_dir).plan_record
    if not parsed or not record.is_file():
        return None
    earlier = json.loads(record.read_text(encoding="utf-8"))
    planned, mine = set(earlier["registers"]), {i.sha256 for i in parsed}
    if not mine <= planned or earlier.get("payment_ids") != "reserved":
        return None
    plan = NightPlan.from_dict(earlier["plan"])
    needed = (PlanKind.DECISIONS, PlanKind.PARTS, PlanKind.FLAGS)
    if not all(plan.path(sha, kind).is_file() for sha in mine for kind in needed):
        return None
    with engine.connect() as conn:
        stored = stored_files(conn, planned - mine)
        if stored != planned - mine:
            return None
        # The ids the plan reserved for the registers still to post must still be free (SQLite
        # reserves past the highest stored id: another night's run may have taken them since).
        for sha in mine:
            ids = pd.read_parquet(plan.path(sha, PlanKind.DECISIONS), columns=["payment_id"])["payment_id"]
            if len(ids) and payment_ids_taken(conn, int(ids.min()), int(ids.max())):
                return None
    return plan


def write_plan(
    plan: NightPlan, parsed: list[Intake], payments: pd.DataFrame, parts: pd.DataFrame, flags: pd.DataFrame,
    proposals: pd.DataFrame, by_purpose: np.ndarray, rows_of: Callable[[object], np.ndarray],
) -> None:  # fmt: skip
    """Write each register's decisions, parts, flags and proposals, then the plan's record (which
    registers it decided: ``unfinished_plan``); the decisions of a register with payments read by
    their purpose carry what was read (``READ_COLUMNS``). ``rows_of`` turns payment ids into rows
    of ``payments``."""
    Path(plan.work_dir).mkdir(parents=True, exist_ok=True)
    register_of = payments["register_key"].to_numpy()
    flags = flags.astype({"code": str, "detail": str})
    part_register = register_of[rows_of(parts["payment_id"])]
    flag_register = register_of[rows_of(flags["payment_id"])]
    proposal_register = register_of[rows_of(proposals["payment_id"])]
    for key, intake in enumerate(parsed):
        mine = register_of == key
        decisions = payments.loc[mine, DECISION_COLUMNS].reset_index(drop=True)
        if (by_purpose & mine).any():
            read = payments.loc[mine, list(READ_COLUMNS)].astype(object).reset_index(drop=True)
            read.loc[~by_purpose[mine], :] = None
            decisions = decisions.assign(**{READ_COLUMNS[f]: read[f].to_numpy() for f in READ_COLUMNS})
        decisions.to_parquet(
            plan.path(intake.sha256, PlanKind.DECISIONS), use_dictionary=["outcome", "match_rule"]
        )  # a dictionary of the near-unique ``matched_uip`` would cost hashing and buy nothing
        mine_parts = parts.loc[part_register == key, PLAN_PART_COLUMNS]
        mine_parts.to_parquet(plan.path(intake.sha256, PlanKind.PARTS), index=False)
        flags[flag_register == key].to_parquet(plan.path(intake.sha256, PlanKind.FLAGS), index=False)
        proposals[proposal_register == key].to_parquet(plan.path(intake.sha256, PlanKind.PROPOSALS), index=False)
    # ``payment_ids``: the plan's ids are reserved ones (a plan of an earlier release numbered rows)
    record = {"plan": plan.to_dict(), "registers": sorted(i.sha256 for i in parsed), "payment_ids": "reserved"}
    NightStore(Path(plan.work_dir)).plan_record.write_text(json.dumps(record, indent=1), encoding="utf-8")


def read_plan_payments(plan: NightPlan, intake: Intake, columns: list[str] | None = None) -> pd.DataFrame:
    """One register's payments (all columns, or ``columns``) with their decisions and channel."""
    payments = read_payments(intake.payments_path, columns=columns)
    decisions = pd.read_parquet(plan.path(intake.sha256, PlanKind.DECISIONS))
    if len(decisions) != len(payments):
        raise RuntimeError(f"{intake.name}: {len(decisions)} decisions for {len(payments)} payments")
    if "document_version" not in decisions.columns:  # a plan decided before ПД had versions
        decisions["document_version"] = pd.Series(pd.NA, index=decisions.index, dtype="Int64")
    payments = payments.assign(channel=intake.channel, **{c: decisions[c] for c in DECISION_COLUMNS})
    return with_read_identifiers(payments, decisions)
