"""A DBF channel end to end through intake: ``format: dbf`` in rkc.yaml, a profile by name, a register
read into the work files, a truncated one refused with its reason (quarantined by the caller)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from rkc.config import init_home, load_config
from rkc.intake import BAD_FILE, PARSED, take_in

CORPUS = Path(__file__).parent / "data" / "corpus" / "dbf"
CHANNEL = """channels:
  pochta:
    format: dbf
    profile: dbf_pochta
    agent: {name: АО «Почта Банк», inn: "3232005484", account: "30101810045250000214"}
    commission: {percent: "1.0", min: "0.00", max: ""}
"""


def home_with_dbf_channel(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    init_home(home)
    settings = home / "rkc.yaml"
    settings.write_text(settings.read_text("utf-8").replace("channels:\n", CHANNEL, 1), "utf-8")
    return home


def test_dbf_channel_reads_a_register(tmp_path: Path, engine: sa.Engine) -> None:
    config = load_config(home_with_dbf_channel(tmp_path))
    assert config.channels["pochta"].format == "dbf"
    path = tmp_path / "00042.dbf"
    path.write_bytes((CORPUS / "pochta_cp1251.dbf").read_bytes())
    intake = take_in(config, engine, "pochta", path, tmp_path / "work")
    assert (intake.status, intake.format, intake.reason) == (PARSED, "dbf:dbf_pochta", "")
    assert intake.declared["amount"] == 213455 and intake.declared["count"] == 3
    assert intake.lines == 3  # payments + rejected (the totals record is a counted non-payment)


def test_dbf_channel_refuses_a_truncated_register(tmp_path: Path, engine: sa.Engine) -> None:
    config = load_config(home_with_dbf_channel(tmp_path))
    path = tmp_path / "00043.dbf"
    path.write_bytes((CORPUS / "pochta_cp1251.dbf").read_bytes()[:-200])
    intake = take_in(config, engine, "pochta", path, tmp_path / "work")
    assert intake.status == BAD_FILE
    assert "truncated DBF: the header declares 4 records" in intake.reason
