"""The network keys of rkc.yaml: sources, delivery, network; secrets never in the file, host keys
pinned, every mistake named by its key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rkc.config import ConfigError, default_config_text, parse_config
from rkc.config_transport import ImapAfter, Secret, SourceKind, TransportConfigError

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
SFTP = {"host": "sftp.bank.example", "user": "rkc", "path": "/out", "host_key": KEY, "key_file": "keys/bank"}
IMAP = {"host": "imap.example", "user": "r@rkc.example", "password_env": "RKC_IMAP", "senders": ["a@portal.example"]}


def parse(**changes: object) -> object:
    data = yaml.safe_load(default_config_text())
    for key, value in changes.items():
        if key.startswith("source_"):
            data["channels"][key.removeprefix("source_")]["source"] = value
        else:
            data[key] = value
    return parse_config(data, Path("/srv/rkc"))


def test_sources_of_each_kind() -> None:
    config = parse(source_sber={"sftp": SFTP}, source_portal={"imap": {**IMAP, "after": "move", "move_to": "Done"}},
                   source_gis={"folder": "/mnt/gis", "pattern": "*.xml"})  # fmt: skip
    sber, portal, gis = (config.channels[c].source for c in ("sber", "portal", "gis"))
    assert sber.kind == SourceKind.SFTP and sber.sftp.key_file == Path("/srv/rkc/keys/bank") and sber.sftp.port == 22
    assert sber.describe() == "sftp://rkc@sftp.bank.example:22/out"
    assert portal.kind == SourceKind.IMAP and portal.imap.after == ImapAfter.MOVE and portal.imap.port == 143
    assert gis.kind == SourceKind.FOLDER and gis.folder == Path("/mnt/gis") and gis.pattern == "*.xml"
    assert config.channels["rshb"].source is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"source_sber": {"sftp": {**SFTP, "password": "s3cret"}}},
         "channels.sber.source.sftp.password: secrets are not kept in rkc.yaml"),
        ({"source_sber": {"sftp": {k: v for k, v in SFTP.items() if k != "host_key"}}},
         "channels.sber.source.sftp: the server's host key must be pinned"),
        ({"source_sber": {"sftp": {k: v for k, v in SFTP.items() if k != "key_file"}}},
         "channels.sber.source.sftp: key_file or password_env/password_file is needed"),
        ({"source_sber": {"sftp": {**SFTP, "port": 0}}}, "channels.sber.source.sftp.port must be a port number"),
        ({"source_sber": {"sftp": {**SFTP, "hots": "x"}}}, "channels.sber.source.sftp: unknown keys hots"),
        ({"source_sber": {"sftp": SFTP, "folder": "/x"}}, "channels.sber.source must have one of folder, sftp or imap"),
        ({"source_portal": {"imap": {k: v for k, v in IMAP.items() if k != "senders"}}},
         "channels.portal.source.imap.senders must list the e-mail addresses"),
        ({"source_portal": {"imap": {**IMAP, "security": "none"}}}, "security must be starttls or ssl"),
        ({"source_portal": {"imap": {**IMAP, "after": "move"}}},
         "channels.portal.source.imap.move_to names the folder"),
        ({"source_portal": {"imap": {k: v for k, v in IMAP.items() if k != "password_env"}}},
         "channels.portal.source.imap: password_env or password_file is required"),
        ({"delivery": {"smtp": {"host": "smtp.example", "sender": "rkc@rkc.example", "password": "x"}}},
         "delivery.smtp.password: secrets are not kept in rkc.yaml"),
        ({"delivery": {"smtp": {"host": "smtp.example", "sender": "rkc"}}}, "delivery.smtp.sender must be an e-mail"),
        ({"delivery": {"sftp": {7707083893: SFTP}}}, "delivery.sftp: the key 7707083893 must be a supplier's ИНН"),
        ({"delivery": {"max_attempts": 0}}, "delivery.max_attempts must be a whole number"),
        ({"network": {"attempts": 0}}, "network.attempts must be a whole number ≥ 1"),
        ({"network": {"timeout_seconds": 0}}, "network.timeout_seconds must be more than 0"),
    ],
)
def test_mistakes_name_their_key(changes: dict, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(**changes)
    assert message in str(caught.value)


def test_delivery_and_its_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = parse(delivery={"smtp": {"host": "smtp.example", "sender": "rkc@rkc.example"},
                             "sftp": {"7707083893": SFTP}, "retry_minutes": 15})  # fmt: skip
    smtp = config.delivery.smtp
    assert smtp.port == 587 and smtp.user == Secret(env="RKC_SMTP_USER", where="rkc.yaml: delivery.smtp.user_env")
    assert config.delivery.sftp["7707083893"].host == "sftp.bank.example" and config.delivery.retry_minutes == 15
    monkeypatch.delenv("RKC_SMTP_PASSWORD", raising=False)
    with pytest.raises(TransportConfigError, match="environment variable RKC_SMTP_PASSWORD is not set"):
        smtp.password.read()
    monkeypatch.setenv("RKC_SMTP_PASSWORD", "пароль")
    assert smtp.password.read() == "пароль"
    (tmp_path / "secret").write_text("from-a-file\n", encoding="utf-8")
    assert Secret(file=tmp_path / "secret").read() == "from-a-file"
    with pytest.raises(TransportConfigError, match="cannot read"):
        Secret(file=tmp_path / "missing", where="x").read()
