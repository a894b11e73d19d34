"""Collection from an SFTP directory against asyncssh's real server on loopback: files land in the
inbox atomically, once; the host key is pinned; a connection cut mid-download leaves no half file
and the file arrives on a retry or the next run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from rkc.collect import collect
from tests.netcut import cutting_relay
from tests.servers_sftp import SftpServer, sftp_server
from tests.transportutil import make_home


@pytest.fixture
def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    with sftp_server(tmp_path / "sftp") as running:
        (running.root / "out").mkdir()
        yield running


def source(server: SftpServer, port: int | None = None, **extra: object) -> dict:
    """An SFTP source of the channel, by key, pinned to the server's host key."""
    spec = {"host": server.host, "port": port or server.port, "user": server.user, "path": "/out",
            "host_key": server.host_key, "key_file": str(server.client_key), **extra}  # fmt: skip
    return {"sftp": spec}


def inbox_names(home: Path, channel: str = "sber") -> list[str]:
    return sorted(p.name for p in (home / "inbox" / channel).iterdir())


def rows(engine: sa.Engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT remote_name, local_name, status FROM collected_file ORDER BY id")).all()


def test_new_files_land_once_and_the_same_bytes_again_are_a_duplicate(
    server: SftpServer, tmp_path: Path, engine: sa.Engine, db_url: str
) -> None:
    (server.root / "out" / "reestr_01.txt").write_bytes("реестр 1\n".encode("cp1251"))
    (server.root / "out" / "reestr_02.txt").write_bytes(b"register 2\n")
    (server.root / "out" / ".reestr_03.txt").write_bytes(b"still uploading at the agent\n")
    (server.root / "out" / "readme.pdf").write_bytes(b"%PDF")
    config = make_home(tmp_path / "home", db_url, sources={"sber": source(server, pattern="*.txt")})

    first = collect(config, engine)
    assert [(o.channel, o.landed, o.error) for o in first] == [("sber", ["reestr_01.txt", "reestr_02.txt"], None)]
    assert inbox_names(config.home) == ["reestr_01.txt", "reestr_02.txt"]
    assert (config.home / "inbox" / "sber" / "reestr_01.txt").read_bytes() == "реестр 1\n".encode("cp1251")

    again = collect(config, engine)
    assert again[0].landed == [] and again[0].duplicates == []

    (server.root / "out" / "reestr_01_copy.txt").write_bytes("реестр 1\n".encode("cp1251"))
    third = collect(config, engine)
    assert third[0].landed == [] and third[0].duplicates == ["reestr_01_copy.txt = sber/reestr_01.txt"]
    assert inbox_names(config.home) == ["reestr_01.txt", "reestr_02.txt"]
    assert rows(engine) == [("reestr_01.txt", "reestr_01.txt", "landed"), ("reestr_02.txt", "reestr_02.txt", "landed"),
                            ("reestr_01_copy.txt", None, "duplicate")]  # fmt: skip


def test_a_file_rewritten_under_its_name_is_new_and_lands_beside_the_first(
    server: SftpServer, tmp_path: Path, engine: sa.Engine, db_url: str
) -> None:
    remote = server.root / "out" / "daily.txt"
    remote.write_bytes(b"day 1\n")
    config = make_home(tmp_path / "home", db_url, sources={"sber": source(server)})
    collect(config, engine)
    remote.write_bytes(b"day 2, longer\n")
    assert collect(config, engine)[0].landed == ["daily~1.txt"]
    assert (config.home / "inbox" / "sber" / "daily.txt").read_bytes() == b"day 1\n"
    assert (config.home / "inbox" / "sber" / "daily~1.txt").read_bytes() == b"day 2, longer\n"


def test_password_from_the_environment(
    server: SftpServer, tmp_path: Path, engine: sa.Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (server.root / "out" / "r.txt").write_bytes(b"r\n")
    spec = source(server, password_env="RKC_TEST_SFTP_PASSWORD")
    del spec["sftp"]["key_file"]
    config = make_home(tmp_path / "home", db_url, sources={"sber": spec})
    monkeypatch.delenv("RKC_TEST_SFTP_PASSWORD", raising=False)
    missing = collect(config, engine)[0]
    assert "RKC_TEST_SFTP_PASSWORD is not set" in (missing.error or "")
    monkeypatch.setenv("RKC_TEST_SFTP_PASSWORD", "wrong")
    refused = collect(config, engine)[0]
    assert refused.error and refused.error.startswith("PermissionDenied")
    monkeypatch.setenv("RKC_TEST_SFTP_PASSWORD", server.password)
    assert collect(config, engine)[0].landed == ["r.txt"]


def test_a_server_with_another_host_key_is_refused_at_once(
    server: SftpServer, tmp_path: Path, engine: sa.Engine, db_url: str
) -> None:
    import asyncssh

    (server.root / "out" / "r.txt").write_bytes(b"r\n")
    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode()
    with cutting_relay(server.port, cuts=0, after_bytes=0) as relay:
        config = make_home(tmp_path / "home", db_url, sources={"sber": source(server, relay.port, host_key=other)})
        outcome = collect(config, engine)[0]
    assert outcome.error and outcome.error.startswith("HostKeyNotVerifiable")
    assert relay.connections == 1  # not retried: another key will not become the pinned one
    assert inbox_names(config.home) == [] and rows(engine) == []


def test_a_cut_mid_download_is_retried_and_leaves_no_half_file(
    server: SftpServer, tmp_path: Path, engine: sa.Engine, db_url: str
) -> None:
    payload = os.urandom(1024 * 1024)
    (server.root / "out" / "big.txt").write_bytes(payload)
    with cutting_relay(server.port, cuts=1, after_bytes=256 * 1024) as relay:
        config = make_home(tmp_path / "home", db_url, sources={"sber": source(server, relay.port)})
        outcome = collect(config, engine)[0]
    assert relay.cut == 1 and relay.connections == 2
    assert outcome.error is None and outcome.landed == ["big.txt"]
    assert (config.home / "inbox" / "sber" / "big.txt").read_bytes() == payload
    assert inbox_names(config.home) == ["big.txt"]


def test_a_source_cut_every_time_fails_cleanly_and_the_next_run_fetches_the_file(
    server: SftpServer, tmp_path: Path, engine: sa.Engine, db_url: str
) -> None:
    payload = os.urandom(1024 * 1024)
    (server.root / "out" / "big.txt").write_bytes(payload)
    with cutting_relay(server.port, cuts=100, after_bytes=256 * 1024) as relay:
        config = make_home(tmp_path / "home", db_url, sources={"sber": source(server, relay.port)})
        outcome = collect(config, engine)[0]
    assert relay.connections == 2  # network.attempts
    assert outcome.error is not None and outcome.landed == []
    assert inbox_names(config.home) == [] and rows(engine) == []  # no half file, not even a dot-file

    config = make_home(tmp_path / "home", config.database_url, sources={"sber": source(server)})
    assert collect(config, engine)[0].landed == ["big.txt"]
    assert (config.home / "inbox" / "sber" / "big.txt").read_bytes() == payload


def test_a_half_file_of_a_killed_run_is_removed(server: SftpServer, tmp_path: Path, engine: sa.Engine,
                                                 db_url: str) -> None:  # fmt: skip
    config = make_home(tmp_path / "home", db_url, sources={"sber": source(server)})
    stale = config.home / "inbox" / "sber" / ".big.txt.rkc-part"
    stale.write_bytes(b"half")
    (server.root / "out" / "big.txt").write_bytes(b"whole\n")
    outcome = collect(config, engine)[0]
    assert outcome.removed_parts == [".big.txt.rkc-part"] and outcome.landed == ["big.txt"]
    assert inbox_names(config.home) == ["big.txt"]
