"""IMAP client (imaplib, TLS always): unseen messages of a mailbox, read without marking them,
then marked seen or moved once their attachments are safe in the inbox."""

from __future__ import annotations

import base64
import email
import email.policy
import email.utils
import fnmatch
import imaplib
import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import cast

from rkc.config_transport import ImapAfter, ImapEndpoint, ImapSecurity


class ImapFailure(Exception):
    """The server answered NO or BAD to a command: trying again will not help."""


def imap_transient(error: BaseException) -> bool:
    """A cut connection or a timeout (``IMAP4.abort``, socket errors); not a refused command or login."""
    if isinstance(error, imaplib.IMAP4.abort):
        return True
    if isinstance(error, imaplib.IMAP4.error | ImapFailure | ssl.SSLCertVerificationError):
        return False
    return isinstance(error, OSError | EOFError | TimeoutError)


@dataclass(frozen=True)
class Attachment:
    """One attachment of a message: its place, its decoded file name and its bytes."""

    index: int
    name: str
    content: bytes


@dataclass
class InboundMessage:
    """An unseen message: who sent it, its identity and its attachments (those matching the pattern)."""

    uid: str
    message_id: str
    sender: str
    subject: str
    attachments: list[Attachment] = field(default_factory=list)
    other_attachments: list[str] = field(default_factory=list)  # names not matching the pattern


def _ok(answer: tuple[str, list], what: str) -> list:
    status, data = answer
    if status != "OK":
        raise ImapFailure(f"{what}: {status} {data!r}")
    return data


class Mailbox:
    """A logged-in session on one mailbox (use ``open_mailbox``)."""

    def __init__(self, imap: imaplib.IMAP4, endpoint: ImapEndpoint) -> None:
        self.imap = imap
        self.endpoint = endpoint

    def unseen(self) -> list[str]:
        """UIDs of the unseen messages, oldest first."""
        data = _ok(self.imap.uid("SEARCH", "UNSEEN"), "UID SEARCH UNSEEN")
        return [uid.decode() for uid in (data[0] or b"").split()]

    def read(self, uid: str) -> InboundMessage:
        """The message, fetched without setting \\Seen (BODY.PEEK)."""
        data = _ok(self.imap.uid("FETCH", uid, "(BODY.PEEK[])"), f"UID FETCH {uid}")
        raw = next((part[1] for part in data if isinstance(part, tuple)), None)
        if raw is None:
            raise ImapFailure(f"UID FETCH {uid}: no message body in {data!r}")
        message = cast(EmailMessage, email.message_from_bytes(raw, policy=email.policy.default))
        sender = email.utils.parseaddr(str(message.get("From", "")))[1].lower()
        letter = InboundMessage(uid, str(message.get("Message-ID", "")).strip() or f"uid:{uid}", sender,
                        str(message.get("Subject", "")))  # fmt: skip
        for index, part in enumerate(message.iter_attachments(), 1):
            name = part.get_filename() or f"attachment-{index}.bin"
            if fnmatch.fnmatch(name.lower(), self.endpoint.pattern.lower()):
                letter.attachments.append(Attachment(index, name, part.get_payload(decode=True) or b""))
            else:
                letter.other_attachments.append(name)
        return letter

    def done(self, uid: str) -> None:
        """Mark the message seen and, with ``after: move``, move it to ``move_to`` (MOVE, else COPY
        and expunge)."""
        _ok(self.imap.uid("STORE", uid, "+FLAGS", "(\\Seen)"), f"UID STORE {uid}")
        if self.endpoint.after == ImapAfter.SEEN:
            return
        folder = _quote(self.endpoint.move_to)
        if "MOVE" in self.imap.capabilities:
            _ok(self.imap.uid("MOVE", uid, folder), f"UID MOVE {uid}")
            return
        _ok(self.imap.uid("COPY", uid, folder), f"UID COPY {uid}")
        _ok(self.imap.uid("STORE", uid, "+FLAGS", "(\\Deleted)"), f"UID STORE {uid}")
        _ok(self.imap.expunge(), "EXPUNGE")


def mailbox_utf7(name: str) -> str:
    """A mailbox name in IMAP's modified UTF-7 (RFC 3501 §5.1.3): «Обработано» → ``&BB4EMQRABDAEMQQ+BEIEMAQ9BD4-``.

    >>> mailbox_utf7("Входящие/Реестры & акты")
    '&BBIERQQ+BDQETwRJBDgENQ-/&BCAENQQ1BEEEQgRABEs- &- &BDAEOgRCBEs-'
    """
    out, run = [], []

    def flush() -> None:
        if run:
            encoded = base64.b64encode("".join(run).encode("utf-16-be")).decode().rstrip("=").replace("/", ",")
            out.append(f"&{encoded}-")
            run.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            run.append(char)
    flush()
    return "".join(out)


def _quote(mailbox: str) -> str:
    """A mailbox name as an IMAP quoted string, in modified UTF-7."""
    return '"' + re.sub(r'(["\\])', r"\\\1", mailbox_utf7(mailbox)) + '"'


@contextmanager
def open_mailbox(endpoint: ImapEndpoint, timeout: float) -> Iterator[Mailbox]:
    """Connect (SSL, or STARTTLS before anything else is said), log in, select the mailbox;
    log out at the end."""
    context = ssl.create_default_context(cafile=str(endpoint.ca_file) if endpoint.ca_file else None)
    if endpoint.security == ImapSecurity.SSL:
        imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(endpoint.host, endpoint.port, ssl_context=context, timeout=timeout)
    else:
        imap = imaplib.IMAP4(endpoint.host, endpoint.port, timeout=timeout)
        try:
            imap.starttls(context)
        except BaseException:
            imap.shutdown()
            raise
    try:
        imap.login(endpoint.user, endpoint.password.read())
        _ok(imap.select(_quote(endpoint.mailbox)), f"SELECT {endpoint.mailbox}")
        yield Mailbox(imap, endpoint)
    finally:
        try:
            imap.logout()
        except (imaplib.IMAP4.error, OSError):  # the connection is already gone: nothing to say goodbye to
            imap.shutdown()
