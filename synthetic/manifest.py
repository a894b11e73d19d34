"""The manifest of a generated day: what each file holds, the defects planted and what a run should find.

Amounts are integer kopecks. ``expected`` states what a correct nightly run makes of the day:
the quarantined register, the rejected line, the duplicate copies that must not be posted, the
unknown accounts going to suspense, and the register whose п/п is missing from the statement.
With payers' own п/п in the statement, ``direct`` lists them (each with the ЛС and period of the ПД
it pays, or none: suspense), and ``expected`` counts them: their register (the statement's, of the
channel of format ``statement``) is posted and tied like the others.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np

from synthetic import payments as pay
from synthetic.payers import PayerTransfer
from synthetic.payments import Plan
from synthetic.sber import RegisterFile
from synthetic.statement import Transfer
from synthetic.world import World

DESCRIPTIONS = {
    "unknown_account": "payment to an account the center does not know (UNKNOWN_ACCOUNT, suspense)",
    "partial": "payment below the ПД total (UNDERPAYMENT, split pro rata)",
    "over": "payment above the ПД total (OVERPAYMENT, split pro rata)",
    "no_period": "payment by ЛС without a period (PERIOD_MISSING, matched to the latest ПД)",
    "account_zeros": "account printed with leading zeros added or dropped against the receipt",
    "malformed": "line with an impossible date (MALFORMED_LINE); its amount is in the footer",
    "service_split": "multi-service line whose service amounts do not add up to its amount (MALFORMED_LINE); "
    "its amount is in the footer",
    "identical": "two identical legitimate payments in one file (both kept)",
    "duplicate": "the same operation in two files of one channel (DUPLICATE_PAYMENT, the copy)",
    "cross_channel": "the same payment in the sber register and as a ГИС ЖКХ notification "
    "(DUPLICATE_CROSS_CHANNEL; the copy not posted is the ГИС ЖКХ one when a bank pays its money, money_from, "
    "else that of the channel of lower priority)",
    "bad_footer": "footer count and sum off (REGISTER_TOTAL_MISMATCH, register quarantined)",
    "late_transfer": "register whose п/п is not in today's statement (TRANSFER_MISSING); it is in the next "
                     "day's statement, next-day/statements/, outside the inbox",
}


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _where(plan: Plan, files: list[RegisterFile], row: int, root: Path) -> dict[str, object]:
    for f in files:
        if (f.rows == row).any():
            return {"file": _rel(f.path, root), "line": f.line_of(row), "operation_id": str(plan.op[row]),
                    "amount": int(plan.amount[row])}  # fmt: skip
    raise ValueError(f"plan row {row} is in no file")


def _order(f: RegisterFile) -> dict[str, object] | None:
    if f.payment_order is None:
        return None
    return {"number": f.payment_order[0], "date": f.payment_order[1].isoformat()}


def _defect(plan: Plan, files: list[RegisterFile], rows: list[int], root: Path, key: str) -> dict[str, object]:
    places = [_where(plan, files, r, root) for r in rows]
    return {"description": DESCRIPTIONS[key], "count": len(rows), "amount": int(plan.amount[rows].sum()),
            "where": places}  # fmt: skip


def build_manifest(root: Path, *, seed: int, run: date, op_day: date, world: World, plan: Plan,
                   files: list[RegisterFile], late: RegisterFile, orders: dict[Path, Transfer],
                   money_from: dict[str, str], statement: dict[str, object],
                   next_statement: dict[str, object], charges: tuple[Path, str, str], suppliers_csv: Path,
                   center_inn: str, commission: np.ndarray,
                   payers: tuple[str | None, list[PayerTransfer]] = (None, [])) -> dict[str, object]:  # fmt: skip
    """The manifest's content (JSON-ready); ``orders``: the п/п carrying each register's money (a ГИС
    ЖКХ register's is its bank's, ``money_from``: the channels whose money a bank pays); ``payers``:
    the channel of payers' п/п and theirs."""
    d = plan.defects
    bad = next(f for f in files if "count" in f.declared and f.declared["count"] != len(f.rows))
    partial = np.flatnonzero(plan.kind == pay.PARTIAL).tolist()
    over = np.flatnonzero(plan.kind == pay.OVER).tolist()
    in_bad = set(bad.rows.tolist())
    defects = {key: _defect(plan, files, d[key], root, key)
               for key in ("unknown_account", "no_period", "account_zeros", "malformed", "service_split",
                           "identical")}  # fmt: skip
    # the account whose payer and address each unknown-account line carries (where it belongs)
    defects["unknown_account"]["payer_accounts"] = [world.account[i].as_py() for i in d["unknown_account_payer"]]
    defects["identical"]["where"] += [_where(plan, files, r, root) for r in d["identical_copy"]]
    defects["identical"]["count"] = 2
    defects["duplicate"] = _defect(plan, files, d["duplicate_copy"], root, "duplicate")
    defects["duplicate"]["original"] = [_where(plan, files, r, root) for r in d["duplicate"]]
    defects["cross_channel"] = _defect(plan, files, d["cross_channel"], root, "cross_channel")
    defects["cross_channel"]["copy"] = [_where(plan, files, r, root) for r in d["cross_channel_copy"]]
    defects["cross_channel"]["uip"] = [world.doc_uip[int(plan.doc[r])].as_py() for r in d["cross_channel"]]
    for key, rows in (("partial", partial), ("over", over)):
        kept = [r for r in rows if r not in in_bad]
        defects[key] = {"description": DESCRIPTIONS[key], "count": len(kept), "amount": int(plan.amount[kept].sum())}
    defects["bad_footer"] = {"description": DESCRIPTIONS["bad_footer"], "file": _rel(bad.path, root),
                             "lines": len(bad.rows), "amount": bad.amount, "declared": bad.declared}  # fmt: skip
    defects["late_transfer"] = {"description": DESCRIPTIONS["late_transfer"], "file": _rel(late.path, root),
                                "transfer": late.transfer, "payment_order": _order(late),
                                "arrives_in": _rel(Path(next_statement["file"]), root),
                                "arrives_on": next_statement["date"]}  # fmt: skip
    registers = []
    for f in files:
        registers.append({
            "file": _rel(f.path, root), "channel": f.channel, "format": f.format, "lines": len(f.rows),
            "first_line": f.first_line, "amount": f.amount, "commission": f.commission, "transfer": f.transfer,
            "register_no": f.register_no, "register_date": f.register_date.isoformat(),
            "payment_order": {"number": orders[f.path].number, "date": orders[f.path].day.isoformat(),
                              "amount": orders[f.path].amount, "in_statement": f is not late},
            "money_from": money_from.get(f.channel),
            "declared": f.declared, "expected_status": "quarantined" if f is bad else "ok",
            "by_kind": {pay.KIND_NAMES[k]: int((plan.kind[f.rows] == k).sum()) for k in range(4)},
        })  # fmt: skip
    dup_rows = d["duplicate_copy"] + d["cross_channel_copy"]
    rejected = d["malformed"] + d["service_split"]
    posted_or_suspense = [f for f in files if f is not bad]
    total = sum(f.amount for f in files)
    expected = {
        "payment_lines": len(plan.doc), "amount_total": total,
        "quarantined": {"registers": 1, "lines": len(bad.rows), "amount": bad.amount},
        "rejected": {"lines": len(rejected), "amount": int(plan.amount[rejected].sum())},
        "duplicates": {"lines": len(dup_rows), "amount": int(plan.amount[dup_rows].sum()),
                       "duplicate_payment": len(d["duplicate_copy"]), "cross_channel": len(d["cross_channel_copy"])},
        "suspense": {"lines": len(d["unknown_account"]), "amount": int(plan.amount[d["unknown_account"]].sum())},
        "transfer_missing": [_rel(late.path, root)],
        "registers_tied": [_rel(f.path, root) for f in posted_or_suspense if f is not late],
    }  # fmt: skip
    direct = _direct(root, world, statement, *payers)
    if direct:
        expected["payment_lines"] += direct["count"]
        expected["amount_total"] += direct["amount"]
        expected["suspense"] = {k: expected["suspense"][k] + direct["suspense"][k] for k in ("lines", "amount")}
        expected["registers_tied"].append(direct["file"])
    expected["posted_amount"] = (expected["amount_total"] - expected["quarantined"]["amount"]
                                 - expected["rejected"]["amount"] - expected["duplicates"]["amount"]
                                 - expected["suspense"]["amount"])  # fmt: skip
    charges_csv, encoding, decimal = charges
    return {
        "seed": seed, "run_date": run.isoformat(), "operating_day": op_day.isoformat(),
        "billing_period": world.period.strftime("%Y-%m"), "previous_period": world.old_period.strftime("%Y-%m"),
        "money": "kopecks",
        "center": {"inn": center_inn, "bank_account": statement["account"]},
        "suppliers": {"file": _rel(suppliers_csv, root), "count": len(world.suppliers),
                      "inns": world.suppliers["inn"].tolist()},
        "charges": {"file": _rel(charges_csv, root), "encoding": encoding, "decimal": decimal,
                    "accounts": len(world.account), "documents": len(world.doc_acc),
                    "documents_previous_period": int(world.doc_old.sum()), "lines": len(world.line_doc),
                    "amount": int(world.line_amount.sum())},
        "registers": registers,
        "statements": [{**statement, "file": _rel(Path(statement["file"]), root)}],
        "defects": defects,
        "expected": expected,
        "commission_total": int(commission.sum()),
        **({"direct": direct} if direct else {}),
    }  # fmt: skip


def _direct(root: Path, world: World, statement: dict[str, object], channel: str | None,
            payers: list[PayerTransfer]) -> dict[str, object] | None:  # fmt: skip
    """The payers' own п/п of the statement: each with the ЛС and period of the ПД it pays (None:
    its purpose names none, suspense), and their register's totals."""
    if channel is None or not payers:
        return None
    period = world.doc_period(np.array([max(p.doc, 0) for p in payers]))
    items = [{"number": p.transfer.number, "amount": p.transfer.amount, "purpose": p.transfer.purpose,
              "payer": p.transfer.payer[0], "payer_account": p.transfer.payer[2], "account": p.account,
              "period": str(period[i]) if p.doc >= 0 else None, "expected": "posted" if p.doc >= 0 else "suspense"}
             for i, p in enumerate(payers)]  # fmt: skip
    unnamed = [p.transfer.amount for p in payers if p.doc < 0]
    return {"description": "payers' own п/п to the center's account, the ЛС and month in the purpose only "
                           "(channel of format statement; a purpose naming nothing goes to suspense)",
            "channel": channel, "file": _rel(Path(statement["file"]), root), "count": len(payers),
            "amount": sum(p.transfer.amount for p in payers),
            "suspense": {"lines": len(unnamed), "amount": sum(unnamed)}, "transfers": items}  # fmt: skip
