"""Benchmark: parse a 200,000-row XLSX register of the portal profile (target ≤ 3 s).

Usage: ``.venv/bin/python benchmarks/bench_parse_xlsx.py [--rows N] [--repeat K]``

The workbook is written with openpyxl (write-only mode) in a temp dir: two title rows, the header,
N payments (date-time cells, operation ids and УИП as text, a leading-zero ЛС as text, payer,
address, period text, amount and commission as numbers; one row in a hundred with a text date and
text amounts "1 234,56") and an "Итого" row. Reported: generation time, ``identify``, and the full
parse (zip check, calamine load, conversion into payment chunks), best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

from domain.money import format_ru
from parsers.base import read_head
from parsers.xlsx import XlsxRegisterParser

HEADER = ["Дата платежа", "Номер операции", "УИП", "Лицевой счет", "ФИО", "Адрес", "Период", "Сумма", "Комиссия"]


def build(path: Path, rows: int) -> int:
    """Write the register; return its total in kopecks."""
    rnd = random.Random(20261120)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Реестр")
    sheet.append(["Реестр платежей за 20.11.2026"])
    sheet.append(["Агент: ООО «Портал»"])
    sheet.append(HEADER)
    total = 0
    for i in range(rows):
        kopecks = rnd.randint(100, 900_000)
        total += kopecks
        commission = kopecks // 100
        when = dt.datetime(2026, 11, 20, rnd.randint(0, 23), rnd.randint(0, 59), rnd.randint(0, 59))
        if i % 100 == 99:
            date_cell: object = when.strftime("%d.%m.%Y %H:%M:%S")
            amount: object = format_ru(kopecks).replace("\u00a0", " ")
            fee: object = format_ru(commission)
        else:
            date_cell, amount, fee = when, kopecks / 100, commission / 100
        sheet.append([
            date_cell, str(7_000_000_000 + i), f"{rnd.randrange(10**17, 10**18)}", f"{rnd.randrange(10**9):012d}",
            "ИВАНОВ ИВАН ИВАНОВИЧ", f"Г ИПАТОВО УЛ ЛЕНИНА Д {i % 300 + 1} КВ {i % 97 + 1}", "11.2026", amount, fee,
        ])  # fmt: skip
    sheet.append(["Итого", rows, None, None, None, None, None, total / 100, None])
    book.save(path)
    return total


def main() -> None:
    """Generate, then time identify and parse."""
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--rows", type=int, default=200_000)
    args.add_argument("--repeat", type=int, default=2)
    opts = args.parse_args()
    parser = XlsxRegisterParser.from_profile("xlsx_portal")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "register.xlsx"
        start = time.perf_counter()
        total = build(path, opts.rows)
        size = path.stat().st_size / 2**20
        print(f"generated {opts.rows:,} rows, {size:.1f} MiB in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        claimed = parser.identify(path, read_head(path))
        print(f"identify: {claimed} in {(time.perf_counter() - start) * 1000:.1f} ms")
        best = float("inf")
        for _ in range(opts.repeat):
            start = time.perf_counter()
            chunks = list(parser.parse(path))
            best = min(best, time.perf_counter() - start)
        parsed = sum(len(c.payments) for c in chunks)
        amount = sum(int(c.payments["amount"].sum()) for c in chunks)
        errors = sum(len(c.errors) for c in chunks)
        ok = parsed == opts.rows and amount == total == chunks[-1].declared.amount and errors == 0
        print(f"parse: {best:.2f} s best of {opts.repeat} ({opts.rows / best:,.0f} rows/s), "
              f"{len(chunks)} chunks, totals tie: {ok}")  # fmt: skip
        if not ok:
            raise SystemExit(f"wrong result: {parsed} rows, {amount} kopecks, {errors} errors")


if __name__ == "__main__":
    main()
