#!/usr/bin/env python3
"""Render the first printed page of a night's discrepancy report (its «Сводка» sheet) and of one
supplier statement to PNG through LibreOffice, as an accountant's printer would see them.

    .venv/bin/python scripts/render_reports.py [--home DIR] [--out docs/img]

Without --home it runs `rkc demo` in a temporary folder first. Needs LibreOffice's `soffice`
(Debian: apt-get install -y --no-install-recommends libreoffice-calc); it runs headless with a
profile of its own in a temporary folder, so a desktop LibreOffice is not disturbed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def first_page_png(xlsx: Path, target: Path, scratch: Path) -> Path:
    """The first printed page of ``xlsx`` (its first sheet, with the sheet's print setup) as ``target``."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        sys.exit("LibreOffice (soffice) is not installed: apt-get install -y libreoffice-calc")
    profile = scratch / "lo-profile"
    outdir = scratch / "png"
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "png",
                    "--outdir", str(outdir), str(xlsx)], check=True, capture_output=True, timeout=300)  # fmt: skip
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(outdir / f"{xlsx.stem}.png", target)
    return target


def main() -> None:
    """Parse the arguments, make a night if needed, render the two pages."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, help="a working directory with a night's out/ (default: a demo)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img", help="where the PNGs go")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rkc-render-") as tmp:
        scratch = Path(tmp)
        home = args.home
        if home is None:
            home = scratch / "demo"
            env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API", "RKC_"))}
            env |= {"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
            rkc = Path(sys.executable).parent / "rkc"
            subprocess.run([str(rkc), "demo", "--dir", str(home), "--accounts", "300", "--payments", "2000"],
                           check=True, env=env, stdout=subprocess.DEVNULL, timeout=900)  # fmt: skip
        report = max((home / "out").glob("*/discrepancies-*.xlsx"))
        statement = min((home / "out" / "statements").rglob("statement-*.xlsx"))
        for source, name in ((report, "report-summary.png"), (statement, "statement.png")):
            print(first_page_png(source, args.out / name, scratch))


if __name__ == "__main__":
    main()
