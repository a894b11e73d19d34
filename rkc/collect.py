"""``rkc collect``: fetch the channels' new files from their sources into ``inbox/<channel>/``.

Each file is written under a dot-name (listed by the nightly run as in transit, never read) and
renamed when complete; a download that fails leaves nothing. A file is remembered by the source's
name for it (``remote_key``) and by its sha256 (``sql.collection``): it is never fetched twice, and
the same bytes under another name are recorded as a duplicate instead of being put into the inbox
again. A source that fails (a cut connection, a server down) is tried again with backoff
(``network`` in rkc.yaml); what it landed before failing stays landed, and the next run fetches
the rest.
"""

from __future__ import annotations

import fnmatch
import logging
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine

from domain.transport import CollectedStatus
from rkc.config import Config
from rkc.config_channels import Channel
from rkc.config_transport import Source, SourceKind, TransportConfigError
from rkc.transport import imap, sftp
from rkc.transport.landing import IncompleteDownload, land, part_path, sha256_of, stale_parts, writing
from rkc.transport.retry import with_retries
from sql.collection import collected_as, known_keys, record_collected
from sql.uow import UnitOfWork

T = TypeVar("T")
log = logging.getLogger("rkc.collect")
Logger = logging.Logger | logging.LoggerAdapter


@dataclass
class ChannelCollection:
    """What one channel's source gave: files landed in the inbox, duplicates not put in, what was
    left alone at the source and why, and the error that stopped it (None: it finished)."""

    channel: str
    source: str
    landed: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # "remote name = channel/name collected before"
    ignored: list[str] = field(default_factory=list)  # messages from unknown senders, attachments not matching
    removed_parts: list[str] = field(default_factory=list)  # temporary files of a killed run, removed
    error: str | None = None

    def to_dict(self) -> dict:
        """Plain dict for the flow's result."""
        return asdict(self)


class Collector:
    """Lands one channel's downloads in its inbox and remembers them."""

    def __init__(self, engine: Engine, channel: str, source: Source, inbox: Path, outcome: ChannelCollection,
                 logger: Logger) -> None:  # fmt: skip
        self.engine, self.channel, self.source, self.inbox = engine, channel, source, inbox
        self.outcome, self.logger = outcome, logger
        with engine.connect() as conn:
            self.known = known_keys(conn, channel)

    def is_known(self, key: str) -> bool:
        """Whether the source's file of this key was collected before."""
        return key in self.known

    @contextmanager
    def receiving(self, key: str, remote_name: str, size: int | None = None) -> Iterator[Path]:
        """Yield the temporary path to download into; when the block ends, check the size, then
        land the file (or record it as a duplicate) and remember it. On any error the partial
        file is removed and the error goes on."""
        with writing(part_path(self.inbox, remote_name)) as part:
            yield part
            got = part.stat().st_size
            if size is not None and got != size:
                raise IncompleteDownload(f"{remote_name}: {got} of {size} bytes arrived")
            digest = sha256_of(part)
            with UnitOfWork(self.engine) as uow:
                before = collected_as(uow.conn, digest)
                if before is not None:
                    part.unlink()
                    status, local = CollectedStatus.DUPLICATE, None
                    self.outcome.duplicates.append(f"{remote_name} = {before}")
                    self.logger.warning("%s (%s): the same bytes as %s, collected before; not put into the inbox",
                                        remote_name, self.channel, before)  # fmt: skip
                else:
                    # landed before it is recorded: a crash in between fetches it again (a duplicate the
                    # night reports), never loses it
                    local = land(part, self.inbox, remote_name).name
                    status = CollectedStatus.LANDED
                    self.outcome.landed.append(local)
                    self.logger.info("%s (%s): collected as %s, %d bytes", remote_name, self.channel, local, got)
                record_collected(uow.conn, channel=self.channel, source=self.source.describe(), remote_key=key,
                                 remote_name=remote_name, sha256=digest, size=got, local_name=local,
                                 status=status)  # fmt: skip
                uow.commit()
            self.known.add(key)


def collect(config: Config, engine: Engine, channels: list[str] | None = None,
            logger: Logger = log) -> list[ChannelCollection]:  # fmt: skip
    """Collect every channel with a source (or those named), one after the other; a source that
    fails is reported with its error and does not stop the others."""
    wanted = channels or sorted(config.channels)
    unknown = [c for c in wanted if c not in config.channels]
    if unknown:
        raise TransportConfigError(f"no such channel in rkc.yaml: {', '.join(unknown)}")
    outcomes = []
    for name in wanted:
        channel = config.channels[name]
        if channel.source is None:
            continue
        outcomes.append(_collect_channel(config, engine, channel, logger))
    return outcomes


def _collect_channel(config: Config, engine: Engine, channel: Channel, logger: Logger) -> ChannelCollection:
    source = _given(channel.source)
    inbox = config.inbox / channel.name
    inbox.mkdir(parents=True, exist_ok=True)
    outcome = ChannelCollection(channel.name, source.describe())
    for part in stale_parts(inbox):  # a killed collection's half file: never a register
        part.unlink(missing_ok=True)
        outcome.removed_parts.append(part.name)
        logger.warning("%s (%s): half-downloaded by a run that stopped; removed", part.name, channel.name)
    collector = Collector(engine, channel.name, source, inbox, outcome, logger)
    session, transient = SESSIONS[source.kind]
    try:
        with_retries(lambda: session(source, config, collector), config.network, transient,
                     f"collect {channel.name} from {source.describe()}", logger)  # fmt: skip
    except Exception as exc:  # any failure of a source is reported; the other sources go on
        outcome.error = f"{type(exc).__name__}: {exc}"
        logger.error("collect %s from %s failed: %s", channel.name, source.describe(), outcome.error)
    return outcome


def _given(value: T | None) -> T:
    """A part of the source its kind guarantees (``rkc.config_transport.parse_source``)."""
    if value is None:
        raise TransportConfigError("a source without its settings")
    return value


def _folder_session(source: Source, config: Config, collector: Collector) -> None:
    """Copy the folder's new regular files (name, size and modification time identify them)."""
    folder = source.folder
    if folder is None or not folder.is_dir():
        raise FileNotFoundError(f"source folder {folder} does not exist")
    for path in sorted(folder.iterdir()):
        info = path.lstat()
        if path.name.startswith(".") or not path.is_file() or path.is_symlink() \
                or not fnmatch.fnmatch(path.name, source.pattern):  # fmt: skip
            continue
        key = f"{path.name}|{info.st_size}|{info.st_mtime_ns}"
        if collector.is_known(key):
            continue
        with collector.receiving(key, path.name, info.st_size) as part, path.open("rb") as src, \
                part.open("wb") as dst:  # fmt: skip
            shutil.copyfileobj(src, dst, 1 << 20)


def _sftp_session(source: Source, config: Config, collector: Collector) -> None:
    """Download the SFTP directory's new files (one connection; retried whole, the known skipped)."""
    endpoint = _given(source.sftp)
    sftp.fetch_new(endpoint, config.network.timeout_seconds, lambda r: collector.is_known(r.key),
                   lambda r: collector.receiving(r.key, r.name))  # fmt: skip


def _imap_session(source: Source, config: Config, collector: Collector) -> None:
    """Land the attachments of the unseen messages from the allowed senders, then mark each message
    seen (or move it); messages from anyone else are left unseen and listed."""
    endpoint = _given(source.imap)
    with imap.open_mailbox(endpoint, config.network.timeout_seconds) as box:
        for uid in box.unseen():
            message = box.read(uid)
            if message.sender not in endpoint.senders:
                note = f"письмо от {message.sender or 'неизвестного'} «{message.subject}»: отправитель не в списке"
                if note not in collector.outcome.ignored:
                    collector.outcome.ignored.append(note)
                    collector.logger.warning("%s: message from %s (%r) left unread: sender not allowed",
                                             collector.channel, message.sender, message.subject)  # fmt: skip
                continue
            for attachment in message.attachments:
                key = f"{message.message_id}#{attachment.index}:{attachment.name}"
                if collector.is_known(key):
                    continue
                with collector.receiving(key, attachment.name, len(attachment.content)) as part:
                    part.write_bytes(attachment.content)
            for name in message.other_attachments:
                collector.outcome.ignored.append(f"вложение {name} письма «{message.subject}»: не реестр по имени")
            if not message.attachments:
                collector.outcome.ignored.append(f"письмо «{message.subject}» от {message.sender}: без вложений")
            box.done(uid)


SESSIONS: dict[SourceKind, tuple[Callable[[Source, Config, Collector], None], Callable[[BaseException], bool]]] = {
    SourceKind.FOLDER: (_folder_session, lambda e: isinstance(e, OSError) and not isinstance(e, FileNotFoundError)),
    SourceKind.SFTP: (_sftp_session, sftp.sftp_transient),
    SourceKind.IMAP: (_imap_session, imap.imap_transient),
}
