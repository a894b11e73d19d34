"""The synthetic day generator: determinism, every file readable by its parser, the manifest true."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from domain.identifiers import bank_account, inn
from domain.records import LineError
from parsers.base import read_head
from parsers.charges import read_charges, read_suppliers
from rkc.config import default_config_text, parse_config
from synthetic import GeneratedDay, generate
from synthetic.multiservice import SPLIT_ERROR, service_pairs
from synthetic.world import make_accounts, make_suppliers, make_world, month_before

ACCOUNTS, PAYMENTS = 150, 400
CHANNELS = ["sber", "sber", "sber", "rshb", "online", "portal", "gis"]  # the registers' folders, in order


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
    registers = {p.relative_to(day.dir).as_posix() for p in day.registers}
    assert len(registers) == len(CHANNELS) and registers <= set(first)  # every register is byte-identical again
    other_registers = {p.relative_to(other.dir).as_posix() for p in other.registers}
    assert other_registers <= changed  # ... and another seed changes each of them


def test_files_written_a_slice_at_a_time_are_the_same_files(tmp_path: Path, day: GeneratedDay,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # Written whole, 3M accounts' charges export and 10M payments' ГИС ЖКХ notifications overflowed
    # an Arrow string array (2 GiB).
    import synthetic.gis
    import synthetic.world

    monkeypatch.setattr(synthetic.world, "CHARGES_SLICE", 97)
    monkeypatch.setattr(synthetic.gis, "GIS_SLICE", 13)
    sliced = generate(tmp_path / "sliced", accounts=ACCOUNTS, payments=PAYMENTS, seed=7)
    assert _digest(sliced.dir) == _digest(day.dir)
    assert len(day.charges_csv.read_bytes().splitlines()) > 3 * 97
    gis = next(p for p in day.registers if p.parent.name == "gis")
    assert gis.read_bytes().count(b"<pay:NotificationOfOrderExecutionType>") > 3 * 13


def test_default_configuration_has_a_channel_for_every_shipped_format(tmp_path: Path) -> None:
    from parsers.text import builtin_dialects

    config = parse_config(yaml.safe_load(default_config_text()), tmp_path)
    kinds = {(c.format, c.dialect) for c in config.channels.values()}
    shipped = {("text", d) for d in builtin_dialects()} | {("xlsx", "xlsx_portal"), ("gis_xml", None)}
    assert kinds == shipped | {("statement", None)}  # and the payers' own п/п
    agents = [c for c in config.channels.values() if not c.direct and not c.money_from]
    # ГИС ЖКХ pays no п/п: the bank's п/п carries the money of its notifications (docs/RULES.md)
    assert [(c.name, c.money_from, c.agent_inn) for c in config.channels.values() if c.money_from] == [
        ("gis", "sber", "")]  # fmt: skip
    for c in agents:
        assert c.agent_name and inn.is_valid(c.agent_inn), c
        assert len(c.agent_account) == 20 and c.agent_account.isdigit(), c
    # a п/п is credited to the channel whose agent sent it: no two channels may share an agent
    assert len({c.agent_inn for c in agents}) == len(agents)
    assert len({c.agent_account for c in agents}) == len(agents)
    assert len({c.priority for c in config.channels.values()}) == len(config.channels)
    direct = config.channels[config.direct_channel or ""]
    assert direct.name == "direct" and not (direct.agent_inn or direct.agent_account)


def test_layout_and_channels(day: GeneratedDay, manifest: dict) -> None:
    assert [p.parent.name for p in day.registers] == CHANNELS
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


def _parser(register_format: str, samples: Path):
    """The parser of a manifest's ``format`` (``text:<dialect>``, ``xlsx:<profile>``, ``gis_xml``)."""
    from parsers.registry import build_parser

    kind, _, dialect = register_format.partition(":")
    fmt = (kind, dialect or None)
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


@pytest.mark.parametrize("index", range(len(CHANNELS)))
def test_every_register_parses_and_ties(day: GeneratedDay, manifest: dict, index: int, samples_dir: Path) -> None:
    reg = manifest["registers"][index]
    path = day.dir / reg["file"]
    parser = _parser(reg["format"], samples_dir)
    assert parser.identify(path, read_head(path))
    payments, errors, declared = _parse(parser, path)
    planted = sorted((w["line"], w["amount"]) for key in ("malformed", "service_split")
                     for w in manifest["defects"][key]["where"] if w["file"] == reg["file"])  # fmt: skip
    assert [(e.line_no, e.amount) for e in errors] == planted
    assert len(payments) + len(errors) == reg["lines"]
    assert int(payments["amount"].sum()) + sum(e.amount or 0 for e in errors) == reg["amount"]
    assert int(payments["commission"].fillna(0).sum()) <= reg["commission"]
    if not reg["declared"]:  # ГИС ЖКХ and the "|" register carry no control totals
        assert declared == []
        return
    (totals,) = declared
    tied = totals.count == reg["lines"] and totals.amount == reg["amount"]
    assert tied == (reg["expected_status"] == "ok")
    if reg["expected_status"] == "ok":
        assert totals.commission == reg["commission"]
        assert totals.transfer in (None, reg["transfer"])  # the portal's Итого has no transfer column
    if "payment_order_number" in reg["declared"]:
        assert (totals.payment_order_number, totals.payment_order_date.isoformat()) == (
            reg["payment_order"]["number"], reg["payment_order"]["date"])  # fmt: skip


def test_each_register_is_identified_by_its_own_parser_only(day: GeneratedDay, manifest: dict,
                                                            samples_dir: Path) -> None:  # fmt: skip
    import yaml

    from parsers.text import DIALECTS_DIR

    shipped = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")).get("format", "text")
               for p in sorted(DIALECTS_DIR.glob("*.yaml"))}  # fmt: skip
    formats = [f"{kind}:{stem}" for stem, kind in shipped.items()] + ["gis_xml"]
    parsers = {f: _parser(f, samples_dir) for f in formats}
    written = {r["format"] for r in manifest["registers"]}
    assert written <= set(formats) and {f.partition(":")[0] for f in written} >= {"text", "xlsx", "gis_xml"}
    for reg in manifest["registers"]:
        path = day.dir / reg["file"]
        head = read_head(path)
        assert [f for f, parser in parsers.items() if parser.identify(path, head)] == [reg["format"]], reg["file"]


def test_multiservice_split_follows_the_receipt(day: GeneratedDay, manifest: dict, samples_dir: Path) -> None:
    (reg,) = [r for r in manifest["registers"] if r["format"] == "text:sber_multiservice"]
    payments, errors, _ = _parse(_parser(reg["format"], samples_dir), day.dir / reg["file"])
    assert [e.reason for e in errors] == ["service amounts do not add up to the amount"]
    assert manifest["defects"]["service_split"]["count"] == 1
    pairs = payments[["line_no", "account", "period", "amount", "services"]].explode("services")
    pairs["service"], pairs["paid"] = pairs["services"].str[0], pairs["services"].str[1].astype("int64")
    pairs["first"] = ~pairs["line_no"].duplicated()
    lines = read_charges(day.charges_csv).lines[["account", "period", "service", "amount"]]
    totals = lines.groupby(["account", "period"])["amount"].sum().rename("owed_total").reset_index()
    got = pairs.merge(lines, on=["account", "period", "service"], how="left").merge(totals, on=["account", "period"])
    assert got["amount_y"].notna().all()  # every service is a line of the receipt (ЛС and period)
    assert not got.duplicated(["line_no", "service"]).any()
    over = got["amount_x"] > got["owed_total"]
    assert (got["paid"] > 0).all()
    assert (got.loc[~(over & got["first"]), "paid"] <= got.loc[~(over & got["first"]), "amount_y"]).all()
    full = got[got["amount_x"] == got["owed_total"]]
    assert len(full) and (full["paid"] == full["amount_y"]).all()  # a full payment pays each line in full
    per_payment = got.groupby("line_no").agg(paid=("paid", "sum"), amount=("amount_x", "first"))
    assert (per_payment["paid"] == per_payment["amount"]).all()
    assert {"partial", "full"} <= {k for k, v in reg["by_kind"].items() if v}


def test_planted_defects_are_where_the_manifest_says(day: GeneratedDay, manifest: dict, samples_dir: Path) -> None:
    frames = {}
    for reg in manifest["registers"]:
        payments, _, _ = _parse(_parser(reg["format"], samples_dir), day.dir / reg["file"])
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
        assert (marker in text) == (reg["file"] != late and reg["money_from"] is None)
        if reg["file"] != late:
            assert f"Номер={reg['payment_order']['number']}\r\n" in text
    assert st["incoming"] == _incoming(manifest) and st["incoming_documents"] == len(manifest["registers"]) - 1


def _incoming(manifest: dict) -> int:
    """Σ of the registers' п/п in the statement, each once (a ГИС ЖКХ register's money rides in its bank's)."""
    orders = {r["payment_order"]["number"]: r["payment_order"]["amount"] for r in manifest["registers"]
              if r["payment_order"]["in_statement"]}  # fmt: skip
    return sum(orders.values())


def test_gis_money_comes_by_the_banks_transfer(day: GeneratedDay, manifest: dict) -> None:
    """The default shape (``money_from: sber``): no п/п from ГИС ЖКХ; Sber pays the notifications'
    money by a п/п of its own, less the payment its register lists too (the bank's copy is kept)."""
    (gis,) = [r for r in manifest["registers"] if r["channel"] == "gis"]
    (copy,) = manifest["defects"]["cross_channel"]["copy"]
    assert gis["money_from"] == "sber" and copy["file"] == gis["file"]
    assert gis["payment_order"]["amount"] == gis["transfer"] - copy["amount"]
    text = day.statements[0].read_bytes().decode("cp1251")
    (doc,) = [d for d in text.split("СекцияДокумент=")[1:] if f"Номер={gis['payment_order']['number']}\r\n" in d]
    assert "ПлательщикИНН=7707083893\r\n" in doc and "по извещениям ГИС ЖКХ" in doc  # Sber's, not ГИС ЖКХ's


def test_bridge_of_expected_amounts(manifest: dict) -> None:
    e = manifest["expected"]
    assert e["amount_total"] == sum(r["amount"] for r in manifest["registers"])
    parts = (e["posted_amount"] + e["quarantined"]["amount"] + e["rejected"]["amount"] + e["duplicates"]["amount"]
             + e["suspense"]["amount"])  # fmt: skip
    assert parts == e["amount_total"]
    assert e["quarantined"]["registers"] == 1 and e["duplicates"]["lines"] == 2
    assert e["rejected"]["lines"] == manifest["defects"]["malformed"]["count"] + manifest["defects"]["service_split"][
        "count"] == 2  # fmt: skip


def test_too_few_payments_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least"):
        generate(tmp_path, accounts=50, payments=5)


def test_service_pairs_full_partial_over_and_spoilt() -> None:
    rng = np.random.default_rng(3)
    world = make_world(rng, make_suppliers(rng, 40), make_accounts(rng, 40), month_before(date(2026, 11, 20)))
    doc = np.array([0, 1, 2, 0])
    total = world.doc_total[doc]
    amount = np.array([total[0], total[1] // 3, total[2] + 12_345, total[3]])
    texts = service_pairs(world, doc, amount, np.array([False, False, False, True])).to_pylist()

    def owed(d: int) -> list[tuple[str, int]]:
        sel = np.flatnonzero(world.line_doc == d)
        return list(zip(world.line_service.take(sel).to_pylist(), world.line_amount[sel].tolist(), strict=True))

    def parsed(text: str) -> list[tuple[str, int]]:
        fields = text.split(";")
        return [(c, int(a.replace(",", ""))) for c, a in zip(fields[::2], fields[1::2], strict=True)]

    assert parsed(texts[0]) == owed(0)  # full: every line as billed
    partial = parsed(texts[1])  # the receipt's lines in order until the money runs out
    assert sum(a for _, a in partial) == amount[1] and partial[:-1] == owed(1)[: len(partial) - 1]
    assert partial[-1][0] == owed(1)[len(partial) - 1][0] and 0 < partial[-1][1] <= owed(1)[len(partial) - 1][1]
    over = parsed(texts[2])  # every line, the excess on the first (the managing company's)
    assert over[1:] == owed(2)[1:] and over[0] == (owed(2)[0][0], owed(2)[0][1] + 12_345)
    spoilt = parsed(texts[3])
    assert sum(a for _, a in spoilt) == amount[3] + SPLIT_ERROR and spoilt[1:] == owed(0)[1:]


def test_a_tiny_center_writes_only_registers_with_lines(tmp_path: Path, samples_dir: Path) -> None:
    day = generate(tmp_path, accounts=5, payments=20, seed=2)  # too few accounts for every channel
    manifest = json.loads(day.manifest.read_text(encoding="utf-8"))
    assert manifest["expected"]["payment_lines"] == sum(r["lines"] for r in manifest["registers"])
    for reg in manifest["registers"]:
        assert reg["lines"] > 0
        payments, errors, _ = _parse(_parser(reg["format"], samples_dir), day.dir / reg["file"])
        assert len(payments) + len(errors) == reg["lines"]


def test_channels_missing_from_the_configuration_get_no_register(tmp_path: Path) -> None:
    data = yaml.safe_load(default_config_text())
    data["channels"] = {k: v for k, v in data["channels"].items() if k in ("sber", "portal", "gis")}
    (tmp_path / "rkc.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    day = generate(tmp_path, accounts=ACCOUNTS, payments=PAYMENTS, seed=7)
    assert [p.parent.name for p in day.registers] == ["sber", "sber", "sber", "portal", "gis"]
    manifest = json.loads(day.manifest.read_text(encoding="utf-8"))
    assert manifest["defects"]["service_split"]["count"] == 0 and manifest["expected"]["rejected"]["lines"] == 1


def test_the_day_pays_by_every_method_of_the_seed_but_the_direct_transfer(
    tmp_path: Path, day: GeneratedDay, manifest: dict, samples_dir: Path
) -> None:
    """Each register read by its channel of the default configuration (the fields it places, its map):
    every method but the direct transfer (a channel of its own), no value the channel does not know;
    the portal's scans carry payloads that name the payer where the ЛС cell is empty."""
    from domain.methods import PaymentMethod, resolve_methods
    from parsers.registry import build_parser

    config = parse_config(yaml.safe_load(default_config_text()), tmp_path)
    xsd = samples_dir / "gis-zhkh-xsd-14.4.0.1"
    found: set[str] = set()
    for reg in manifest["registers"]:
        channel = config.channels[reg["channel"]]
        parser = build_parser(channel.format, channel.dialect, xsd if xsd.is_dir() else None, channel.method.fields)
        payments, _, _ = _parse(parser, day.dir / reg["file"])
        read = resolve_methods(payments["method_raw"], channel.method.map, has_qr=payments["qr"].notna().to_numpy())
        assert read.unknown == (), reg["file"]
        found |= set(read.methods)
        if reg["channel"] == "portal":
            scanned = payments[payments["qr"].notna()]
            assert len(scanned) and scanned["account_raw"].notna().all()  # the payload names the ЛС the cell lacks
            assert set(scanned["qr_flag"].dropna()) <= {"QR_MISMATCH", "QR_UNREADABLE"}
    assert found == {m.value for m in PaymentMethod} - {PaymentMethod.DIRECT_TRANSFER.value}
