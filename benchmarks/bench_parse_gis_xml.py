"""Benchmark: parse a 1,000,000-notification ГИС ЖКХ XML register (and 100k with XSD validation).

Usage: ``.venv/bin/python benchmarks/bench_parse_gis_xml.py [--rows N] [--xsd-rows N] [--xsd-dir DIR]``

The file is generated in a temp dir: one request with realistic notifications (recipient with
full payment details; a third identified by ИПД, a third by ЛС + period, a third by ЕЛС with the
payer's name), one per line. Each measurement runs in a fresh child process so that its peak
RSS (``ru_maxrss`` of the child) shows whether memory stays flat; its CPU time (all threads)
and the 1-minute load average before and after tell how much of the machine it had (the parser
reads blocks in two threads).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_XSD = ROOT.parent / "shared" / "samples" / "gis-zhkh-xsd-14.4.0.1"

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<pay:importNotificationsOfOrderExecutionRequest '
    'xmlns:pay="http://dom.gosuslugi.ru/schema/integration/payment/" '
    'xmlns:base="http://dom.gosuslugi.ru/schema/integration/base/" '
    'xmlns:pb="http://dom.gosuslugi.ru/schema/integration/payments-base/" '
    'xmlns:bb="http://dom.gosuslugi.ru/schema/integration/bills-base/" '
    'xmlns:ab="http://dom.gosuslugi.ru/schema/integration/account-base/" '
    'xmlns:ob="http://dom.gosuslugi.ru/schema/integration/organizations-base/" '
    'xmlns:ib="http://dom.gosuslugi.ru/schema/integration/individual-registry-base/" '
    'base:version="10.0.1.1">\n'
)
TAIL = "</pay:importNotificationsOfOrderExecutionRequest>\n"
RECIPIENT = (
    "<pb:RecipientInfo><ob:INN>77{inn:08d}</ob:INN><pb:Legal><ob:KPP>770101001</ob:KPP>"
    '<pb:Name>ООО "УК Восход"</pb:Name></pb:Legal><pb:PaymentInformation>'
    "<pb:RecipientINN>77{inn:08d}</pb:RecipientINN><pb:BankName>ПАО Сбербанк</pb:BankName>"
    '<pb:PaymentRecipient>ООО "УК Восход"</pb:PaymentRecipient><pb:BankBIK>044525225</pb:BankBIK>'
    "<pb:operatingAccountNumber>40702810900000000001</pb:operatingAccountNumber>"
    "</pb:PaymentInformation></pb:RecipientInfo>"
)
IDENTIFICATION = (
    "<bb:PaymentDocumentID>00АА{n:06d}-01-4041</bb:PaymentDocumentID>",
    "<base:Year>2024</base:Year><base:Month>4</base:Month><ab:AccountNumber>{n:09d}</ab:AccountNumber>",
    "<base:Year>2024</base:Year><base:Month>4</base:Month><ab:UnifiedAccountNumber>35АВ{n:06d}"
    "</ab:UnifiedAccountNumber><pb:AddressAndConsumer><pb:FIASHouseGuid>0c5b2444-70a0-4932-980c-"
    "b4dc0d3f02b5</pb:FIASHouseGuid><pb:Apartment>12</pb:Apartment><pb:Ind><ib:Surname>Сидорова"
    "</ib:Surname><ib:FirstName>Анна</ib:FirstName></pb:Ind></pb:AddressAndConsumer>",
)
NOTE = (
    "<pay:NotificationOfOrderExecutionType>{recipient}<pb:OrderInfo><pb:OrderID>{n:032d}</pb:OrderID>"
    "<pb:OrderDate>2024-05-02</pb:OrderDate><pb:Amount>{amount}</pb:Amount>"
    "<pb:PaymentPurpose>Оплата ЖКУ</pb:PaymentPurpose>{ident}</pb:OrderInfo>"
    "<base:TransportGUID>6f1c2a9e-0b0d-4c1e-9a55-{n:012d}</base:TransportGUID>"
    "</pay:NotificationOfOrderExecutionType>\n"
)


def generate(path: Path, rows: int) -> None:
    """Write a register of ``rows`` notifications."""
    with path.open("w", encoding="utf-8") as out:
        out.write(HEAD)
        for start in range(0, rows, 10_000):
            out.write(
                "".join(
                    NOTE.format(
                        recipient=RECIPIENT.format(inn=n % 50),
                        n=n,
                        amount=100 + n % 900_000,
                        ident=IDENTIFICATION[n % 3].format(n=n % 1_000_000),
                    )
                    for n in range(start, min(rows, start + 10_000))
                )
            )
        out.write(TAIL)


def measure(path: str, xsd_dir: str) -> None:
    """Child process: parse the file, print rows, errors, seconds and peak RSS."""
    sys.path.insert(0, str(ROOT))
    from parsers.gis_xml import GisXmlParser

    parser = GisXmlParser(Path(xsd_dir) if xsd_dir else None)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    rows = errors = 0
    for chunk in parser.parse(Path(path)):
        rows += len(chunk.payments)
        errors += len(chunk.errors)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
    print(f"{rows}\t{errors}\t{seconds:.2f}\t{after.ru_maxrss / 1024:.0f}\t{cpu:.2f}")


def run(path: Path, xsd_dir: Path | None) -> tuple[int, int, float, float, float]:
    """Measure in a fresh interpreter so peak RSS belongs to this parse only."""
    argv = [sys.executable, __file__, "--child", str(path), str(xsd_dir or "")]
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout.split("\t")
    return int(out[0]), int(out[1]), float(out[2]), float(out[3]), float(out[4])


def main() -> None:
    """Generate, parse, report."""
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        measure(sys.argv[2], sys.argv[3])
        return
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--rows", type=int, default=1_000_000)
    args.add_argument("--xsd-rows", type=int, default=100_000)
    args.add_argument("--xsd-dir", type=Path, default=DEFAULT_XSD)
    opts = args.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cases = [(opts.rows, None, "no XSD"), (opts.xsd_rows, opts.xsd_dir, "XSD")]
        for rows, xsd, label in cases:
            if rows <= 0:
                continue
            path = Path(tmp) / f"gis_{rows}.xml"
            started = time.perf_counter()
            generate(path, rows)
            size_mb = path.stat().st_size / 2**20
            print(f"generated {rows:,} notifications, {size_mb:.0f} MiB in {time.perf_counter() - started:.1f} s")
            load = os.getloadavg()[0]
            got, errors, seconds, peak, cpu = run(path, xsd)
            rate = got / seconds if seconds else 0
            print(
                f"{label:7s} {rows:>9,} notifications: {seconds:6.2f} s ({rate:,.0f}/s, CPU {cpu:.1f} s), "
                f"{got:,} payments, {errors:,} errors, peak RSS {peak:,.0f} MiB; "
                f"load average {load:.2f} before, {os.getloadavg()[0]:.2f} after"
            )
            path.unlink()


if __name__ == "__main__":
    main()
