"""A real TCP proxy on loopback, for putting a database behind a network that stalls or refuses.

    with TcpProxy("127.0.0.1", 5432) as proxy:   # connect to 127.0.0.1:proxy.port instead
        proxy.hold()     # packets held: bytes are read (the kernel acknowledges them) but none are forwarded
        proxy.release()  # everything held is forwarded, in order, and forwarding goes on
        proxy.refuse()   # every connection, existing or new, is reset at once
        proxy.restore()  # new connections are forwarded again

Threads and the standard library only: one thread accepts, and each connection has one thread per direction.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from types import TracebackType
from urllib.parse import urlsplit, urlunsplit

_CHUNK = 65536
_EOF = b""  # held in a direction's queue: the sender's FIN, which a held network does not pass on either


def _reset(sock: socket.socket) -> None:
    """Close with a TCP reset, as a refusing host does; shutdown first wakes a thread blocked in recv()."""
    with suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with suppress(OSError):
        sock.close()


class _Direction:
    """One way of one connection: bytes read from `source`, sent to `target` unless the proxy holds them."""

    def __init__(self, proxy: TcpProxy, source: socket.socket, target: socket.socket) -> None:
        self._proxy = proxy
        self.source = source
        self._target = target
        self.lock = threading.Lock()  # orders the pump's sends and release()'s flush
        self._held: list[bytes] = []

    def pump(self) -> None:
        while True:
            try:
                data = self.source.recv(_CHUNK)
            except OSError:
                return  # reset, or closed by refuse() or close()
            self.forward(data)
            if data == _EOF:
                return

    def forward(self, data: bytes) -> None:
        with self.lock:
            if self._proxy.holding:
                self._held.append(data)
                self._proxy.note_held(len(data))
                return
            self._flush()
            self._send(data)

    def flush(self) -> None:
        with self.lock:
            self._flush()

    def _flush(self) -> None:
        held, self._held = self._held, []
        for data in held:
            self._send(data)

    def _send(self, data: bytes) -> None:
        with suppress(OSError):  # the other side is gone: its own pump ends the connection
            if data == _EOF:
                self._target.shutdown(socket.SHUT_WR)
            else:
                self._target.sendall(data)


class _Link:
    """A client's connection and the proxy's own connection to the target."""

    def __init__(self, proxy: TcpProxy, client: socket.socket, upstream: socket.socket) -> None:
        self._proxy = proxy
        self.sockets = (client, upstream)
        self.directions = (_Direction(proxy, client, upstream), _Direction(proxy, upstream, client))
        self._ended = 0
        self._lock = threading.Lock()

    def start(self) -> None:
        for direction in self.directions:
            threading.Thread(target=self._run, args=(direction,), name="tcp-proxy-pump", daemon=True).start()

    def _run(self, direction: _Direction) -> None:
        direction.pump()
        with self._lock:
            self._ended += 1
            both = self._ended == 2
        if both:
            self.reset()
            self._proxy.forget(self)

    def reset(self) -> None:
        for sock in self.sockets:
            _reset(sock)


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._state = threading.Condition()
        self.holding = False
        self._refusing = False
        self._closed = False
        self._links: list[_Link] = []
        self.held_bytes = 0  # bytes held since the last hold()
        self._acceptor = threading.Thread(target=self._accept, name="tcp-proxy-accept", daemon=True)
        self._acceptor.start()

    @classmethod
    def in_front_of(cls, url: str) -> TcpProxy:
        """A proxy to the host and port of a URL such as postgresql+psycopg://user@host:port/db."""
        parts = urlsplit(url)
        return cls(parts.hostname or "127.0.0.1", parts.port or 5432)

    def through(self, url: str) -> str:
        """The same URL, pointed at this proxy."""
        parts = urlsplit(url)
        user = parts.netloc.rpartition("@")[0]
        return urlunsplit(parts._replace(netloc=f"{user}@127.0.0.1:{self.port}" if user else f"127.0.0.1:{self.port}"))

    # --- controls

    def hold(self) -> None:
        """Go on accepting and reading, forward nothing in either direction: the peers stall."""
        with self._state:
            self.holding = True
            self.held_bytes = 0

    def release(self) -> None:
        """Forward everything held, in order, and forward as usual from now on."""
        with self._state:
            self.holding = False
            links = list(self._links)
        for link in links:
            for direction in link.directions:
                direction.flush()

    def refuse(self) -> None:
        """Reset every connection at once, and every new one as soon as it comes (what was held is lost)."""
        with self._state:
            self._refusing = True
            links, self._links = self._links, []
        for link in links:
            link.reset()

    def restore(self) -> None:
        """Forward new connections again after refuse()."""
        with self._state:
            self._refusing = False

    @contextmanager
    def holding_traffic(self) -> Iterator[TcpProxy]:
        """hold() for the block, release() after it."""
        self.hold()
        try:
            yield self
        finally:
            self.release()

    def wait_held(self, at_least: int = 1, timeout: float = 30.0) -> bool:
        """Wait until the proxy holds at least this many bytes (something tried to go through); False on timeout."""
        with self._state:
            return self._state.wait_for(lambda: self.held_bytes >= at_least, timeout)

    def forget(self, link: _Link) -> None:
        with self._state, suppress(ValueError):
            self._links.remove(link)

    def note_held(self, count: int) -> None:
        with self._state:
            self.held_bytes += count
            self._state.notify_all()

    # --- lifetime

    def close(self) -> None:
        with self._state:
            self._closed = True
            links, self._links = self._links, []
        with suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept() on Linux
        self._listener.close()
        self._acceptor.join(timeout=10)
        for link in links:
            link.reset()

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(
        self, _type: type[BaseException] | None, _value: BaseException | None, _traceback: TracebackType | None
    ) -> None:
        self.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            with self._state:
                closed, refusing = self._closed, self._refusing
            if closed or refusing:
                _reset(client)
                if closed:
                    return
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=10)
                upstream.settimeout(None)
            except OSError:
                _reset(client)  # the target is down: the client sees a reset, as if it had connected to it
                continue
            link = _Link(self, client, upstream)
            with self._state:
                if self._refusing or self._closed:
                    link.reset()
                    continue
                self._links.append(link)
            link.start()
