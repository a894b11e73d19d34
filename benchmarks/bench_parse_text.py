"""Benchmark the text register parser on a generated Sber classic register.

    .venv/bin/python benchmarks/bench_parse_text.py [--rows 1000000 250000]

For each size: writes a cp1251 register with CRLF and trailing ``;`` (realistic names, addresses,
leading-zero accounts, a footer) into a temp dir, parses it in a fresh child process (so the peak
RSS, ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``, is that parse's alone) and prints the time,
throughput and peak memory.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SURNAMES = ["ИВАНОВ", "ПЕТРОВА", "СИДОРОВ", "КУЗНЕЦОВА", "СМИРНОВ", "ПОПОВА", "ВОЛКОВ", "ЛЕБЕДЕВА"]
NAMES = ["ИВАН ИВАНОВИЧ", "АННА СЕРГЕЕВНА", "ПЁТР ПЕТРОВИЧ", "ОЛЬГА НИКОЛАЕВНА", "ЮРИЙ АЛЕКСЕЕВИЧ"]
STREETS = ["УЛ ЛЕНИНА", "УЛ МИРА", "ПР-КТ КАРЛА МАРКСА", "УЛ СОВЕТСКАЯ", "ПЕР ШКОЛЬНЫЙ"]

CHILD = """
import sys, time, resource
from pathlib import Path
sys.path.insert(0, {root!r})
from parsers.text import TextRegisterParser
parser = TextRegisterParser.from_dialect("sber_classic")
start = time.perf_counter()
rows = errors = 0
for chunk in parser.parse(Path({path!r})):
    rows += len(chunk.payments)
    errors += len(chunk.errors)
    declared = chunk.declared
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{{elapsed:.3f}} {{rows}} {{errors}} {{peak:.0f}} {{declared.count}}")
"""


def write_register(path: Path, rows: int, seed: int = 7) -> int:
    """Write a Sber classic register of ``rows`` payments; returns its size in bytes."""
    rnd = random.Random(seed)
    total = transfer = commission = 0
    with path.open("w", encoding="cp1251", newline="") as out:
        batch = []
        for i in range(rows):
            kop = rnd.randrange(10_000, 1_000_000)
            com = kop // 100
            total, transfer, commission = total + kop, transfer + kop - com, commission + com
            name = f"{rnd.choice(SURNAMES)} {rnd.choice(NAMES)}"
            addr = f"Г ИПАТОВО {rnd.choice(STREETS)} Д {rnd.randrange(1, 80)} КВ {rnd.randrange(1, 200)}"
            batch.append(
                f"{rnd.randrange(1, 29):02d}-03-2026;{rnd.randrange(8, 21):02d}-{rnd.randrange(60):02d}-"
                f"{rnd.randrange(60):02d};8625;8625099V;{100000000 + i};{rnd.randrange(10**9):012d};{name};"
                f"{addr};0226;{kop // 100},{kop % 100:02d};{(kop - com) // 100},{(kop - com) % 100:02d};"
                f"{com // 100},{com % 100:02d};\r\n"
            )
            if len(batch) == 10_000:
                out.write("".join(batch))
                batch = []
        out.write("".join(batch))

        def money(k: int) -> str:
            return f"{k // 100},{k % 100:02d}"

        out.write(f"={rows};{money(total)};{money(transfer)};{money(commission)};517;31-03-2026;\r\n")
    return path.stat().st_size


def main() -> None:
    """Generate, parse in a child process, print the figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 250_000])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.rows:
            path = Path(tmp) / f"sber_{rows}.txt"
            size = write_register(path, rows)
            code = CHILD.format(root=str(ROOT), path=str(path))
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
            elapsed, parsed, errors, peak, declared = out.split()
            print(
                f"{rows:>9,} lines ({size / 2**20:.0f} MiB): {float(elapsed):.2f} s, "
                f"{int(parsed) / float(elapsed):,.0f} lines/s, payments {int(parsed):,}, errors {errors}, "
                f"footer count {declared}, peak RSS {peak} MiB"
            )
            path.unlink()
            time.sleep(0.1)


if __name__ == "__main__":
    main()
