"""A real IMAP server for the tests: Debian's dovecot-imapd (installed by ``.ci/run``), started on
loopback with STARTTLS required, one user, a Maildir under a temporary folder; stopped after."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"

CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {run}
state_dir = {d}/state
log_path = {d}/dovecot.log
ssl = required
ssl_cert = <{d}/server.pem
ssl_key = <{d}/server.pem
auth_mechanisms = plain
auth_failure_delay = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/home/%u
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ssl_port}
  }}
}}
"""


@dataclass(frozen=True)
class ImapServer:
    """A running dovecot: where it listens, its user, and the CA its certificate is signed by."""

    host: str
    port: int
    user: str
    password: str
    ca_file: Path
    ssl_port: int  # implicit TLS (imaps)

    def client(self) -> imaplib.IMAP4:
        """A logged-in client (STARTTLS), for the test's own look at the mailbox."""
        imap = imaplib.IMAP4(self.host, self.port, timeout=10)
        imap.starttls(ssl.create_default_context(cafile=str(self.ca_file)))
        imap.login(self.user, self.password)
        return imap

    def append(self, message: bytes, mailbox: str = "INBOX") -> None:
        """Put a message into a mailbox, unseen, as a mail server delivering it would."""
        imap = self.client()
        try:
            imap.append(mailbox, "", imaplib.Time2Internaldate(time.time()), message)
        finally:
            imap.logout()


def _wait_for_auth(server: ImapServer, seconds: float = 30) -> None:
    """Wait until a login succeeds: dovecot accepts connections before its auth process is ready and
    answers «Temporary authentication failure» meanwhile (seen on a loaded machine)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            server.client().logout()
            return
        except imaplib.IMAP4.error as exc:
            if "UNAVAILABLE" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, process: subprocess.Popen | None = None, seconds: float = 15) -> None:
    """Wait until something accepts connections on the loopback ``port``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds} s")


def missing(reason: str) -> None:
    """Skip, or fail under CI=true: CI must run the protocol tests against real servers."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@contextmanager
def dovecot(folder: Path, tls_ca: object) -> Iterator[ImapServer]:
    """Start dovecot in the foreground with its configuration, state and mail under ``folder``
    (``tls_ca``: a ``trustme.CA`` that signs its certificate); stop it on exit."""
    if not os.access(DOVECOT, os.X_OK):
        missing("dovecot not installed (apt-get install dovecot-imapd; .ci/run does it)")
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)  # dovecot's login processes run as its own unprivileged user
    for parent in folder.parents:
        if parent == Path("/"):
            break
        if not os.stat(parent).st_mode & 0o001:
            parent.chmod(os.stat(parent).st_mode | 0o011)
    cert = tls_ca.issue_cert("127.0.0.1", "localhost")  # type: ignore[attr-defined]
    cert.private_key_and_cert_chain_pem.write_to_path(str(folder / "server.pem"))
    tls_ca.cert_pem.write_to_path(str(folder / "ca.pem"))  # type: ignore[attr-defined]
    (folder / "passwd").write_text("rkc:{PLAIN}imap-secret::::::\n", encoding="utf-8")
    port, ssl_port = free_port(), free_port()
    uid, gid = os.getuid(), os.getgid()
    (folder / "home").mkdir(exist_ok=True)
    if uid == 0:  # dovecot refuses to keep mail as root: the mailbox belongs to nobody
        nobody = pwd.getpwnam("nobody")
        uid, gid = nobody.pw_uid, nobody.pw_gid
        os.chown(folder / "home", uid, gid)
    conf = folder / "dovecot.conf"
    # Its sockets live here: a Unix socket's path must stay under 108 bytes, which pytest's folders exceed.
    run = Path(tempfile.mkdtemp(prefix="rkc-dovecot-", dir="/tmp"))
    run.chmod(0o755)
    conf.write_text(CONF.format(d=folder, run=run, uid=uid, gid=gid, port=port, ssl_port=ssl_port), encoding="utf-8")
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        try:
            wait_port(port, process)
        except RuntimeError as exc:
            log = (folder / "dovecot.log").read_text(errors="replace") if (folder / "dovecot.log").exists() else ""
            stderr = process.stderr.read().decode(errors="replace") if process.poll() is not None else ""
            missing(f"dovecot did not start: {exc}: {stderr.strip()[-500:]} {log[-500:]}")
        wait_port(ssl_port, process)
        server = ImapServer("127.0.0.1", port, "rkc", "imap-secret", folder / "ca.pem", ssl_port)
        _wait_for_auth(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(run, ignore_errors=True)
