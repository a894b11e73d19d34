"""The synthetic day generator: determinism, every file readable by its parser, the manifest true."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest

from domain.identifiers import bank_account, inn
from domain.records import LineError
from parsers.base import read_head
from parsers.charges import read_charges, read_suppliers
from rkc.generator import GeneratedDay, generate

ACCOUNTS, PAYMENTS = 150, 400


def _digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}  # fmt: skip


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> GeneratedDay:
    return generate(tmp_path_factory.mktemp("day"), accounts=ACCOUNTS, payments=PAYMENTS, seed=7)


@pytest.fixture(scope="module")
def manifest(day: GeneratedDay) -> dict:
    return json.loads(day.manifest.read_text(encoding="utf-8"))


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path, day: GeneratedDay) -> None:
    again = generate(tmp_path / "again", accounts=ACCOUNTS, payments=PAYMENTS, seed=7)
    other = generate(tmp_path / "other", accounts=ACCOUNTS, payments=PAYMENTS, seed=8)
    first = _digest(day.dir)
    assert _digest(again.dir) == first
    changed = {k for k, v in _digest(other.dir).items() if first.get(k) != v}
    assert {"charges.csv", "suppliers.csv", "manifest.json"} <= changed


def test_layout_and_channels(day: GeneratedDay, manifest: dict) -> None:
    assert [p.parent.name for p in day.registers] == ["sber", "sber", "sber", "portal", "gis"]
    assert [p.parent.name for p in day.statements] == ["statements"]
    assert all(p.is_relative_to(day.dir / "inbox") for p in day.registers + day.statements)
    assert sum(r["lines"] for r in manifest["registers"]) == PAYMENTS == manifest["expected"]["payment_lines"]


def test_suppliers_valid_inn_and_accounts(day: GeneratedDay, manifest: dict) -> None:
    suppliers, errors = read_suppliers(day.suppliers_csv)
    assert errors == ()
    assert 6 <= len(suppliers) == manifest["suppliers"]["count"] <= 20
    for s in suppliers:
        assert inn.is_valid(s.inn), s
        assert bank_account.is_valid(s.bank_account, s.bic), s
        assert "@" in s.email and s.kpp.startswith(s.inn[:4])
    assert inn.is_valid(manifest["center"]["inn"])


def test_charges_import_cleanly(day: GeneratedDay, manifest: dict) -> None:
    charges = read_charges(day.charges_csv)
    facts = manifest["charges"]
    assert charges.errors == ()
    assert len(charges.lines) == facts["lines"]
    assert int(charges.lines["amount"].sum()) == facts["amount"]
    assert charges.lines["uip"].nunique() == facts["documents"]
    assert charges.lines["uip"].str.len().max() <= 32
    per_doc = charges.lines.groupby("uip")["supplier_inn"].agg(["size", "nunique"])
    assert per_doc["size"].between(2, 5).all() and (per_doc["size"] == per_doc["nunique"]).all()
    assert set(charges.lines["period"]) == {manifest["billing_period"], manifest["previous_period"]}
    assert (charges.lines["uip"].str.len() == 18).any()  # ГИС ЖКХ ИПД for a share of accounts
    assert charges.lines["account_raw"].str.startswith("0").any()


def _parser(channel: str, samples: Path):
    from parsers.registry import build_parser

    fmt = {"sber": ("text", "sber_classic"), "portal": ("xlsx", "xlsx_portal"), "gis": ("gis_xml", None)}[channel]
    if fmt[0] == "text" and importlib.util.find_spec("parsers.text") is None:
        pytest.skip("the text register parser (parsers/text.py) is not in the tree yet")
    if fmt[0] == "xlsx" and importlib.util.find_spec("parsers.xlsx") is None:
        pytest.skip("the XLSX register parser (parsers/xlsx.py) is not in the tree yet")
    xsd = samples / "gis-zhkh-xsd-14.4.0.1"
    return build_parser(*fmt, xsd if fmt[0] == "gis_xml" and xsd.is_dir() else None)


def _parse(parser, path: Path) -> tuple[pd.DataFrame, list[LineError], list]:
    chunks = list(parser.parse(path))
    payments = pd.concat([c.payments for c in chunks], ignore_index=True)
    return payments, [e for c in chunks for e in c.errors], [c.declared for c in chunks if c.declared]


@pytest.mark.parametrize("index", range(5))
def test_every_register_parses_and_ties(day: GeneratedDay, manifest: dict, index: int, samples_dir: Path) -> None:
    reg = manifest["registers"][index]
    path = day.dir / reg["file"]
    parser = _parser(reg["channel"], samples_dir)
    assert parser.identify(path, read_head(path))
    payments, errors, declared = _parse(parser, path)
    malformed = [w for w in manifest["defects"]["malformed"]["where"] if w["file"] == reg["file"]]
    assert [(e.line_no, e.amount) for e in errors] == [(w["line"], w["amount"]) for w in malformed]
    assert len(payments) + len(errors) == reg["lines"]
    assert int(payments["amount"].sum()) + sum(e.amount or 0 for e in errors) == reg["amount"]
    if reg["channel"] == "gis":
        assert declared == []
        return
    (totals,) = declared
    tied = totals.count == reg["lines"] and totals.amount == reg["amount"]
    assert tied == (reg["expected_status"] == "ok")
    if reg["expected_status"] == "ok":
        assert totals.commission == reg["commission"]
    if reg["channel"] == "sber":
        assert (totals.payment_order_number, totals.payment_order_date.isoformat()) == (
            reg["payment_order"]["number"], reg["payment_order"]["date"])  # fmt: skip


def test_planted_defects_are_where_the_manifest_says(day: GeneratedDay, manifest: dict, samples_dir: Path) -> None:
    frames = {}
    for reg in manifest["registers"]:
        payments, _, _ = _parse(_parser(reg["channel"], samples_dir), day.dir / reg["file"])
        frames[reg["file"]] = payments.set_index("line_no")
    d = manifest["defects"]

    def row(where: dict) -> pd.Series:
        got = frames[where["file"]].loc[where["line"]]
        assert (got["operation_id"], int(got["amount"])) == (where["operation_id"], where["amount"])
        return got

    for w in d["no_period"]["where"]:
        assert pd.isna(row(w)["period"])
    a, b = (row(w) for w in d["identical"]["where"])
    assert a.drop("raw").equals(b.drop("raw")) and a["raw"] == b["raw"]
    (dup,), (orig,) = d["duplicate"]["where"], d["duplicate"]["original"]
    assert dup["file"] != orig["file"] and row(dup)["raw"] == row(orig)["raw"]
    (bank,), (note,) = d["cross_channel"]["where"], d["cross_channel"]["copy"]
    sber, gis = row(bank), row(note)
    assert (sber["paid_date"], sber["amount"]) == (gis["paid_date"], gis["amount"])
    assert gis["uip"] == d["cross_channel"]["uip"][0] or gis["account"] == sber["account"]
    known = set(read_charges(day.charges_csv).lines["account"])
    assert all(row(w)["account"] not in known for w in d["unknown_account"]["where"])
    raws = [row(w)["account_raw"] for w in d["account_zeros"]["where"]]
    assert all(r.lstrip("0") in known for r in raws)
    assert d["partial"]["count"] > 0 and d["over"]["count"] > 0


def test_statement_ties_and_names_each_register(day: GeneratedDay, manifest: dict) -> None:
    text = day.statements[0].read_bytes().decode("cp1251")
    assert text.startswith("1CClientBankExchange\r\n") and text.endswith("КонецФайла\r\n")
    assert "Кодировка=Windows" in text
    fields = dict(line.split("=", 1) for line in text.split("\r\n")[1:19] if "=" in line)
    st = manifest["statements"][0]

    def kop(v: str) -> int:
        whole, frac = v.split(".")
        return int(whole) * 100 + int(frac)

    assert kop(fields["НачальныйОстаток"]) + kop(fields["ВсегоПоступило"]) - kop(fields["ВсегоСписано"]) == kop(
        fields["КонечныйОстаток"]) == st["closing"]  # fmt: skip
    assert fields["РасчСчет"] == manifest["center"]["bank_account"]
    late = manifest["defects"]["late_transfer"]["file"]
    for reg in manifest["registers"]:
        marker = f"по реестру № {reg['register_no']} от "
        assert (marker in text) == (reg["file"] != late)
        if reg["file"] != late:
            assert f"Номер={reg['payment_order']['number']}\r\n" in text
    incoming = sum(r["transfer"] for r in manifest["registers"] if r["file"] != late)
    assert st["incoming"] == incoming and st["incoming_documents"] == len(manifest["registers"]) - 1


def test_bridge_of_expected_amounts(manifest: dict) -> None:
    e = manifest["expected"]
    assert e["amount_total"] == sum(r["amount"] for r in manifest["registers"])
    parts = (e["posted_amount"] + e["quarantined"]["amount"] + e["rejected"]["amount"] + e["duplicates"]["amount"]
             + e["suspense"]["amount"])  # fmt: skip
    assert parts == e["amount_total"]
    assert e["quarantined"]["registers"] == 1 and e["duplicates"]["lines"] == 2


def test_too_few_payments_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least"):
        generate(tmp_path, accounts=50, payments=5)
