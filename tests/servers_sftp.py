"""A real SFTP server for the tests: asyncssh's server, in this process, on its own event loop in
a thread, on loopback; one user with a key and a password, files under a temporary root folder."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncssh


@dataclass(frozen=True)
class SftpServer:
    """A running server: where it listens, its host key (public, to pin), the user's credentials
    and the folder its clients see as ``/``."""

    host: str
    port: int
    host_key: str
    user: str
    password: str
    client_key: Path
    root: Path


class _Server(asyncssh.SSHServer):
    def __init__(self, user: str, password: str, client_public: asyncssh.SSHKey) -> None:
        self.user, self.password, self.client_public = user, password, client_public

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username == self.user and password == self.password

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        return username == self.user and key.public_data == self.client_public.public_data


@contextmanager
def sftp_server(folder: Path) -> Iterator[SftpServer]:
    """Start the server with fresh host and client keys under ``folder``; files under
    ``folder/root``. Stopped, with its loop, when the block ends."""
    root = folder / "root"
    root.mkdir(parents=True, exist_ok=True)
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key_path = folder / "client_ed25519"
    client_key.write_private_key(str(client_key_path))
    client_key_path.chmod(0o600)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def sftp_factory(chan: asyncssh.SSHServerChannel) -> asyncssh.SFTPServer:
        return asyncssh.SFTPServer(chan, chroot=str(root).encode())

    async def start() -> asyncssh.SSHAcceptor:
        return await asyncssh.listen(
            "127.0.0.1", 0, server_host_keys=[host_key],
            server_factory=lambda: _Server("agent", "sftp-secret", client_key.convert_to_public()),
            sftp_factory=sftp_factory, allow_scp=False,
        )  # fmt: skip

    acceptor = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    port = acceptor.sockets[0].getsockname()[1]
    try:
        yield SftpServer("127.0.0.1", port, host_key.export_public_key("openssh").decode().strip(), "agent",
                         "sftp-secret", client_key_path, root)  # fmt: skip
    finally:

        async def stop() -> None:
            acceptor.close()
            await acceptor.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
