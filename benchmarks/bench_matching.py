"""Benchmark: match and split 1,000,000 payments against 1,000,000 ПД (~3,000,000 service lines).

Runs the project's numpy/Arrow code (``domain.matching`` + ``domain.splitting``) and, on the same
data in the same process, the same matching and largest-remainder split written as DuckDB SQL, as
the reference figure. Data are generated with numpy in memory (no files are needed).

    .venv/bin/python benchmarks/bench_matching.py [--payments N] [--docs N] [--repeat K]

The two sides run in turns, K times each (3 by default), and the best of each is compared.
"""

from __future__ import annotations

import argparse
import gc
import os
import time

import numpy as np
import pandas as pd

from domain.chargeindex import ChargeIndex
from domain.matching import match_payments
from domain.nearmiss import propose_near_misses
from domain.splitting import split_payments

SERVICES = np.array(["maint", "heat", "water", "power", "gas", "waste", "repair"])
PERIODS = np.array(["2026-01", "2026-02", "2026-03"])


def generate(n_pay: int, n_docs: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Charges (1..5 lines per ПД, ~3 on average) and payments by УИП / ЛС+period / ЛС / unknown."""
    rng = np.random.default_rng(seed)
    n_acc = max(n_docs // 2, 1)  # two periods of ПД per account on average
    doc_acc = rng.permutation(np.repeat(np.arange(n_acc), 2)[:n_docs]) + 10**7
    doc_per = np.empty(n_docs, dtype=np.int64)
    order = np.argsort(doc_acc, kind="stable")
    first = np.r_[True, doc_acc[order][1:] != doc_acc[order][:-1]]
    doc_per[order] = np.where(first, 1, 2)  # each account: February and March ПД
    lines = rng.integers(1, 6, n_docs)
    line_doc = np.repeat(np.arange(n_docs), lines)
    n_lines = len(line_doc)
    within = np.arange(n_lines) - np.repeat(np.cumsum(lines) - lines, lines)
    uip = pd.Series(np.char.add("U", np.arange(n_docs).astype(str))).astype(str)
    acc = pd.Series(doc_acc.astype(str)).astype(str)
    charges = pd.DataFrame(
        {
            "uip": uip.to_numpy()[line_doc],
            "account_raw": acc.to_numpy()[line_doc],
            "account": acc.to_numpy()[line_doc],
            "period": PERIODS[doc_per[line_doc]],
            "supplier_inn": (7700000000 + (rng.integers(0, 40, n_lines))).astype(str),
            "service": SERVICES[within % len(SERVICES)],
            "amount": rng.integers(1, 500_000, n_lines).astype(np.int64),
            "payer": "",
            "address": "",
        }
    ).astype({c: "str" for c in ("uip", "account_raw", "account", "period", "supplier_inn", "service")})
    totals = np.bincount(line_doc, weights=charges["amount"].to_numpy()).astype(np.int64)  # data gen only

    target = rng.integers(0, n_docs, n_pay)
    kind = rng.choice(4, n_pay, p=[0.5, 0.3, 0.1, 0.1])  # uip, account+period, account, unknown
    p_uip = np.where(kind == 0, uip.to_numpy()[target], None)
    p_acc = np.where(kind == 3, (doc_acc.max() + 1 + np.arange(n_pay)).astype(str), acc.to_numpy()[target])
    p_acc = np.where(kind == 0, None, p_acc)
    p_per = np.where(kind == 1, PERIODS[doc_per[target]], None)
    full = rng.random(n_pay) < 0.6
    amount = np.where(full, totals[target], rng.integers(1, 2_000_000, n_pay)).astype(np.int64)
    payments = pd.DataFrame(
        {
            "payment_id": np.arange(n_pay, dtype=np.int64),
            "uip": p_uip,
            "account": p_acc,
            "period": p_per,
            "amount": amount,
            "channel": "sber",
            "address": "",
        }
    )
    return payments, charges


def run_pandas(payments: pd.DataFrame, charges: pd.DataFrame) -> tuple[float, float, float, int, int]:
    """Index the charges, match, split: (index s, match s, split s, matched, split total)."""
    t0 = time.perf_counter()
    index = ChargeIndex.build(charges)
    t1 = time.perf_counter()
    res = match_payments(payments, index)
    t2 = time.perf_counter()
    m = res.matches.assign(amount=payments["amount"].to_numpy())  # same row order as payments
    split = split_payments(m[m["status"] == "matched"], index)
    t3 = time.perf_counter()
    matched = int((res.matches["status"] == "matched").sum())
    return t1 - t0, t2 - t1, t3 - t2, matched, int(split.parts["amount"].sum())


SQL = """
CREATE OR REPLACE TEMP TABLE docs AS
  SELECT uip, any_value(account) AS account, any_value(period) AS period, sum(amount)::BIGINT AS total
  FROM charges GROUP BY uip;
CREATE OR REPLACE TEMP TABLE matched AS
WITH ap AS (SELECT account, period, count(*) AS c, any_value(uip) AS uip FROM docs GROUP BY ALL),
     lp AS (SELECT account, max(period) AS period FROM docs GROUP BY account),
     m AS (
       SELECT p.payment_id, p.amount, d.uip AS u1, ap.uip AS u2, ap.c AS c2, lat.uip AS u3, lat.c AS c3
       FROM payments p
       LEFT JOIN docs d ON d.uip = p.uip
       LEFT JOIN ap ON ap.account = p.account AND ap.period = p.period
       LEFT JOIN lp ON lp.account = p.account
       LEFT JOIN ap AS lat ON lat.account = lp.account AND lat.period = lp.period)
SELECT payment_id, amount,
       CASE WHEN u1 IS NOT NULL THEN u1
            WHEN c2 = 1 THEN u2
            WHEN c2 IS NULL AND c3 = 1 THEN u3 END AS uip
FROM m;
CREATE OR REPLACE TEMP TABLE parts AS
WITH s AS (
  SELECT m.payment_id, m.amount AS a, c.supplier_inn, c.service, c.amount AS w,
         (m.amount * c.amount) // d.total AS base, (m.amount * c.amount) % d.total AS rem
  FROM matched m JOIN docs d ON d.uip = m.uip JOIN charges c ON c.uip = m.uip),
r AS (
  SELECT *, a - sum(base) OVER (PARTITION BY payment_id) AS leftover,
         row_number() OVER (PARTITION BY payment_id ORDER BY rem DESC, supplier_inn, service, w) AS rk
  FROM s)
SELECT payment_id, supplier_inn, service, base + CASE WHEN rk <= leftover THEN 1 ELSE 0 END AS amount FROM r;
"""


def run_duckdb(payments: pd.DataFrame, charges: pd.DataFrame) -> tuple[float, int, int]:
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads TO 2")
    con.register("payments", payments[["payment_id", "uip", "account", "period", "amount"]])
    con.register("charges", charges[["uip", "account", "period", "supplier_inn", "service", "amount"]])
    t0 = time.perf_counter()
    con.execute(SQL)
    t1 = time.perf_counter()
    matched = con.execute("SELECT count(uip) FROM matched").fetchone()[0]
    total = con.execute("SELECT sum(amount) FROM parts").fetchone()[0]
    con.close()
    return t1 - t0, int(matched), int(total)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--payments", type=int, default=1_000_000)
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    t = time.perf_counter()
    payments, charges = generate(args.payments, args.docs)
    print(
        f"generated {len(payments):,} payments, {charges['uip'].nunique():,} ПД, {len(charges):,} lines "
        f"in {time.perf_counter() - t:.1f} s"
    )
    best = duck = None
    for _ in range(args.repeat):  # the two sides take turns, so a busy spell slows both
        gc.collect()
        r = run_pandas(payments, charges)
        print(
            f"project: index {r[0]:.2f} s + match {r[1]:.2f} s + split {r[2]:.2f} s = {sum(r[:3]):.2f} s "
            f"(matched {r[3]:,}, split total {r[4]:,}); load average {os.getloadavg()[0]:.2f}"
        )
        best = r if best is None or sum(r[:3]) < sum(best[:3]) else best
        gc.collect()
        d = run_duckdb(payments, charges)
        print(f"duckdb: match + split {d[0]:.2f} s (matched {d[1]:,}, split total {d[2]:,})")
        duck = d if duck is None or d[0] < duck[0] else duck
    if (best[3], best[4]) != (duck[1], duck[2]):
        raise SystemExit("the project and DuckDB disagree")
    ours = sum(best[:3])
    print(
        f"best of {args.repeat}: project {ours:.2f} s (index {best[0]:.2f} + match {best[1]:.2f} + split "
        f"{best[2]:.2f}), duckdb {duck[0]:.2f} s, ratio project / duckdb {ours / duck[0]:.2f}"
    )

    unknown = payments[payments["uip"].isna() & ~payments["account"].isin(charges["account"])].head(10_000)
    index = ChargeIndex.build(charges)
    t = time.perf_counter()
    prop = propose_near_misses(unknown, index)
    print(
        f"near misses for {len(unknown):,} suspense payments: {len(prop):,} proposals in "
        f"{time.perf_counter() - t:.2f} s"
    )


if __name__ == "__main__":
    main()
