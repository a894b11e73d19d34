"""A real SMTP server for the tests: aiosmtpd on loopback, STARTTLS required (a certificate from a
CA the test makes), AUTH required after it; it keeps what it receives and can answer «try later»."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.servers_imap import free_port


@dataclass
class Mailroom:
    """The server's handler: the messages received and how many to refuse with 451 first."""

    refuse_next: int = 0
    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        if self.refuse_next > 0:
            self.refuse_next -= 1
            return "451 4.3.0 Try again later"
        content = cast(bytes, envelope.original_content)  # type: ignore[attr-defined]
        message = cast(EmailMessage, email.message_from_bytes(content, policy=email.policy.default))
        self.received.append((list(envelope.rcpt_tos), message))  # type: ignore[attr-defined]
        return "250 OK"


@dataclass(frozen=True)
class SmtpServer:
    """A running server: where it listens, its login, the CA file and the handler."""

    host: str
    port: int
    user: str
    password: str
    ca_file: Path
    mailroom: Mailroom


@contextmanager
def smtp_server(folder: Path, tls_ca: object, *, starttls: bool = True) -> Iterator[SmtpServer]:
    """Start aiosmtpd with STARTTLS and AUTH required (``starttls=False``: a server that offers
    neither, and takes any letter); stop it when the block ends."""
    import ssl

    folder.mkdir(parents=True, exist_ok=True)
    cert = tls_ca.issue_cert("127.0.0.1", "localhost")  # type: ignore[attr-defined]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    tls_ca.cert_pem.write_to_path(str(folder / "ca.pem"))  # type: ignore[attr-defined]
    mailroom = Mailroom()

    def authenticator(server: object, session: object, envelope: object, mechanism: str, data: object) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.login == b"rkc" and data.password == b"smtp-secret"
        return AuthResult(success=ok, handled=False)

    port = free_port()
    secure = {"tls_context": context, "require_starttls": True, "auth_required": True,
              "authenticator": authenticator} if starttls else {}  # fmt: skip
    controller = Controller(mailroom, hostname="127.0.0.1", port=port, **secure)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, "rkc", "smtp-secret", folder / "ca.pem", mailroom)
    finally:
        controller.stop()
