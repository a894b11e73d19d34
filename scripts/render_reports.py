#!/usr/bin/env python3
"""Render the first printed page of a night's discrepancy report (its «Сводка» sheet) and of one
supplier statement to PNG through LibreOffice, as an accountant's printer would see them.

    .venv/bin/python scripts/render_reports.py [--home DIR] [--out docs/img]

Without --home it runs `rkc demo` in a temporary folder first. The workbook is printed to PDF by
LibreOffice (so the sheets' print setup applies: landscape, one page wide, the header repeated)
and the PDF's first page drawn by poppler's pdftoppm. Needs both (Debian: apt-get install -y
--no-install-recommends libreoffice-calc poppler-utils); LibreOffice runs headless with a profile
of its own in a temporary folder, so a desktop LibreOffice is not disturbed.
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


def first_page_png(xlsx: Path, target: Path, scratch: Path, height: int = 620) -> Path:
    """The first printed page of ``xlsx`` (its first sheet, with the sheet's print setup) as
    ``target``: its top ``height`` pixels at 150 dpi."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    pdftoppm = shutil.which("pdftoppm")
    if soffice is None or pdftoppm is None:
        sys.exit("needs LibreOffice and poppler: apt-get install -y libreoffice-calc poppler-utils")
    profile = scratch / "lo-profile"
    outdir = scratch / "pdf"
    russian = {**os.environ, "LANG": "ru_RU.UTF-8", "LC_ALL": "ru_RU.UTF-8"}  # amounts as 1 234,56
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",  # noqa: S603
                    "--outdir", str(outdir), str(xlsx)], check=True, capture_output=True, timeout=300,
                   env=russian)  # fmt: skip
    target.parent.mkdir(parents=True, exist_ok=True)
    stem = target.with_suffix("")
    # The page's upper part at 150 dpi: A4 landscape is 1754 × 1240 pixels; a night's summary and a
    # statement's first sheet fill its top.
    subprocess.run([pdftoppm, "-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile", "-x", "0", "-y", "0",  # noqa: S603
                    "-W", "1754", "-H", str(height), str(outdir / f"{xlsx.stem}.pdf"), str(stem)], check=True,
                   timeout=120)  # fmt: skip
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
            env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "RKC_"))}
            env |= {"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
            rkc = Path(sys.executable).parent / "rkc"
            demo = [str(rkc), "demo", "--dir", str(home), "--accounts", "300", "--payments", "2000"]
            subprocess.run(demo, check=True, env=env, stdout=subprocess.DEVNULL, timeout=900)  # noqa: S603
        report = max((home / "out").glob("*/discrepancies-*.xlsx"))
        statement = min((home / "out" / "statements").rglob("statement-*.xlsx"))
        for source, name in ((report, "report-summary.png"), (statement, "statement.png")):
            print(first_page_png(source, args.out / name, scratch))


if __name__ == "__main__":
    main()
