"""SFTP client (asyncssh): list a directory and download the files not seen before; upload files
atomically. The server is accepted only with the pinned host key; a password or key passphrase
is read from its secret when the connection is made."""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh

from rkc.config_transport import SftpEndpoint
from rkc.transport.landing import IncompleteDownload
from rkc.transport.retry import run_coroutine

CHUNK = 256 * 1024


@dataclass(frozen=True)
class RemoteFile:
    """A regular file of the remote directory as listed."""

    name: str
    size: int
    mtime: int

    @property
    def key(self) -> str:
        """What identifies this file at the source: a file of the same name rewritten is new."""
        return f"{self.name}|{self.size}|{self.mtime}"


def sftp_transient(error: BaseException) -> bool:
    """Whether trying again may help: a cut or refused connection, a timeout, a short download —
    not a wrong host key, a refused login or a missing directory."""
    if isinstance(error, asyncssh.PermissionDenied | asyncssh.HostKeyNotVerifiable):
        return False
    if isinstance(error, asyncssh.SFTPError):
        return isinstance(error, asyncssh.SFTPConnectionLost | asyncssh.SFTPNoConnection)
    return isinstance(error, OSError | EOFError | TimeoutError | asyncssh.DisconnectError |
                      asyncssh.ChannelOpenError)  # fmt: skip


def _connect(endpoint: SftpEndpoint, timeout: float) -> Any:  # asyncssh's awaitable context manager
    """Open the SSH connection: the pinned host key only, no agent, no ~/.ssh/config, the
    configured key file or password; silent for ``timeout`` seconds (keepalives unanswered), it
    is dropped."""
    if endpoint.host_key:
        known_hosts: object = ([asyncssh.import_public_key(endpoint.host_key)], [], [])
    else:
        known_hosts = str(endpoint.known_hosts)
    return asyncssh.connect(
        endpoint.host, endpoint.port, username=endpoint.user, known_hosts=known_hosts, config=None,
        agent_path=None, client_keys=[str(endpoint.key_file)] if endpoint.key_file else None,
        passphrase=endpoint.passphrase.read() if endpoint.passphrase else None,
        password=endpoint.password.read() if endpoint.password else None,
        connect_timeout=timeout, login_timeout=timeout, keepalive_interval=timeout / 2 if timeout else 0,
    )  # fmt: skip


def fetch_new(
    endpoint: SftpEndpoint,
    timeout: float,
    is_known: Callable[[RemoteFile], bool],
    receive: Callable[[RemoteFile], AbstractContextManager[Path]],
) -> list[RemoteFile]:
    """One session: list ``endpoint.path``; download every regular file whose name matches the
    pattern (dot-names are uploads in progress at the agent) and ``is_known`` does not know, into
    the path ``receive`` yields (which lands it when the block ends, or removes it on error).
    Returns the files downloaded."""

    async def session() -> list[RemoteFile]:
        got = []
        async with _connect(endpoint, timeout) as conn, conn.start_sftp_client() as sftp:
            listed = []
            for entry in await sftp.readdir(endpoint.path):
                name = entry.filename if isinstance(entry.filename, str) else entry.filename.decode("utf-8", "replace")
                if (entry.attrs.type == asyncssh.FILEXFER_TYPE_REGULAR and not name.startswith(".")
                        and fnmatch.fnmatch(name, endpoint.pattern)):  # fmt: skip
                    listed.append(RemoteFile(name, int(entry.attrs.size or 0), int(entry.attrs.mtime or 0)))
            for remote in sorted(listed, key=lambda r: r.name):
                if is_known(remote):
                    continue
                with receive(remote) as path:
                    await _download(sftp, posixpath.join(endpoint.path, remote.name), path, remote.size)
                got.append(remote)
        return got

    return run_coroutine(session())


async def _download(sftp: asyncssh.SFTPClient, remote: str, path: Path, size: int) -> None:
    """Copy one remote file into ``path``; fewer bytes than listed is a cut connection."""
    written = 0
    async with sftp.open(remote, "rb") as source:
        with path.open("wb") as out:
            while chunk := await source.read(CHUNK):
                out.write(chunk)
                written += len(chunk)
    if written != size:
        raise IncompleteDownload(f"{remote}: {written} of {size} bytes arrived")


def upload(endpoint: SftpEndpoint, timeout: float, files: list[tuple[Path, str]]) -> None:
    """Put each local file under its remote name into ``endpoint.path``: written as ``.name.part``,
    then renamed over the old one in one step (POSIX rename where the server has it), so the
    supplier never reads half a file."""

    async def session() -> None:
        async with _connect(endpoint, timeout) as conn, conn.start_sftp_client() as sftp:
            for local, name in files:
                final = posixpath.join(endpoint.path, name)
                part = posixpath.join(endpoint.path, f".{name}.part")
                await sftp.put(str(local), part)
                try:
                    await sftp.posix_rename(part, final)
                    continue
                except asyncssh.SFTPOpUnsupported:  # a server without the extension: remove, then rename
                    pass
                if await sftp.exists(final):
                    await sftp.remove(final)
                await sftp.rename(part, final)

    run_coroutine(session())
