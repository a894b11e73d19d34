"""Inbox hygiene: files in transit listed (stuck ones flagged), links and other non-regular entries
quarantined without being followed, totals files paired with their registers."""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from parsers.base import BadFile
from parsers.totals_file import read_totals_file
from rkc.config import CONFIG_NAME, Config, ConfigError, init_home, load_config
from rkc.inbox import InboxState, quarantine_strays, scan_inbox
from rkc.intake import PARSED, Intake
from rkc.intake_totals import attach_totals

RUN = date(2026, 11, 20)
KBANK = """  kbank:
    format: text
    dialect: pipe_header
    totals_file: {pattern: '(?P<stem>\\d+)\\.K01', register: '{stem}.001', wait_minutes: 120}
"""


def _home(tmp_path: Path, extra: str = "") -> Config:
    config, _ = init_home(tmp_path / "home")
    path = config.home / CONFIG_NAME
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    config = load_config(config.home)
    for channel in config.channels:
        (config.inbox / channel).mkdir(parents=True, exist_ok=True)
    return config


def _aged(path: Path, minutes: int, now: float) -> Path:
    os.utime(path, (now - minutes * 60, now - minutes * 60), follow_symlinks=False)
    return path


def test_in_transit_files_stay_listed_and_old_ones_are_stuck(tmp_path: Path) -> None:
    config = _home(tmp_path)
    now = time.time()
    sber = config.inbox / "sber"
    (sber / "reestr.txt").write_text("x", encoding="utf-8")
    (sber / ".reestr2.txt.part").write_text("half", encoding="utf-8")
    _aged(sber / ".reestr2.txt.part", 5, now)
    (sber / ".reestr3.txt.part").write_text("half", encoding="utf-8")
    _aged(sber / ".reestr3.txt.part", 61, now)
    scan = scan_inbox(config, now)
    assert scan.registers == [("sber", sber / "reestr.txt")]
    states = {e.file: (e.state, e.age_minutes) for e in scan.listed}
    assert states == {".reestr2.txt.part": (InboxState.IN_TRANSIT, 5), ".reestr3.txt.part": (InboxState.STUCK, 61)}
    stuck = next(e for e in scan.listed if e.state is InboxState.STUCK)
    assert "дольше 60 мин." in stuck.detail
    assert stuck.to_dict()["state"] == "stuck"


def test_the_stuck_age_is_configured(tmp_path: Path) -> None:
    config = _home(tmp_path)
    path = config.home / CONFIG_NAME
    text = path.read_text(encoding="utf-8").replace("in_transit_max_age_minutes: 60", "in_transit_max_age_minutes: 5")
    path.write_text(text, encoding="utf-8")
    config = load_config(config.home)
    now = time.time()
    (config.inbox / "sber" / ".a").write_text("x", encoding="utf-8")
    _aged(config.inbox / "sber" / ".a", 6, now)
    assert [e.state for e in scan_inbox(config, now).listed] == [InboxState.STUCK]


def test_links_folders_and_pipes_are_quarantined_never_followed(tmp_path: Path, engine: sa.Engine) -> None:
    config = _home(tmp_path)
    sber = config.inbox / "sber"
    outside = tmp_path / "secret.txt"
    outside.write_text("not a register", encoding="utf-8")
    (sber / "link.txt").symlink_to(outside)
    (sber / "folder").mkdir()
    (sber / "folder" / "inner.txt").write_text("x", encoding="utf-8")
    os.mkfifo(sber / "pipe")
    scan = scan_inbox(config)
    assert scan.registers == [] and scan.listed == []
    entries = quarantine_strays(config, engine, scan, RUN)
    assert {e.file: e.state for e in entries} == {n: InboxState.QUARANTINED for n in ("folder", "link.txt", "pipe")}
    assert list(sber.iterdir()) == []  # nothing left unnamed
    folder = config.quarantine / RUN.isoformat() / "sber"
    assert (folder / "link.txt").is_symlink() and os.readlink(folder / "link.txt") == str(outside)
    assert outside.read_text(encoding="utf-8") == "not a register"  # the target is neither moved nor read
    assert (folder / "folder" / "inner.txt").is_file()
    reason = (folder / "link.txt.reason.txt").read_text(encoding="utf-8")
    assert reason.startswith(f"символическая ссылка (на {outside}), а не файл")
    assert "папка, а не файл" in (folder / "folder.reason.txt").read_text(encoding="utf-8")
    assert "именованный канал" in (folder / "pipe.reason.txt").read_text(encoding="utf-8")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT code, file FROM discrepancy ORDER BY file")).all()
    assert [tuple(r) for r in rows] == [("BAD_FILE", "folder"), ("BAD_FILE", "link.txt"), ("BAD_FILE", "pipe")]


def test_a_quarantined_link_does_not_overwrite_an_earlier_one(tmp_path: Path, engine: sa.Engine) -> None:
    config = _home(tmp_path)
    for target in ("a", "b"):
        (config.inbox / "sber" / "link.txt").symlink_to(tmp_path / target)
        quarantine_strays(config, engine, scan_inbox(config), RUN)
    folder = config.quarantine / RUN.isoformat() / "sber"
    assert os.readlink(folder / "link.txt") == str(tmp_path / "a")
    assert os.readlink(folder / "link.txt.1") == str(tmp_path / "b")


def test_totals_files_pair_with_their_registers(tmp_path: Path) -> None:
    config = _home(tmp_path, KBANK)
    now = time.time()
    kbank = config.inbox / "kbank"
    for name, age in [("00042.001", 10), ("00042.K01", 10), ("00043.001", 121), ("00044.001", 30),
                      ("00045.K01", 30), ("00046.K01", 200)]:  # fmt: skip
        (kbank / name).write_text("x", encoding="utf-8")
        _aged(kbank / name, age, now)
    scan = scan_inbox(config, now)
    assert scan.registers == [("kbank", kbank / "00042.001"), ("kbank", kbank / "00043.001")]  # 00043 waited enough
    assert scan.totals == {str(kbank / "00042.001"): str(kbank / "00042.K01")}
    assert {e.file: e.state for e in scan.listed} == {"00044.001": InboxState.WAITING_FOR_TOTALS,
                                                      "00045.K01": InboxState.WAITING_FOR_REGISTER}  # fmt: skip
    assert [(p.name, reason) for _, p, reason, _ in scan.strays] == [
        ("00046.K01", "файл итогов без реестра: реестр 00046.001 не пришёл за 120 мин.")
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3;3450.00\r\n", (3, 345000)), ("ИТОГО 12 | 1 250,50", (12, 125050)), ("1;10", (1, 1000))],
)
def test_totals_file_content(tmp_path: Path, text: str, expected: tuple[int, int]) -> None:
    from rkc.config_channels import TotalsFileSpec

    path = tmp_path / "1.K01"
    path.write_bytes(text.encode("cp1251"))
    spec = TotalsFileSpec(pattern=__import__("re").compile(r"(?P<stem>\d+)\.K01"), register="{stem}.001")
    found = read_totals_file(path, spec.content, spec.encoding)
    assert (found.count, found.amount) == expected


def test_an_unreadable_totals_file_is_bad(tmp_path: Path) -> None:
    import re

    path = tmp_path / "1.K01"
    path.write_text("nothing here", encoding="utf-8")
    with pytest.raises(BadFile, match="no control totals"):
        read_totals_file(path, re.compile(r"(?P<count>\d+);(?P<amount>[\d.]+)"))


def test_attached_totals_fill_what_the_register_lacks_and_conflicts_quarantine(tmp_path: Path) -> None:
    config = _home(tmp_path, KBANK)
    totals = tmp_path / "00042.K01"
    totals.write_text("2;300.00", encoding="utf-8")
    bare = Intake("00042.001", "kbank", "0" * 64, PARSED)
    got = attach_totals(config, bare, totals)
    assert got.declared_totals().count == 2 and got.declared_totals().amount == 30000 and not got.totals_error
    assert got.totals_path == str(totals) and len(got.totals_sha256) == 64
    own = Intake("00042.001", "kbank", "0" * 64, PARSED, declared={"count": 3, "amount": 30000})
    clash = attach_totals(config, own, totals)
    assert clash.totals_error == ("итоги файла 00042.K01 не совпадают с итогами реестра: "
                                  "строк: в реестре 3, в файле итогов 2")  # fmt: skip
    totals.write_text("no totals", encoding="utf-8")
    assert attach_totals(config, bare, totals).totals_error.startswith("файл итогов 00042.K01 не прочитан")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("{pattern: '(', register: 'x'}", "totals_file.pattern: not a regular expression"),
        ("{pattern: '(?P<stem>\\d+)\\.K01', register: '{number}.001'}", "totals_file.register must name"),
        ("{pattern: '\\d+\\.K01', register: 'x', wait_minutes: -1}", "totals_file.wait_minutes"),
        ("{pattern: '\\d+\\.K01', register: 'x', content: '\\d+'}", "totals_file.content needs a named group"),
        ("{register: 'x'}", "totals_file.pattern is required"),
    ],
)
def test_totals_file_configuration_errors_name_the_key(tmp_path: Path, spec: str, message: str) -> None:
    config, _ = init_home(tmp_path / "home")
    path = config.home / CONFIG_NAME
    path.write_text(path.read_text(encoding="utf-8") + f"  kbank:\n    format: text\n    totals_file: {spec}\n",
                    encoding="utf-8")  # fmt: skip
    with pytest.raises(ConfigError, match=rf"rkc.yaml: channels.kbank.{message}"):
        load_config(config.home)


def test_unverified_must_be_allow_or_refuse(tmp_path: Path) -> None:
    config, _ = init_home(tmp_path / "home")
    path = config.home / CONFIG_NAME
    path.write_text(path.read_text(encoding="utf-8").replace("    unverified: allow\n", "    unverified: yes\n", 1),
                    encoding="utf-8")  # fmt: skip
    with pytest.raises(ConfigError, match=r"channels.gis.unverified must be allow or refuse"):
        load_config(config.home)


def test_statements_and_resolutions_folders_are_scanned_too(tmp_path: Path, engine: sa.Engine) -> None:
    """An upload in progress there is listed, not read half-way; a link is quarantined, not followed;
    a file the resolutions step would never read (not .xlsx) is named, not left behind."""
    config = _home(tmp_path)
    statements, resolutions = config.statements_inbox, config.resolutions_inbox
    outside = tmp_path / "other_bank.txt"
    outside.write_text("1CClientBankExchange", encoding="utf-8")
    (statements / "link.txt").symlink_to(outside)
    (statements / ".kl_to_1c.txt.part").write_text("half", encoding="utf-8")
    (statements / "kl_to_1c.txt").write_text("1CClientBankExchange", encoding="utf-8")
    (resolutions / ".discrepancies.xlsx").write_text("half", encoding="utf-8")
    (resolutions / "notes.docx").write_text("x", encoding="utf-8")
    scan = scan_inbox(config)
    assert scan.registers == []
    assert {(e.channel, e.file, e.state) for e in scan.listed} == {
        ("statements", ".kl_to_1c.txt.part", InboxState.IN_TRANSIT),
        ("resolutions", ".discrepancies.xlsx", InboxState.IN_TRANSIT),
    }
    entries = quarantine_strays(config, engine, scan, RUN)
    assert {(e.channel, e.file) for e in entries} == {("statements", "link.txt"), ("resolutions", "notes.docx")}
    assert sorted(p.name for p in statements.iterdir()) == [".kl_to_1c.txt.part", "kl_to_1c.txt"]
    reason = (config.quarantine / RUN.isoformat() / "resolutions" / "notes.docx.reason.txt").read_text("utf-8")
    assert reason.startswith("не книга Excel (.xlsx)")
    assert outside.read_text(encoding="utf-8") == "1CClientBankExchange"
