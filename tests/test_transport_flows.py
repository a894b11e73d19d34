"""The whole way round, through the Prefect flows: a generated day's Sber registers wait on the
agent's SFTP server and the portal's in a shared folder; the collect flow brings them into the
inbox, the night posts them (bridge residual 0), and the deliver flow mails every supplier its
statement through a real SMTP server. Then the CLI commands on the same working directory."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import trustme
import yaml
from typer.testing import CliRunner

from rkc.config import init_home, load_config
from synthetic import generate
from tests.servers_sftp import sftp_server
from tests.servers_smtp import smtp_server
from tests.transportutil import FAST


def test_collect_night_and_deliver_flows(harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.charges import charges_import
    from flows.collect import CollectionFailed, collect_files
    from flows.deliver import deliver_statements
    from flows.nightly import nightly
    from flows.statements import supplier_statements
    from rkc.cli import app

    monkeypatch.delenv("RKC_DATABASE_URL", raising=False)
    config, _ = init_home(tmp_path / "home")
    day = generate(config.home, accounts=150, payments=600, seed=11)
    share = tmp_path / "share"
    share.mkdir()
    with sftp_server(tmp_path / "sftp") as agent, smtp_server(tmp_path / "smtp", trustme.CA()) as mail:
        (agent.root / "out").mkdir()
        sber = sorted(p.name for p in (config.inbox / "sber").iterdir())
        portal = sorted(p.name for p in (config.inbox / "portal").iterdir())
        for name in sber:
            shutil.move(config.inbox / "sber" / name, agent.root / "out" / name)
        for name in portal:
            shutil.move(config.inbox / "portal" / name, share / name)
        data = yaml.safe_load((config.home / "rkc.yaml").read_text(encoding="utf-8"))
        data["network"] = FAST
        data["channels"]["sber"]["source"] = {"sftp": {
            "host": agent.host, "port": agent.port, "user": agent.user, "path": "/out", "host_key": agent.host_key,
            "key_file": str(agent.client_key)}}  # fmt: skip
        data["channels"]["portal"]["source"] = {"folder": str(share)}
        data["delivery"] = {"smtp": {"host": mail.host, "port": mail.port, "sender": "rkc@rkc.example",
                                     "ca_file": str(mail.ca_file)}}  # fmt: skip
        (config.home / "rkc.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        monkeypatch.setenv("RKC_SMTP_USER", mail.user)
        monkeypatch.setenv("RKC_SMTP_PASSWORD", mail.password)
        home = str(config.home)

        collected = collect_files(home=home)
        charges_import(charges=day.charges_csv.name, suppliers=day.suppliers_csv.name, home=home)
        night = nightly(home=home, run_date=day.run_date)
        period = day.run_date.strftime("%Y-%m")
        supplier_statements(period=period, home=home)
        delivered = deliver_statements(period=period, home=home)

        assert collected["landed"] == len(sber) + len(portal)
        by_channel = {c["channel"]: c for c in collected["channels"]}
        assert by_channel["sber"]["landed"] == sber and by_channel["portal"]["landed"] == portal
        posted = {(r["channel"], r["file"]) for r in night["registers"]}
        assert {("sber", n) for n in sber} | {("portal", n) for n in portal} <= posted
        summary = json.loads(Path(night["summary"]).read_text(encoding="utf-8"))
        assert summary["totals"]["residual"] == "0.00"
        suppliers = {p.name for p in (config.out / "statements" / period).iterdir() if p.is_dir()}  # not manifest.json
        assert len(delivered["sent"]) == len(suppliers) and delivered["unaddressed"] == []
        assert len(mail.mailroom.received) == len(suppliers)

        runner = CliRunner()
        again = runner.invoke(app, ["collect", "--home", home], catch_exceptions=False)
        assert again.exit_code == 0 and "sftp://agent@127.0.0.1" in again.output
        resent = runner.invoke(app, ["deliver", "--period", period, "--home", home], catch_exceptions=False)
        assert resent.exit_code == 0 and "0 queued, 0 sent" in resent.output
        assert len(mail.mailroom.received) == len(suppliers)

    with pytest.raises(CollectionFailed, match=r"1 sources failed \(sber: ConnectionRefusedError"):
        collect_files.fn(home=home, channels=["sber"])  # the flow's run would end Failed, naming the source
    down = runner.invoke(app, ["collect", "--home", home, "--channel", "sber"], catch_exceptions=False)
    assert down.exit_code == 1 and "sber: ошибка: ConnectionRefusedError" in down.output
    unknown = runner.invoke(app, ["collect", "--home", home, "--channel", "nope"], catch_exceptions=False)
    assert unknown.exit_code == 2 and "no such channel in rkc.yaml: nope" in unknown.output
    assert load_config(home).channels["sber"].source is not None
