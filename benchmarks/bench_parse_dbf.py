"""Benchmark: parse a 200,000-record DBF register of the Sber branch profile (target ≤ 3 s, memory flat).

Usage: ``.venv/bin/python benchmarks/bench_parse_dbf.py [--rows N] [--repeat K]``

The table (dBase III, cp866, the layout of ``parsers/dialects/dbf_sber_branch.yaml``) is written
record by record into a temp dir: N payments (leading-zero ЛС, Cyrillic payer and address, MMYY
period, N amounts and commissions, D dates, operation numbers), one record in a thousand deleted,
and the ИТОГО totals record. Reported: generation time, ``identify``, the full parse (best of
``--repeat`` runs, chunks consumed and dropped as intake does) and the growth of the process's
peak RSS during the first parse: run with ``--rows 200000`` and ``--rows 400000`` to see that it
does not grow with the file (chunks of ``parsers.base.CHUNK_ROWS`` records).
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the dBase writer lives with the tests

from parsers.base import read_head
from parsers.dbf import DbfRegisterParser
from tests.dbfutil import SBER_FIELDS, dbf_bytes, encode_value, sber_record

SURNAMES = ["ИВАНОВ ИВАН ИВАНОВИЧ", "ПЕТРОВА АННА СЕРГЕЕВНА", "ЁЛКИН СЕМЁН", "КУЗНЕЦОВА ЕЛЕНА ПАВЛОВНА"]


def rubles(kopecks: int) -> str:
    """``1234.56``: how an N 12.2 field spells an amount."""
    return f"{kopecks // 100}.{kopecks % 100:02d}"


def record(flag: str, values: list[str | bytes | None]) -> bytes:
    """One record's bytes: the deletion flag and the fields."""
    return flag.encode() + b"".join(encode_value(f, v, "cp866") for f, v in zip(SBER_FIELDS, values, strict=True))


def build(path: Path, rows: int) -> tuple[int, int]:
    """Write the register record by record; return (payments, their total in kopecks)."""
    rnd = random.Random(20260315)
    payments, total, commission = 0, 0, 0
    with path.open("wb") as out:
        out.write(dbf_bytes(SBER_FIELDS, [], declared=rows + 1, eof=False))
        for i in range(rows):
            kopecks = rnd.randint(100, 200_000)  # the ИТОГО of 400k records still fits N 12.2
            fee = kopecks // 100
            flag = "*" if i % 1000 == 999 else " "
            if flag == " ":
                payments, total, commission = payments + 1, total + kopecks, commission + fee
            values = sber_record(f"{rnd.randrange(10**9):012d}", SURNAMES[i % 4], rubles(kopecks), komis=rubles(fee),
                                 day=f"202603{i % 28 + 1:02d}", op=str(10**9 + i),
                                 adres=f"Г ИПАТОВО УЛ ЛЕНИНА Д {i % 300 + 1} КВ {i % 97 + 1}")  # fmt: skip
            out.write(record(flag, values))
        out.write(record(" ", sber_record("", "ИТОГО", rubles(total), komis=rubles(commission), day="", period="",
                                          adres="")))  # fmt: skip
        out.write(b"\x1a")
    return payments, total


def peak_rss_mib() -> float:
    """The process's peak resident set size so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    """Generate, then time identify and parse."""
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--rows", type=int, default=200_000)
    args.add_argument("--repeat", type=int, default=3)
    opts = args.parse_args()
    parser = DbfRegisterParser.from_profile("dbf_sber_branch")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "register.dbf"
        start = time.perf_counter()
        payments, total = build(path, opts.rows)
        size = path.stat().st_size / 2**20
        print(f"generated {opts.rows:,} records, {size:.1f} MiB in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        claimed = parser.identify(path, read_head(path))
        print(f"identify: {claimed} in {(time.perf_counter() - start) * 1000:.1f} ms")
        best, before, grown = float("inf"), peak_rss_mib(), 0.0
        for run in range(opts.repeat):
            parsed = amount = errors = chunks = 0
            declared = None
            start = time.perf_counter()
            for chunk in parser.parse(path):  # consumed and dropped, as intake writes each chunk away
                parsed, chunks = parsed + len(chunk.payments), chunks + 1
                amount += int(chunk.payments["amount"].sum())
                errors += len(chunk.errors)
                declared = chunk.declared or declared
            best = min(best, time.perf_counter() - start)
            if run == 0:
                grown = peak_rss_mib() - before
        ok = parsed == payments and amount == total == declared.amount and errors == 0
        print(f"parse: {best:.2f} s best of {opts.repeat} ({opts.rows / best:,.0f} records/s), {chunks} chunks, "
              f"peak RSS +{grown:.0f} MiB over {before:.0f} MiB, totals tie: {ok}")  # fmt: skip
        if not ok:
            raise SystemExit(f"wrong result: {parsed} payments, {amount} kopecks, {errors} errors")


if __name__ == "__main__":
    main()
