"""Write the register corpus (tests/data/corpus/): the committed samples are this script's output.

    .venv/bin/python -m tests.corpus_build            # rewrite every sample
    .venv/bin/python -m tests.corpus_build --check    # exit 1 if a committed sample differs

The layouts and their public sources are in docs/CORPUS.md; the expected counts and sums are in
tests/data/corpus/manifest.json, worked out by hand from the lines below, not computed here.
Regenerating the legacy .xls needs xlwt (``pip install xlwt``), nothing else outside the project.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from tests.corpus_dbf import rshb_dbf, sber_dbf
from tests.corpus_sheets import gis_template, html_xls, kopecks_xls, units_register
from tests.corpus_text import TEXT_SAMPLES

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"

BINARY_SAMPLES: dict[str, Callable[[Path], None]] = {
    "gis_gkh/oplaty.xlsx": gis_template,
    "rnkb/reestr_units.xlsx": units_register,
    "gazprombank/reestr_kopecks.xls": kopecks_xls,
    "gazprombank/web_export.xls": html_xls,
    "sber_dbf/reestr_cp866.dbf": sber_dbf,
    "rshb/reestr_cp1251.dbf": rshb_dbf,
}


def build(root: Path, skip: frozenset[str] | set[str] = frozenset()) -> list[Path]:
    """Write every sample under ``root`` but those named in ``skip``; return the paths written."""
    written = []
    for sample in TEXT_SAMPLES:
        if sample.path in skip:
            continue
        path = root / sample.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(sample.payload())
        written.append(path)
    for name, writer in BINARY_SAMPLES.items():
        if name in skip:
            continue
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        writer(path)
        written.append(path)
    return written


def differing(root: Path, skip: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Samples (but those in ``skip``) whose committed bytes differ from a fresh build or are missing."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        return [
            str(path.relative_to(fresh))
            for path in build(fresh, skip)
            if not (root / path.relative_to(fresh)).is_file()
            or (root / path.relative_to(fresh)).read_bytes() != path.read_bytes()
        ]


def main(argv: list[str]) -> int:
    """Rewrite the corpus, or with ``--check`` report the samples that differ from a fresh build."""
    if "--check" in argv:
        stale = differing(CORPUS)
        for name in stale:
            print(f"differs from a fresh build: {name}")
        return 1 if stale else 0
    for path in build(CORPUS):
        print(path.relative_to(CORPUS))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
