"""A loopback TCP relay that cuts connections: it forwards to a real server and, for the first
``cuts`` connections, closes both sides once ``after_bytes`` bytes have gone from the server to the
client — a network cut mid-download, whatever the protocol (SSH, IMAP over TLS)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Cutter:
    """The relay's port and what it did: connections relayed and connections cut."""

    port: int
    cuts: int
    after_bytes: int
    connections: int = 0
    cut: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _pump(src: socket.socket, dst: socket.socket, limit: int | None, done: threading.Event) -> None:
    sent = 0
    try:
        while not done.is_set():
            data = src.recv(65536)
            if not data:
                break
            if limit is not None and sent + len(data) >= limit:
                dst.sendall(data[: max(0, limit - sent)])
                break
            dst.sendall(data)
            sent += len(data)
    except OSError:
        pass
    finally:
        done.set()
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


@contextmanager
def cutting_relay(target_port: int, cuts: int, after_bytes: int) -> Iterator[Cutter]:
    """Relay ``127.0.0.1:<port>`` to ``127.0.0.1:target_port``, cutting the first ``cuts``
    connections after ``after_bytes`` bytes from the server."""
    listener = socket.create_server(("127.0.0.1", 0))
    cutter = Cutter(listener.getsockname()[1], cuts, after_bytes)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", target_port))
            with cutter.lock:
                cutter.connections += 1
                cut = cutter.connections <= cutter.cuts
                cutter.cut += int(cut)
            done = threading.Event()
            threading.Thread(target=_pump, args=(client, server, None, done), daemon=True).start()
            threading.Thread(target=_pump, args=(server, client, after_bytes if cut else None, done),
                             daemon=True).start()  # fmt: skip

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield cutter
    finally:
        stop.set()
        try:
            listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() of the serving thread
        except OSError:
            pass
        listener.close()
        thread.join(5)
