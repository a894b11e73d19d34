"""Benchmark: one group of supplier statements rendered (``reports.statements.render_group``) from
synthetic movements, no database: the renderer's CPU alone, per supplier and per movement.

    PYTHONPATH=. python benchmarks/bench_statement_group.py 100 100      # the fixed cost a supplier
    PYTHONPATH=. python benchmarks/bench_statement_group.py 3 100000     # the cost a movement
    PYTHONPATH=. python benchmarks/bench_statement_group.py 40 500 --profile cumulative

Prints the thread's CPU time (``time.thread_time``); ``--profile`` adds stdlib ``cProfile``'s
table, timed by the same clock. 97 % of the movements are payments, the rest reversals and payouts.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from reports.statements import render_group, statement_suppliers


def movements(suppliers: int, each: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``suppliers`` × ``each`` movements of February 2026 sorted as the renderer wants them, and
    the suppliers (``statement_suppliers``) whose balances they add up to."""
    rng = np.random.default_rng(1)
    inns = [f"77{i:08d}" for i in range(suppliers)]
    n = suppliers * each
    days = np.sort(rng.integers(1, 29, (suppliers, each)), axis=1).ravel()
    kinds = np.where(rng.random(n) < 0.97, "payment", np.where(rng.random(n) < 0.5, "reversal", "payout"))
    iso = pd.Series([f"2026-02-{d:02d}" for d in days], dtype="str")

    def text(values: object) -> pd.Series:
        return pd.Series(values, dtype="str")

    moves = pd.DataFrame({
        "inn": text(np.repeat(inns, each)), "entry_id": np.arange(n), "leg": 1, "kind": text(kinds),
        "value_date": iso, "payment_id": pd.array(np.arange(n), dtype="Int64"),
        "reverses_id": pd.array([None] * n, dtype="Int64"), "description": text(["оплата"] * n),
        "channel": text(rng.choice(["sber", "post", "vtb"], n)), "operation_id": text([f"op{i}" for i in range(n)]),
        "paid_date": iso, "account_raw": text([f"{i % 100_000:010d}" for i in range(n)]),
        "uip": text([f"U{i:024d}" for i in range(n)]), "matched_uip": text([None] * n),
        "resolved_uip": text([None] * n), "payer": text(["Иванов Иван Иванович"] * n),
        "address": text(["г. Москва, ул. Ленина, д. 1"] * n),
        "service": text(rng.choice(["ХВС", "ГВС", "Отопление"], n)),
        "amount": rng.integers(100, 500_000, n) * np.where(kinds == "payment", 1, -1),
        "method": text(rng.choice(["qr", "cashier"], n)),
    })  # fmt: skip
    moved = moves.groupby("inn")["amount"].sum().reindex(inns).to_numpy()
    names = [f"ООО Поставщик {i}" for i in range(suppliers)]
    directory = pd.DataFrame({"inn": inns, "name": names, "kpp": "770101001",
                              "bank_account": "40702810000000000001", "bic": "044525225"})  # fmt: skip
    balances = pd.DataFrame({"inn": inns, "opening": 1000, "closing": 1000 + moved})
    return moves, statement_suppliers(directory, balances)


def main() -> None:
    """Render one group into a temporary directory and print the CPU it took."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suppliers", type=int)
    parser.add_argument("movements", type=int, help="movements a supplier")
    parser.add_argument("--profile", metavar="SORT", help="cProfile's table sorted by SORT (cumulative, tottime)")
    args = parser.parse_args()
    moves, suppliers = movements(args.suppliers, args.movements)
    out = Path(tempfile.mkdtemp(prefix="rkc_bench_group_"))
    profile = cProfile.Profile(time.thread_time) if args.profile else None
    try:
        started = time.thread_time()
        if profile:
            profile.enable()
        render_group("2026-02", date(2026, 2, 1), suppliers, moves, out)
        if profile:
            profile.disable()
        spent = time.thread_time() - started
    finally:
        shutil.rmtree(out)
    print(f"{args.suppliers} suppliers × {args.movements} movements: {spent:.2f} s of CPU "
          f"({spent / args.suppliers:.3f} s a supplier)")  # fmt: skip
    if profile:
        pstats.Stats(profile).sort_stats(args.profile).print_stats(45)


if __name__ == "__main__":
    main()
