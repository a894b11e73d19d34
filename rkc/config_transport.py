"""Configuration of the network: where each channel's registers are collected from
(``channels.<name>.source``), how supplier statements go out (``delivery``), and how hard a
network operation is tried (``network``).

Secrets never live in ``rkc.yaml``: a password or passphrase is named by the environment
variable (``password_env``) or the file (``password_file``) that holds it, and read only when a
connection is made. A ``password`` key in the file is refused, naming the key to use instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class TransportConfigError(Exception):
    """A mistake in the network keys of ``rkc.yaml`` (re-raised by ``rkc.config`` as ConfigError)."""


class SourceKind(StrEnum):
    """Where a channel's registers come from."""

    FOLDER = "folder"  # another local folder (a mounted share): copied into the inbox
    SFTP = "sftp"
    IMAP = "imap"


class ImapSecurity(StrEnum):
    """How an IMAP connection is protected; there is no clear-text choice."""

    STARTTLS = "starttls"  # port 143, TLS before the login
    SSL = "ssl"  # port 993, TLS from the first byte


class ImapAfter(StrEnum):
    """What happens to a message once its attachments are in the inbox."""

    SEEN = "seen"  # marked \\Seen
    MOVE = "move"  # moved to ``move_to``


@dataclass(frozen=True)
class Secret:
    """Where a secret is kept: an environment variable or a file (its first line); read on use."""

    env: str | None = None
    file: Path | None = None
    where: str = ""

    def read(self) -> str:
        """The secret's value; a missing variable or file names the key that points at it."""
        if self.env:
            value = os.environ.get(self.env)
            if value is None:
                raise TransportConfigError(f"{self.where}: environment variable {self.env} is not set")
            return value
        if self.file is None:
            raise TransportConfigError(f"{self.where}: no secret configured")
        try:
            return self.file.read_text(encoding="utf-8").splitlines()[0] if self.file.stat().st_size else ""
        except OSError as exc:
            raise TransportConfigError(f"{self.where}: cannot read {self.file}: {exc.strerror}") from exc


@dataclass(frozen=True)
class SftpEndpoint:
    """An SFTP directory: the server, pinned by its host key, and how to log in."""

    host: str
    user: str
    path: str
    port: int = 22
    host_key: str = ""  # "ssh-ed25519 AAAA…": the only key accepted
    known_hosts: Path | None = None  # or an OpenSSH known_hosts file
    key_file: Path | None = None  # private key (its passphrase: ``passphrase``)
    passphrase: Secret | None = None
    password: Secret | None = None
    pattern: str = "*"  # which remote names to collect (fnmatch)
    where: str = ""


@dataclass(frozen=True)
class ImapEndpoint:
    """An IMAP mailbox: unseen messages from ``senders`` carry registers as attachments."""

    host: str
    user: str
    password: Secret
    senders: tuple[str, ...]
    port: int = 143
    security: ImapSecurity = ImapSecurity.STARTTLS
    mailbox: str = "INBOX"
    after: ImapAfter = ImapAfter.SEEN
    move_to: str = ""
    ca_file: Path | None = None  # a private CA; else the system's
    pattern: str = "*"  # which attachment names to collect (fnmatch, case-insensitive)
    where: str = ""


@dataclass(frozen=True)
class Source:
    """A channel's source: exactly one of a folder, an SFTP directory or an IMAP mailbox."""

    kind: SourceKind
    folder: Path | None = None
    pattern: str = "*"
    sftp: SftpEndpoint | None = None
    imap: ImapEndpoint | None = None

    def describe(self) -> str:
        """Where it is, for logs and the collection table (no secrets)."""
        if self.sftp is not None:
            return f"sftp://{self.sftp.user}@{self.sftp.host}:{self.sftp.port}{self.sftp.path}"
        if self.imap is not None:
            return f"imap://{self.imap.user}@{self.imap.host}:{self.imap.port}/{self.imap.mailbox}"
        return f"file://{self.folder}"


@dataclass(frozen=True)
class SmtpSettings:
    """The mail server letters go out through: STARTTLS always, credentials from the environment."""

    host: str
    sender: str
    port: int = 587
    sender_name: str = "РКЦ"
    user: Secret | None = None
    password: Secret | None = None
    ca_file: Path | None = None
    where: str = ""


@dataclass(frozen=True)
class Network:
    """How hard one network operation is tried within a run, and how long it may hang."""

    attempts: int = 3
    backoff_seconds: float = 5.0  # doubled after each failed attempt
    timeout_seconds: float = 60.0


@dataclass(frozen=True)
class Delivery:
    """Where supplier statements go: e-mail through ``smtp`` to the supplier's address, or to the
    supplier's own SFTP (by ИНН); a failed delivery is tried again by a later run after
    ``retry_minutes`` (doubled each time), at most ``max_attempts`` times."""

    smtp: SmtpSettings | None = None
    sftp: dict[str, SftpEndpoint] = field(default_factory=dict)
    retry_minutes: int = 30
    max_attempts: int = 10


def _text(spec: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = spec.get(key, default)
    if value is None or not str(value).strip():
        raise TransportConfigError(f"{where}.{key} is required")
    return str(value).strip()


def _port(spec: dict[str, Any], where: str, default: int) -> int:
    value = spec.get("port", default)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 65535:
        raise TransportConfigError(f"{where}.port must be a port number, got {value!r}")
    return value


def _path(value: object, root: Path) -> Path | None:
    if not value:
        return None
    path = Path(str(value)).expanduser()
    return path if path.is_absolute() else (root / path).resolve()


def _secret(spec: dict[str, Any], name: str, where: str, root: Path, env_default: str | None = None) -> Secret | None:
    """``<name>_env`` or ``<name>_file``; a ``<name>`` written into the file itself is refused."""
    if name in spec:
        raise TransportConfigError(f"{where}.{name}: secrets are not kept in rkc.yaml; name the environment "
                                   f"variable ({name}_env) or the file ({name}_file) that holds it")  # fmt: skip
    env, file = spec.get(f"{name}_env", env_default), spec.get(f"{name}_file")
    if f"{name}_env" in spec and f"{name}_file" in spec:
        raise TransportConfigError(f"{where}: give {name}_env or {name}_file, not both")
    if file:
        return Secret(file=_path(file, root), where=f"{where}.{name}_file")
    return Secret(env=str(env), where=f"{where}.{name}_env") if env else None


def _known(spec: dict[str, Any], where: str, allowed: set[str]) -> None:
    unknown = set(spec) - allowed
    if unknown:
        raise TransportConfigError(f"{where}: unknown keys {', '.join(sorted(unknown))}")


SFTP_KEYS = {"host", "port", "user", "path", "host_key", "known_hosts", "key_file", "passphrase_env",
             "passphrase_file", "password_env", "password_file", "pattern"}  # fmt: skip


def parse_sftp(spec: object, where: str, root: Path) -> SftpEndpoint:
    """An SFTP endpoint; its host key must be pinned (``host_key`` or ``known_hosts``)."""
    if not isinstance(spec, dict):
        raise TransportConfigError(f"{where} must be a mapping (host, user, path, host_key, …), got {spec!r}")
    _known(spec, where, SFTP_KEYS | {"password", "passphrase"})  # the last two: refused below, by name
    host_key, known_hosts = str(spec.get("host_key") or "").strip(), _path(spec.get("known_hosts"), root)
    if not host_key and known_hosts is None:
        raise TransportConfigError(f"{where}: the server's host key must be pinned: host_key "
                                   "(\"ssh-ed25519 AAAA…\", from ssh-keyscan) or known_hosts (a file)")  # fmt: skip
    password = _secret(spec, "password", where, root)
    key_file = _path(spec.get("key_file"), root)
    if password is None and key_file is None:
        raise TransportConfigError(f"{where}: key_file or password_env/password_file is needed to log in")
    return SftpEndpoint(
        host=_text(spec, "host", where), user=_text(spec, "user", where), path=_text(spec, "path", where, "."),
        port=_port(spec, where, 22), host_key=host_key, known_hosts=known_hosts, key_file=key_file,
        passphrase=_secret(spec, "passphrase", where, root), password=password,
        pattern=str(spec.get("pattern") or "*"), where=where,
    )  # fmt: skip


IMAP_KEYS = {"host", "port", "security", "user", "password_env", "password_file", "senders", "mailbox", "after",
             "move_to", "ca_file", "pattern", "password"}  # fmt: skip


def parse_imap(spec: object, where: str, root: Path) -> ImapEndpoint:
    """An IMAP mailbox; ``senders`` (the addresses registers come from) is required."""
    if not isinstance(spec, dict):
        raise TransportConfigError(f"{where} must be a mapping (host, user, password_env, senders, …), got {spec!r}")
    _known(spec, where, IMAP_KEYS)
    security = str(spec.get("security") or ImapSecurity.STARTTLS)
    if security not in {s.value for s in ImapSecurity}:
        raise TransportConfigError(f"{where}.security must be starttls or ssl (never plain text), got {security!r}")
    senders = spec.get("senders")
    if not isinstance(senders, list) or not senders or not all(isinstance(s, str) and "@" in s for s in senders):
        raise TransportConfigError(f"{where}.senders must list the e-mail addresses registers come from, "
                                   f"got {senders!r}")  # fmt: skip
    after = str(spec.get("after") or "seen")
    if after not in {a.value for a in ImapAfter}:
        raise TransportConfigError(f"{where}.after must be seen or move, got {after!r}")
    move_to = str(spec.get("move_to") or "")
    if after == ImapAfter.MOVE and not move_to:
        raise TransportConfigError(f"{where}.move_to names the folder messages are moved to (after: move)")
    password = _secret(spec, "password", where, root)
    if password is None:
        raise TransportConfigError(f"{where}: password_env or password_file is required")
    return ImapEndpoint(
        host=_text(spec, "host", where), user=_text(spec, "user", where), password=password,
        senders=tuple(s.strip().lower() for s in senders),
        port=_port(spec, where, 993 if security == ImapSecurity.SSL else 143), security=ImapSecurity(security),
        mailbox=str(spec.get("mailbox") or "INBOX"), after=ImapAfter(after), move_to=move_to,
        ca_file=_path(spec.get("ca_file"), root), pattern=str(spec.get("pattern") or "*"), where=where,
    )  # fmt: skip


def parse_source(spec: object, where: str, root: Path) -> Source | None:
    """``channels.<name>.source``: ``{folder: PATH}``, ``{sftp: {…}}`` or ``{imap: {…}}``; absent: the
    registers are put into the inbox by someone else."""
    where = f"{where}.source"
    if spec is None:
        return None
    if not isinstance(spec, dict) or len(set(spec) & {k.value for k in SourceKind}) != 1:
        raise TransportConfigError(f"{where} must have one of folder, sftp or imap, got {spec!r}")
    _known(spec, where, {k.value for k in SourceKind} | {"pattern"})
    pattern = str(spec.get("pattern") or "*")
    if "folder" in spec:
        folder = _path(spec["folder"], root)
        if folder is None:
            raise TransportConfigError(f"{where}.folder must name a folder")
        return Source(SourceKind.FOLDER, folder=folder, pattern=pattern)
    if "sftp" in spec:
        return Source(SourceKind.SFTP, sftp=parse_sftp(spec["sftp"], f"{where}.sftp", root))
    return Source(SourceKind.IMAP, imap=parse_imap(spec["imap"], f"{where}.imap", root))


def parse_network(spec: object, source: str) -> Network:
    """``network``: attempts (≥ 1), backoff_seconds and timeout_seconds (> 0)."""
    where = f"{source}: network"
    if spec is None:
        return Network()
    if not isinstance(spec, dict):
        raise TransportConfigError(f"{where} must be a mapping, got {spec!r}")
    _known(spec, where, {"attempts", "backoff_seconds", "timeout_seconds"})
    attempts = spec.get("attempts", 3)
    if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 1:
        raise TransportConfigError(f"{where}.attempts must be a whole number ≥ 1, got {attempts!r}")
    numbers = {}
    for key, default in (("backoff_seconds", 5.0), ("timeout_seconds", 60.0)):
        value = spec.get(key, default)
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise TransportConfigError(f"{where}.{key} must be a number of seconds, got {value!r}")
        numbers[key] = float(value)
    if numbers["timeout_seconds"] <= 0:
        raise TransportConfigError(f"{where}.timeout_seconds must be more than 0")
    return Network(attempts, **numbers)


def parse_delivery(spec: object, source: str, root: Path) -> Delivery:
    """``delivery``: smtp (host, port, sender, sender_name, ca_file; user_env and password_env
    default to RKC_SMTP_USER and RKC_SMTP_PASSWORD), sftp by supplier ИНН, retry_minutes, max_attempts."""
    where = f"{source}: delivery"
    if spec is None:
        return Delivery()
    if not isinstance(spec, dict):
        raise TransportConfigError(f"{where} must be a mapping, got {spec!r}")
    _known(spec, where, {"smtp", "sftp", "retry_minutes", "max_attempts"})
    smtp = None
    if spec.get("smtp"):
        s, at = spec["smtp"], f"{where}.smtp"
        if not isinstance(s, dict):
            raise TransportConfigError(f"{at} must be a mapping, got {s!r}")
        _known(s, at, {"host", "port", "sender", "sender_name", "ca_file", "user_env", "user_file", "password_env",
                       "password_file", "user", "password"})  # fmt: skip
        sender = _text(s, "sender", at)
        if "@" not in sender:
            raise TransportConfigError(f"{at}.sender must be an e-mail address, got {sender!r}")
        smtp = SmtpSettings(
            host=_text(s, "host", at), sender=sender, port=_port(s, at, 587),
            sender_name=str(s.get("sender_name") or "РКЦ"), user=_secret(s, "user", at, root, "RKC_SMTP_USER"),
            password=_secret(s, "password", at, root, "RKC_SMTP_PASSWORD"), ca_file=_path(s.get("ca_file"), root),
            where=at,
        )  # fmt: skip
    sftp = spec.get("sftp") or {}
    if not isinstance(sftp, dict):
        raise TransportConfigError(f"{where}.sftp must map a supplier's ИНН to its SFTP directory, got {sftp!r}")
    targets = {}
    for inn, endpoint in sftp.items():
        if not isinstance(inn, str) or not inn.isdigit():
            raise TransportConfigError(f"{where}.sftp: the key {inn!r} must be a supplier's ИНН in quotes")
        targets[inn] = parse_sftp(endpoint, f"{where}.sftp.{inn}", root)
    numbers = {}
    for key, default in (("retry_minutes", 30), ("max_attempts", 10)):
        value = spec.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < (0 if key == "retry_minutes" else 1):
            raise TransportConfigError(f"{where}.{key} must be a whole number, got {value!r}")
        numbers[key] = value
    return Delivery(smtp=smtp, sftp=targets, **numbers)
