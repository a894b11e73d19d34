"""`rkc qr UIP`: the receipt payload of a stored ПД (SQLite and PostgreSQL), read back by the
parser a bank's app would use, and its PNG."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
import segno
from typer.testing import CliRunner

from domain.qr import parse
from rkc.app import import_charges_files
from rkc.cli import app
from rkc.config import load_config

IPD = "26АА000101-01-1026"
HOUSE = "00000012345620261001"
CHARGES = (
    "uip;account;period;supplier_inn;service;amount;payer;address\n"
    f"{IPD};000012345678;2026-10;7707083893;содержание жилого помещения;900.00;ИВАНОВ И.И.;УЛ ЛЕНИНА 1-2\n"
    f"{IPD};000012345678;2026-10;7830002293;электроэнергия;600,55;ИВАНОВ И.И.;УЛ ЛЕНИНА 1-2\n"
    f"{HOUSE};123456;2026-10;7707083893;содержание жилого помещения;1200.00;ПЕТРОВ П.П.;УЛ МИРА 3-4\n"
)
SUPPLIERS = (
    "inn;name;kpp;bank_account;bic;email\n"
    "7707083893;ООО «УК Ипатово»;770701001;40702810400000000001;044525225;uk@example.ru\n"
    "7830002293;АО «Энергосбыт»;783001001;40702810500000000002;044525225;es@example.ru\n"
)


def run(*args: str) -> object:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def home(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RKC_DATABASE_URL", db_url)
    root = tmp_path / "home"
    assert run("init", "--home", str(root)).exit_code == 0
    (tmp_path / "charges.csv").write_text(CHARGES, encoding="utf-8")
    (tmp_path / "suppliers.csv").write_text(SUPPLIERS, encoding="utf-8")
    import_charges_files(load_config(root), tmp_path / "charges.csv", tmp_path / "suppliers.csv")
    return root


def _set_center(home: Path, account: str = "40702810938000000001") -> None:
    settings = home / "rkc.yaml"
    text = settings.read_text(encoding="utf-8").replace('"40702810900000000001"', f'"{account}"')
    settings.write_text(text.replace('inn: "7701234560"', 'inn: "7707083893"'), encoding="utf-8")


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    header = data[16:29]
    assert zlib.crc32(b"IHDR" + header) == struct.unpack(">I", data[29:33])[0]
    return struct.unpack(">II", header[:8])


def test_the_payload_of_a_document_with_an_ipd_and_its_png(home: Path, tmp_path: Path) -> None:
    _set_center(home)
    png = tmp_path / "qr" / "receipt.png"
    result = run("qr", IPD, "--png", str(png), "--home", str(home))
    assert result.exit_code == 0, result.output
    payload = result.stdout.splitlines()[0]
    qr = parse(payload)  # with every identifier check, the ИПД in UIN included
    assert (qr.uin, qr.pers_acc, qr.paym_period, qr.sum_kopecks, qr.tech_code) == (IPD, "000012345678", "102026",
                                                                                 150055, "02")  # fmt: skip
    assert (qr.name, qr.personal_acc, qr.bic) == ("РКЦ", "40702810938000000001", "044525225")
    assert qr.payee_inn == "7707083893"
    assert qr.extra["Category"] == "ЖКУ" and "ЛС 000012345678" in qr.purpose
    width, height = _png_size(png.read_bytes())
    modules = segno.make(payload, error="m", encoding="utf-8", boost_error=False).symbol_size(scale=4, border=4)
    assert (width, height) == modules


def test_a_document_without_an_ipd_has_no_uin(home: Path) -> None:
    _set_center(home)
    result = run("qr", HOUSE, "--home", str(home))
    assert result.exit_code == 0, result.output
    qr = parse(result.stdout.splitlines()[0])
    assert qr.uin is None and qr.pers_acc == "123456" and qr.sum_kopecks == 120000


@pytest.mark.parametrize(
    ("uip", "account", "message"),
    [
        ("NO-SUCH-UIP", "40702810938000000001", "no ПД with УИП"),
        (IPD, "40702810900000000001", "do not make a valid payment"),  # rkc init's placeholder account
    ],
)
def test_refusals_are_one_line(home: Path, uip: str, account: str, message: str) -> None:
    _set_center(home, account)
    result = run("qr", uip, "--home", str(home))
    assert result.exit_code == 2 and message in result.output
