"""The register corpus (tests/data/corpus/) against its manifest: container and record count of
every sample, the manifest's own arithmetic, and that the committed files are the generator's.

The parsers are not run here: golden tests come when the dialect keys the corpus needs exist
(docs/CORPUS.md). What runs today is the dialect-free side of the record check: the container
told from magic bytes and ``parsers.census.count_records``.
"""

from __future__ import annotations

import importlib.util
import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from parsers.census import count_records
from parsers.container import Container, sniff_file, workbook_kind
from tests.corpus_build import BINARY_SAMPLES, CORPUS, differing

MANIFEST = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
SAMPLES = MANIFEST["samples"]
IDS = [s["file"] for s in SAMPLES]
KINDS = {"blank", "comment", "title", "header", "column_numbers", "footer", "totals", "note", "deleted", "continuation"}


@pytest.mark.parametrize("sample", SAMPLES, ids=IDS)
def test_container_from_magic_bytes(sample: dict) -> None:
    """Each sample's container is what its bytes say, whatever its extension (.xls may be HTML)."""
    path = CORPUS / sample["file"]
    assert sniff_file(path) is Container(sample["container"])
    if sample["container"] == "zip":
        assert workbook_kind(path) == sample["workbook"]


@pytest.mark.parametrize("sample", SAMPLES, ids=IDS)
def test_record_count(sample: dict) -> None:
    """The dialect-free record count equals the count worked out by hand for the manifest."""
    assert count_records(CORPUS / sample["file"]) == sample["records"]


@pytest.mark.parametrize("sample", SAMPLES, ids=IDS)
def test_manifest_accounts_for_every_record(sample: dict) -> None:
    """records = payments + non-payments + rejected, and the listed amounts add up to the stated sum."""
    assert set(sample["non_payments"]) <= KINDS
    accounted = sample["payments"] + sum(sample["non_payments"].values()) + len(sample["rejected"])
    assert accounted == sample["records"]
    amounts = [Decimal(a) for a in sample["payment_amounts"]]
    assert len(amounts) == sample["payments"]
    assert sum(amounts, Decimal("0.00")) == Decimal(sample["payment_amount"])
    for rejected in sample["rejected"]:
        assert 1 <= rejected["record"] <= sample["records"]
        assert rejected["reason"]


def test_every_sample_is_in_the_manifest() -> None:
    """No register in the manifest's folders goes undescribed, and no entry points at a missing file.

    Golden and expectation files, generators and profiles beside the samples are not samples; other
    folders of tests/data/corpus/ (another branch's samples) have their own tests.
    """
    folders = {Path(name).parent for name in IDS}
    not_samples = (".golden.json", ".expected.json", ".py", ".yaml", ".md")
    on_disk = {
        str(p.relative_to(CORPUS))
        for folder in folders
        for p in (CORPUS / folder).iterdir()
        if p.is_file() and not p.name.endswith(not_samples)
    }
    assert on_disk == set(IDS)


def test_every_sample_names_a_profile_beside_it() -> None:
    """Each sample names its dialect/profile file (a YAML mapping), and every profile in the corpus is named."""
    repo = CORPUS.parents[2]
    named = set()
    for sample in SAMPLES:
        path = CORPUS / sample["profile"] if (CORPUS / sample["profile"]).is_file() else repo / sample["profile"]
        assert isinstance(yaml.safe_load(path.read_text(encoding="utf-8")), dict), sample["profile"]
        assert sample["profile_status"]
        named.add(path)
    folders = {(CORPUS / name).parent for name in IDS}
    assert {p for folder in folders for p in folder.glob("*.yaml")} <= named


def test_corpus_is_the_generators_output() -> None:
    """The committed samples are byte for byte what tests/corpus_build.py writes (the legacy .xls
    only where xlwt, needed to regenerate it, is installed)."""
    skip = set() if importlib.util.find_spec("xlwt") else {"gazprombank/reestr_kopecks.xls"}
    assert skip <= set(BINARY_SAMPLES)
    assert differing(CORPUS, skip) == []


def test_a_foreign_extension_does_not_decide_the_container() -> None:
    """Two .xls samples, two containers: the extension alone would be wrong for one of them."""
    xls = [s for s in SAMPLES if Path(s["file"]).suffix == ".xls"]
    assert {s["container"] for s in xls} == {"ole2", "html"}
    assert {sniff_file(CORPUS / s["file"]) for s in xls} == {Container.OLE2, Container.HTML}
