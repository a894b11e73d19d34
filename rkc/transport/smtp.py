"""SMTP client (smtplib): letters with attachments, sent over STARTTLS only, with the login read
from its secrets when the connection is made."""

from __future__ import annotations

import mimetypes
import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid

from rkc.config_transport import Secret, SmtpSettings, TransportConfigError


@dataclass(frozen=True)
class Letter:
    """What a letter says and carries; file names may be Russian (encoded by RFC 2231)."""

    to: str
    subject: str
    body: str
    attachments: tuple[tuple[str, bytes], ...] = ()  # (file name, content)


def smtp_transient(error: BaseException) -> bool:
    """Trying again may help: a cut connection, a timeout, a 4xx answer ("try later"); not a 5xx
    answer, a refused login or a server without STARTTLS."""
    if isinstance(error, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    if isinstance(error, smtplib.SMTPException | ssl.SSLCertVerificationError):
        return False
    return isinstance(error, OSError | EOFError | TimeoutError)


def compose(settings: SmtpSettings, letter: Letter) -> EmailMessage:
    """The MIME message: plain-text body in UTF-8, each attachment with its name encoded for any
    mail client (``filename*=utf-8''…``), a Message-ID of the sender's domain."""
    message = EmailMessage()
    message["From"] = Address(settings.sender_name, addr_spec=settings.sender)
    message["To"] = letter.to
    message["Subject"] = letter.subject
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2])
    message.set_content(letter.body)
    for name, content in letter.attachments:
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        maintype, subtype = kind.split("/", 1)
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message


def send(settings: SmtpSettings, message: EmailMessage, timeout: float) -> None:
    """Send over STARTTLS (the server's certificate checked against ``ca_file`` or the system's
    CAs), logging in when a user is configured; refuses to send in the clear."""
    context = ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)
    with smtplib.SMTP(settings.host, settings.port, timeout=timeout) as smtp:
        smtp.ehlo()
        smtp.starttls(context=context)  # SMTPNotSupportedError if the server cannot: never sent in the clear
        smtp.ehlo()
        user = _optional(settings.user)
        if user:
            smtp.login(user, settings.password.read() if settings.password else "")
        smtp.send_message(message)


def _optional(secret: Secret | None) -> str:
    """A secret that may be absent (no login when no user is configured)."""
    if secret is None:
        return ""
    try:
        return secret.read()
    except TransportConfigError:
        if secret.env:  # RKC_SMTP_USER unset: a relay that trusts the host, no login
            return ""
        raise
