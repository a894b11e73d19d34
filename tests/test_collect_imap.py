"""Collection from an IMAP mailbox against a real dovecot on loopback (STARTTLS, a CA made by the
test): attachments of unseen messages from the allowed senders land in the inbox, the message is
then marked seen or moved; a stranger's message is left alone; a connection cut mid-download
leaves no half file and the attachment arrives on a retry or the next run."""

from __future__ import annotations

import os
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa
import trustme

from rkc.collect import collect
from rkc.transport.imap import mailbox_utf7
from tests.netcut import cutting_relay
from tests.servers_imap import ImapServer, dovecot
from tests.transportutil import make_home

AGENT = "reestr@portal.example"


@pytest.fixture
def imap_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    with dovecot(tmp_path / "dovecot", trustme.CA()) as running:
        monkeypatch.setenv("RKC_TEST_IMAP_PASSWORD", running.password)
        yield running


def letter(sender: str, subject: str, *attachments: tuple[str, bytes]) -> bytes:
    message = EmailMessage()
    message["From"] = f"Портал <{sender}>"
    message["To"] = "rkc@rkc.example"
    message["Subject"] = subject
    message["Message-ID"] = f"<{abs(hash((sender, subject)))}@portal.example>"
    message.set_content("Реестр во вложении.")
    for name, content in attachments:
        message.add_attachment(content, maintype="application", subtype="octet-stream", filename=name)
    return bytes(message)


def source(server: ImapServer, port: int | None = None, **extra: object) -> dict:
    spec = {"host": server.host, "port": port or server.port, "user": server.user,
            "password_env": "RKC_TEST_IMAP_PASSWORD", "senders": [AGENT], "ca_file": str(server.ca_file),
            **extra}  # fmt: skip
    return {"imap": spec}


def flags(server: ImapServer, mailbox: str = "INBOX") -> list[tuple[str, bool]]:
    """(subject, seen) of every message of the mailbox."""
    imap = server.client()
    try:
        _, count = imap.select(f'"{mailbox_utf7(mailbox)}"')
        if count[0] == b"0":
            return []
        _, data = imap.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    finally:
        imap.logout()
    out = []
    for item in data:
        if isinstance(item, tuple):
            subject = item[1].decode().split(":", 1)[1].strip()
            out.append((subject, b"\\Seen" in item[0]))
    return sorted(out)


def test_attachments_of_the_allowed_senders_land_and_their_messages_are_marked_seen(
    imap_server: ImapServer, tmp_path: Path, engine: sa.Engine, db_url: str
) -> None:
    name = "Реестр платежей 5230.txt"
    imap_server.append(letter(AGENT, "reestr 1", (name, "1;2;3\n".encode("cp1251")), ("act.pdf", b"%PDF")))
    imap_server.append(letter("spam@elsewhere.example", "offer", ("invoice.txt", b"not a register")))
    imap_server.append(letter(AGENT.upper(), "reestr 2", ("r2.txt", b"second\n")))
    config = make_home(tmp_path / "home", db_url, sources={"portal": source(imap_server, pattern="*.txt")})

    outcome = collect(config, engine)[0]
    assert outcome.error is None
    assert outcome.landed == [name, "r2.txt"]
    assert (config.home / "inbox" / "portal" / name).read_bytes() == "1;2;3\n".encode("cp1251")
    assert any("act.pdf" in note for note in outcome.ignored)
    assert any("spam@elsewhere.example" in note for note in outcome.ignored)
    assert flags(imap_server) == [("offer", False), ("reestr 1", True), ("reestr 2", True)]

    again = collect(config, engine)[0]
    assert again.landed == [] and again.error is None
    assert sorted(p.name for p in (config.home / "inbox" / "portal").iterdir()) == sorted([name, "r2.txt"])


def test_messages_moved_to_the_processed_folder(
    imap_server: ImapServer, tmp_path: Path, engine: sa.Engine, db_url: str
) -> None:
    client = imap_server.client()
    client.create(f'"{mailbox_utf7("Обработано")}"')  # a Russian name, as the operator's mail client shows it
    client.logout()
    imap_server.append(letter(AGENT, "reestr 1", ("r1.txt", b"first\n")))
    config = make_home(tmp_path / "home", db_url,
                       sources={"portal": source(imap_server, after="move", move_to="Обработано")})  # fmt: skip
    assert collect(config, engine)[0].landed == ["r1.txt"]
    assert flags(imap_server) == []
    assert flags(imap_server, "Обработано") == [("reestr 1", True)]


def test_a_cut_mid_download_is_retried_and_the_message_marked_only_after(
    imap_server: ImapServer, tmp_path: Path, engine: sa.Engine, db_url: str
) -> None:
    payload = os.urandom(600 * 1024)
    imap_server.append(letter(AGENT, "big", ("big.txt", payload)))
    with cutting_relay(imap_server.port, cuts=1, after_bytes=200 * 1024) as relay:
        config = make_home(tmp_path / "home", db_url, sources={"portal": source(imap_server, relay.port)})
        outcome = collect(config, engine)[0]
    assert relay.cut == 1 and relay.connections == 2
    assert outcome.error is None and outcome.landed == ["big.txt"]
    assert (config.home / "inbox" / "portal" / "big.txt").read_bytes() == payload
    assert flags(imap_server) == [("big", True)]


def test_cut_every_time_the_message_stays_unseen_and_the_next_run_fetches_it(
    imap_server: ImapServer, tmp_path: Path, engine: sa.Engine, db_url: str
) -> None:
    payload = os.urandom(600 * 1024)
    imap_server.append(letter(AGENT, "big", ("big.txt", payload)))
    with cutting_relay(imap_server.port, cuts=100, after_bytes=200 * 1024) as relay:
        config = make_home(tmp_path / "home", db_url, sources={"portal": source(imap_server, relay.port)})
        outcome = collect(config, engine)[0]
    assert relay.connections == 2 and outcome.error is not None and outcome.landed == []
    assert list((config.home / "inbox" / "portal").iterdir()) == []
    assert flags(imap_server) == [("big", False)]

    config = make_home(tmp_path / "home", config.database_url, sources={"portal": source(imap_server)})
    assert collect(config, engine)[0].landed == ["big.txt"]
    assert flags(imap_server) == [("big", True)]


def test_a_wrong_password_is_not_retried(
    imap_server: ImapServer, tmp_path: Path, engine: sa.Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RKC_TEST_IMAP_PASSWORD", "wrong")
    with cutting_relay(imap_server.port, cuts=0, after_bytes=0) as relay:
        config = make_home(tmp_path / "home", db_url, sources={"portal": source(imap_server, relay.port)})
        outcome = collect(config, engine)[0]
    assert outcome.error is not None and "AUTHENTICATIONFAILED" in outcome.error
    assert relay.connections == 1


def test_implicit_tls_and_a_certificate_from_another_ca(
    imap_server: ImapServer, tmp_path: Path, engine: sa.Engine, db_url: str
) -> None:
    imap_server.append(letter(AGENT, "reestr 1", ("r1.txt", b"first\n")))
    stranger = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(stranger))
    config = make_home(tmp_path / "home", db_url, sources={"portal": source(
        imap_server, imap_server.ssl_port, security="ssl", ca_file=str(stranger))})  # fmt: skip
    refused = collect(config, engine)[0]
    assert refused.error is not None and "CERTIFICATE_VERIFY_FAILED" in refused.error
    assert flags(imap_server) == [("reestr 1", False)]
    config = make_home(tmp_path / "home", db_url, sources={"portal": source(imap_server, imap_server.ssl_port,
                                                                            security="ssl")})  # fmt: skip
    assert collect(config, engine)[0].landed == ["r1.txt"]
