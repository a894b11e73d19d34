"""The night's discrepancies become cases: new problems open a case, a problem seen again ages its
case, informational ones close themselves and are only counted; an open case whose payment the
Excel round trip moved is resolved. Called at the end of the nightly run; idempotent for a night
(a rerun of the same night does not age a case twice)."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Connection, Engine

from domain.cases import ALWAYS_INFORMATIONAL, CaseStatus, EventKind, case_keys, informational
from rkc.config import Config
from sql import cases as store
from sql.discrepancies import night_discrepancies_for_report
from sql.uow import UnitOfWork
from sql.users import audit

log = logging.getLogger(__name__)
NIGHT = "night"  # the actor of what the nightly run does to cases
_SOURCE = ["id", "code", "register_id", "payment_id", "channel", "file", "line_no", "operation_id", "paid_date",
           "account_raw", "uip", "payer", "amount", "detail", "sha256", "difference"]  # fmt: skip


@dataclass(frozen=True)
class CaseSummary:
    """What the night did to the cases (JSON-able): every discrepancy is one of the four."""

    discrepancies: int = 0
    opened: int = 0
    seen_again: int = 0
    informational: int = 0
    already_counted: int = 0  # a rerun of a night: the case has already seen this night
    same_night: int = 0  # a second sighting of one problem in the same night (one case)
    resolved_by_workbook: int = 0  # open cases whose payment a resolutions workbook moved meanwhile

    def to_dict(self) -> dict:
        """As a dict for the run summary."""
        return asdict(self)


def sync_cases(config: Config, engine: Engine, run_date: date, night: pd.DataFrame | None = None) -> CaseSummary:
    """Open, age or close by themselves the cases of ``run_date``'s discrepancies, in one transaction.
    ``night``: those discrepancies as the report read them (``rkc.report.write_report_and_cases``;
    read here when absent)."""
    with UnitOfWork(engine) as uow:
        by_workbook = _close_resolved(uow.conn)
        if night is None:
            night = night_discrepancies_for_report(uow.conn, run_date)
        night = night[_SOURCE]  # the report's raw lines and addresses are no case's
        if night.empty:
            uow.commit()
            return CaseSummary(resolved_by_workbook=by_workbook)
        sightings = len(night)
        night["case_key"] = case_keys(night)
        night["informational"] = informational(night, config.workbench.tolerance)
        # Several sightings of one problem in a night (a line reported twice) are one: the latest wins.
        night = night.drop_duplicates("case_key", keep="last")
        known = store.known_cases(uow.conn, night["case_key"].tolist())
        merged = night.merge(known.rename(columns={"id": "case_id"}), on="case_key", how="left")
        new = merged[merged["case_id"].isna()]
        old = merged[merged["case_id"].notna()]
        again = old[pd.to_datetime(old["last_seen"]).dt.date < run_date]
        store.open_cases(uow.conn, _new_cases(new, run_date), NIGHT)
        store.see_again(uow.conn, pd.DataFrame({
            "case_id": again["case_id"].astype("int64"), "discrepancy_id": again["id"].astype("int64"),
            "event_kind": EventKind.SEEN.value,
            "event_text": f"снова в ночь {run_date:%d.%m.%Y}: " + again["detail"].fillna("").astype(str),
        }), run_date, NIGHT)  # fmt: skip
        uow.commit()
    summary = CaseSummary(sightings, int((~new["informational"]).sum()), len(again),
                          int(new["informational"].sum()), len(old) - len(again), sightings - len(night),
                          by_workbook)  # fmt: skip
    log.info("cases: %s", summary)
    return summary


def _close_resolved(conn: Connection) -> int:
    """Resolve the open cases whose payment the Excel round trip (``rkc.resolve``) moved to a ПД,
    in the name of the workbook's author; return how many."""
    by_case: dict[int, list[dict]] = {}
    for row in store.resolved_elsewhere(conn):  # one row per part: a payment split across ПД has several
        by_case.setdefault(row["id"], []).append(row)
    for parts in by_case.values():
        row = parts[0]
        moved = (f"разнесён на ПД {row['target_uip']} (проводка {row['entry_id']})" if len(parts) == 1 else
                 "разделён между ПД " + ", ".join(f"{p['target_uip']} (проводка {p['entry_id']})" for p in parts))
        text = f"{moved} по книге {row['source_file']}, {row['resolved_by']}"
        store.set_case(conn, row["id"], status=CaseStatus.RESOLVED.value, resolution=text)
        store.add_events(conn, [{"case_id": row["id"], "kind": EventKind.RESOLVED.value, "actor": NIGHT, "text": text}])
        audit(conn, NIGHT, "case_resolved_by_workbook", f"case:{row['id']}",
              json.dumps({k: row[k] for k in ("status", "owner", "resolution")}, ensure_ascii=False),
              json.dumps({"status": CaseStatus.RESOLVED.value, "resolution": text}, ensure_ascii=False))  # fmt: skip
    return len(by_case)


def _new_cases(new: pd.DataFrame, run_date: date) -> pd.DataFrame:
    """The ``work_case`` rows of first sightings, with the history row each starts with."""
    informational = new["informational"].astype(bool)
    detail = new["detail"].fillna("").astype(str)
    cases = new[["case_key", "code", "channel", "payment_id", "register_id", "operation_id", "account_raw", "uip",
                 "payer", "amount"]].copy()  # fmt: skip
    cases["status"] = informational.map({True: CaseStatus.INFORMATIONAL.value, False: CaseStatus.OPEN.value})
    cases["discrepancy_id"] = new["id"].astype("int64")
    cases["detail"] = detail
    cases["first_seen"] = cases["last_seen"] = run_date
    cases["nights"] = 1
    cases["event_kind"] = informational.map({True: EventKind.RESOLVED.value, False: EventKind.OPENED.value})
    tolerated = informational & ~new["code"].isin([c.value for c in ALWAYS_INFORMATIONAL])
    cases["event_text"] = detail.where(~tolerated, "в пределах допуска: " + detail)
    return cases
