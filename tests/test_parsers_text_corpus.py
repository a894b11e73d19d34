"""Golden corpus of text registers in the shapes banks send: one dialect file beside each sample.

``tests/data/registers/text_shapes/<name>.(txt|csv)`` is read by ``<name>.yaml`` beside it; the
parse is pinned in ``<sample>.golden.json`` (``tests.golden``; regenerate with RKC_REGEN_GOLDEN=1
and review the diff). Each sample must also account for every line and parse the same in blocks
of a few bytes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers.base import pick_parser
from parsers.census import count_records
from parsers.dialect import load_dialect
from parsers.text import DIALECTS_DIR, TextRegisterParser, builtin_dialects
from tests.golden import check_golden, parsed_summary

CORPUS = Path(__file__).resolve().parent / "data" / "registers" / "text_shapes"
SAMPLES = sorted(p for p in CORPUS.iterdir() if p.suffix in (".txt", ".csv"))


def parser(sample: Path, **kwargs: int) -> TextRegisterParser:
    """The parser of the dialect beside ``sample``."""
    return TextRegisterParser(load_dialect(sample.with_suffix(".yaml")), **kwargs)


def test_corpus_is_there() -> None:
    assert len(SAMPLES) >= 6


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_golden(sample: Path) -> None:
    summary = parsed_summary(parser(sample), sample)
    check_golden(summary, sample)
    lines = len(summary["payments"]) + sum(summary["non_payments"].values()) + len(summary["rejected"])
    assert lines == count_records(sample)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_small_blocks_give_the_same_parse(sample: Path) -> None:
    whole = parsed_summary(parser(sample), sample)
    assert parsed_summary(parser(sample, block_bytes=11, workers=1), sample) == whole


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_each_sample_is_claimed_by_its_dialect_alone(sample: Path) -> None:
    shipped = [TextRegisterParser(load_dialect(DIALECTS_DIR / f"{n}.yaml")) for n in builtin_dialects()]
    corpus = [parser(s) for s in SAMPLES]
    assert pick_parser(sample, [*shipped, *corpus]).name == f"text:{sample.stem}"
