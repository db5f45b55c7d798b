"""A fake Slack Socket Mode endpoint: a real WebSocket server on loopback that speaks Slack's protocol.

Slack's side of https://api.slack.com/apis/socket-mode, over a hand-rolled RFC 6455 server (standard library only):

- `apps.connections.open` (FakeSlack, given this server as `slack.socket_mode`) hands out
  `ws://127.0.0.1:<port>/link/?ticket=...&app_id=...`; each ticket opens one connection, as Slack's do.
- On connecting, the app gets `{"type": "hello", "num_connections": ..., "debug_info": ..., "connection_info": ...}`.
- Envelopes `{"envelope_id", "type": "slash_commands" | "interactive" | "events_api", "payload",
  "accepts_response_payload"}` go to the newest open connection; the app acknowledges each with
  `{"envelope_id": ..., "payload": {...}}` (payload optional). Slack gives up on an envelope after 3 seconds:
  an acknowledgement after that is recorded as late.
- `{"type": "disconnect", "reason": "refresh_requested" | "warning" | "link_disabled"}` asks the app to open a new
  connection; like Slack, the fake leaves the old one open until the app (or a test) closes it.
- WebSocket rules a server enforces: the upgrade handshake (`Sec-WebSocket-Accept`), masked client frames,
  pings answered with pongs carrying the same data, the closing handshake, fragmented messages reassembled.
  With `ping_interval` it also pings the app, as Slack does to keep a connection alive.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import socket
import socketserver
import struct
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from tests.fakes import issued

T = TypeVar("T")

WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3
ACK_DEADLINE = 3.0  # seconds Slack waits for an envelope's acknowledgement
DISCONNECT_REASONS = ("refresh_requested", "warning", "link_disabled")
ENVELOPE_TYPES = ("slash_commands", "interactive", "events_api")
# Interactive payloads whose acknowledgement Slack reads (a modal's response_action, menu options).
_RESPONDING_INTERACTIONS = ("view_submission", "block_suggestion")
_MAX_HANDSHAKE = 16 * 1024
_MAX_MESSAGE = 1 << 20


class Opcode(IntEnum):
    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    CLOSE = 0x8
    PING = 0x9
    PONG = 0xA


class CloseCode(IntEnum):
    NORMAL = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    NO_STATUS = 1005
    ABNORMAL = 1006  # never sent: the connection ended without a closing handshake
    INVALID_DATA = 1007
    TOO_BIG = 1009


@dataclass(frozen=True)
class Frame:
    """One frame received from a client, unmasked."""

    connection: int  # the connection's number, from 1
    opcode: Opcode
    data: bytes
    fin: bool
    masked: bool


@dataclass(frozen=True)
class Envelope:
    envelope_id: str
    type: str
    payload: dict[str, Any]
    accepts_response_payload: bool
    connection: int
    sent_at: float  # time.monotonic()


@dataclass(frozen=True)
class Ack:
    envelope_id: str
    payload: dict[str, Any] | None  # the acknowledgement's "payload", if it carried one
    connection: int
    late: bool  # after ACK_DEADLINE, when Slack had already given up on the envelope
    known: bool  # the envelope_id is one the fake sent


@dataclass(frozen=True)
class Handshake:
    """An upgrade request and the fake's answer to it."""

    target: str  # request target, e.g. "/link/?ticket=...&app_id=..."
    headers: dict[str, str]  # lower-cased names
    status: int  # 101 when the connection was opened


class ProtocolViolation(Exception):
    def __init__(self, code: CloseCode, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class SocketConnection:
    """One accepted WebSocket connection."""

    def __init__(self, number: int, ticket: str, handshake: Handshake, sock: socket.socket, server: FakeSocketMode):
        self.number = number  # from 1, in the order connections were made
        self.ticket = ticket
        self.handshake = handshake
        self.sent: list[dict[str, Any]] = []  # JSON messages the fake sent on it
        self.open = True
        self.close_code: int | None = None  # from the client's close frame, or 1006 when it just hung up
        self.closed_by: str | None = None  # "client" or "server": who started the close
        self._sock = sock
        self._server = server
        self._send_lock = threading.Lock()
        self._close_sent = False

    def __repr__(self) -> str:
        state = "open" if self.open else f"closed {self.close_code} by {self.closed_by}"
        return f"<SocketConnection {self.number} {state}>"

    def send_json(self, message: dict[str, Any]) -> None:
        self._send_frame(Opcode.TEXT, json.dumps(message).encode())
        with self._server._changed:
            self.sent.append(message)
            self._server._changed.notify_all()

    def ping(self, data: bytes = b"") -> None:
        self._send_frame(Opcode.PING, data)

    def close(self, code: int = CloseCode.GOING_AWAY, reason: str = "") -> None:
        """Start the closing handshake from the server side, as Slack does when it ends a connection.

        A connection the client has just dropped takes no close frame; Slack's side does not fail for that.
        """
        with contextlib.suppress(OSError):
            self._send_close(code, reason)
        with self._server._changed:
            self.closed_by = self.closed_by or "server"

    # ---- reading (the connection's own thread)

    def _serve(self, reader: _Reader) -> None:
        message: list[bytes] = []
        message_opcode: Opcode | None = None
        try:
            while True:
                frame = self._read_frame(reader)
                self._server._record_frame(frame)
                if frame.opcode == Opcode.CLOSE:
                    self._closed_by_client(frame.data)
                    return
                if frame.opcode == Opcode.PING:
                    self._send_frame(Opcode.PONG, frame.data)
                    continue
                if frame.opcode == Opcode.PONG:
                    continue
                if frame.opcode == Opcode.CONTINUATION:
                    if message_opcode is None:
                        raise ProtocolViolation(CloseCode.PROTOCOL_ERROR, "continuation without a message")
                elif message_opcode is not None:
                    raise ProtocolViolation(CloseCode.PROTOCOL_ERROR, "new message inside a fragmented one")
                else:
                    message_opcode = frame.opcode
                message.append(frame.data)
                if sum(map(len, message)) > _MAX_MESSAGE:
                    raise ProtocolViolation(CloseCode.TOO_BIG, "message too big")
                if frame.fin:
                    data, opcode = b"".join(message), message_opcode
                    message, message_opcode = [], None
                    if opcode == Opcode.TEXT:
                        try:
                            text = data.decode("utf-8")
                        except UnicodeDecodeError:
                            raise ProtocolViolation(CloseCode.INVALID_DATA, "text is not UTF-8") from None
                        self._server._on_text(self, text)
        except ProtocolViolation as violation:
            with contextlib.suppress(OSError):
                self._send_close(violation.code, violation.reason)
            self._hang_up(CloseCode.ABNORMAL, by="server")
        except (ConnectionError, OSError):  # the client hung up without a closing handshake
            self._hang_up(CloseCode.ABNORMAL, by="client")

    def _read_frame(self, reader: _Reader) -> Frame:
        first, second = reader.read_exact(2)
        fin, opcode_bits, masked, length = bool(first & 0x80), first & 0x0F, bool(second & 0x80), second & 0x7F
        if first & 0x70:
            raise ProtocolViolation(CloseCode.PROTOCOL_ERROR, "reserved bits set without an extension")
        try:
            opcode = Opcode(opcode_bits)
        except ValueError:
            raise ProtocolViolation(CloseCode.PROTOCOL_ERROR, f"unknown opcode {opcode_bits:#x}") from None
        if length == 126:
            (length,) = struct.unpack("!H", reader.read_exact(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", reader.read_exact(8))
        if opcode >= Opcode.CLOSE and (length > 125 or not fin):
            raise ProtocolViolation(CloseCode.PROTOCOL_ERROR, "control frames are short and unfragmented")
        if length > _MAX_MESSAGE:
            raise ProtocolViolation(CloseCode.TOO_BIG, "frame too big")
        if not masked:  # RFC 6455 5.1: a server must close the connection on an unmasked client frame
            raise ProtocolViolation(CloseCode.PROTOCOL_ERROR, "client frames must be masked")
        mask = reader.read_exact(4)
        data = bytes(byte ^ mask[i % 4] for i, byte in enumerate(reader.read_exact(length)))
        return Frame(self.number, opcode, data, fin, masked)

    def _closed_by_client(self, data: bytes) -> None:
        code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else CloseCode.NO_STATUS
        with self._server._changed:
            self.closed_by = self.closed_by or "client"
            self.close_code = code
        # Answer the closing handshake (unless the server began it), then end the TCP connection.
        with contextlib.suppress(OSError):
            self._send_close(code if code != CloseCode.NO_STATUS else CloseCode.NORMAL, "")
        self._hang_up(code, by="client")

    def _hang_up(self, code: int, by: str) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        with self._server._changed:
            if self.close_code is None:
                self.close_code = code
            self.closed_by = self.closed_by or by
            self.open = False
            self._server._changed.notify_all()

    # ---- writing (any thread)

    def _send_close(self, code: int, reason: str) -> None:
        with self._send_lock:
            if self._close_sent:
                return
            self._close_sent = True
        self._send_frame(Opcode.CLOSE, struct.pack("!H", code) + reason.encode()[:123], closing=True)

    def _send_frame(self, opcode: Opcode, data: bytes, *, closing: bool = False) -> None:
        # Server frames are never masked (RFC 6455 5.1).
        length = len(data)
        if length <= 125:
            header = struct.pack("!BB", 0x80 | opcode, length)
        elif length <= 0xFFFF:
            header = struct.pack("!BBH", 0x80 | opcode, 126, length)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 127, length)
        with self._send_lock:
            if self._close_sent and not closing:
                raise ConnectionError(f"connection {self.number} is closing")
            self._sock.sendall(header + data)


class FakeSocketMode:
    HOST = "applink-fake-1"  # shown in debug_info, like Slack's "applink-..." hosts

    def __init__(self, app_id: str = "AFAKEAPP", ping_interval: float | None = None) -> None:
        self.app_id = app_id
        # Slack pings connected apps now and then; a short interval also keeps the SDK's blocking reads short,
        # so a client closing its connection is not kept waiting for its 3-second read timeout.
        self.ping_interval = ping_interval
        self._stopping = threading.Event()
        self._changed = threading.Condition(threading.RLock())
        self._tickets: dict[str, bool] = {}  # ticket -> used
        self._connections: list[SocketConnection] = []
        self._handshakes: list[Handshake] = []
        self._frames: list[Frame] = []
        self._envelopes: dict[str, Envelope] = {}
        self._acks: list[Ack] = []
        self._texts: list[tuple[int, str]] = []  # every text message received, with its connection
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle

    def start(self) -> FakeSocketMode:
        if self._server is None:
            self._stopping.clear()
            self._server = _Server(self)
            self._thread = threading.Thread(
                target=self._server.serve_forever, args=(0.02,), name="fake-socket-mode", daemon=True
            )
            self._thread.start()
            if self.ping_interval:
                threading.Thread(target=self._keep_pinging, name="fake-socket-mode-ping", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        for connection in self.connections:
            if connection.open:
                connection._hang_up(CloseCode.ABNORMAL, by="server")
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeSocketMode:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeSocketMode is not started")
        host, port = self._server.server_address[:2]
        return f"ws://{host!s}:{port}"

    def issue_url(self) -> str:
        """A fresh single-use link, what apps.connections.open answers with."""
        ticket = issued(str(uuid.uuid4()))  # a credential: the suite checks no log line ever shows it
        with self._changed:
            self._tickets[ticket] = False
        return f"{self.base_url}/link/?ticket={ticket}&app_id={self.app_id}"

    # ---- what happened

    @property
    def connections(self) -> list[SocketConnection]:
        with self._changed:
            return list(self._connections)

    @property
    def handshakes(self) -> list[Handshake]:
        with self._changed:
            return list(self._handshakes)

    @property
    def frames(self) -> list[Frame]:
        """Every frame clients sent, in the order received."""
        with self._changed:
            return list(self._frames)

    @property
    def texts(self) -> list[tuple[int, str]]:
        """Every text message received (fragments joined), with the connection number."""
        with self._changed:
            return list(self._texts)

    @property
    def envelopes(self) -> list[Envelope]:
        with self._changed:
            return list(self._envelopes.values())

    @property
    def acks(self) -> list[Ack]:
        with self._changed:
            return list(self._acks)

    def wait_for(self, predicate: Callable[[FakeSocketMode], T | None], timeout: float = 10.0) -> T:
        """Block until predicate(self) is truthy; woken by every frame, connection and message, not by polling."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = predicate(self)
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(self._timeout_report(timeout))
                self._changed.wait(remaining)

    def wait_for_connection(self, number: int = 1, timeout: float = 10.0) -> SocketConnection:
        """The number-th connection (from 1), once it is open and has been sent its hello."""
        return self.wait_for(lambda s: s._connections[number - 1] if len(s._connections) >= number else None, timeout)

    def wait_closed(self, connection: SocketConnection, timeout: float = 10.0) -> SocketConnection:
        return self.wait_for(lambda _: None if connection.open else connection, timeout)

    # ---- acting as Slack

    def current(self) -> SocketConnection:
        """The newest open connection: where Slack's next envelope goes."""
        with self._changed:
            for connection in reversed(self._connections):
                if connection.open:
                    return connection
        raise AssertionError(self._timeout_report(0.0, "no open Socket Mode connection"))

    def send_envelope(
        self,
        type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        connection: SocketConnection | None = None,
    ) -> str:
        """Deliver a payload the way Slack does in Socket Mode; returns its envelope_id."""
        if type not in ENVELOPE_TYPES:
            raise ValueError(f"Slack sends {', '.join(ENVELOPE_TYPES)} envelopes, not {type!r}")
        if accepts_response_payload is None:
            accepts_response_payload = type == "slash_commands" or (
                type == "interactive" and payload.get("type") in _RESPONDING_INTERACTIONS
            )
        target = connection or self.current()
        envelope_id = str(uuid.uuid4())
        message: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if type == "events_api":
            message |= {"retry_attempt": 0, "retry_reason": ""}
        with self._changed:
            self._envelopes[envelope_id] = Envelope(
                envelope_id, type, payload, accepts_response_payload, target.number, time.monotonic()
            )
        target.send_json(message)
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> Ack:
        def ack(s: FakeSocketMode) -> Ack | None:
            return next((a for a in s._acks if a.envelope_id == envelope_id), None)

        return self.wait_for(ack, timeout)

    def request(
        self,
        type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        timeout: float = 10.0,
    ) -> dict[str, Any] | None:
        """Send an envelope and wait for its acknowledgement; returns the acknowledgement's payload, if any."""
        envelope_id = self.send_envelope(type, payload, accepts_response_payload=accepts_response_payload)
        return self.wait_ack(envelope_id, timeout).payload

    def disconnect(self, reason: str = "refresh_requested", connection: SocketConnection | None = None) -> None:
        """Ask the app to move to a new connection; the old one stays open, as Slack leaves it for a while."""
        if reason not in DISCONNECT_REASONS:
            raise ValueError(f"Slack's disconnect reasons are {', '.join(DISCONNECT_REASONS)}, not {reason!r}")
        (connection or self.current()).send_json({"type": "disconnect", "reason": reason, "debug_info": self._debug()})

    # ---- server side (called from connection threads)

    def _keep_pinging(self) -> None:
        assert self.ping_interval
        while not self._stopping.wait(self.ping_interval):
            for connection in self.connections:
                if connection.open:
                    with contextlib.suppress(ConnectionError, OSError):
                        connection.ping(b"keepalive")

    def _accept(self, sock: socket.socket) -> None:
        reader = _Reader(sock)
        try:
            request = reader.read_until(b"\r\n\r\n", _MAX_HANDSHAKE)
        except (ConnectionError, OSError, ProtocolViolation):
            sock.close()
            return
        target, headers, status, problem = self._check_upgrade(request)
        with self._changed:
            handshake = Handshake(target, headers, status)
            self._handshakes.append(handshake)
            self._changed.notify_all()
        if status != 101:
            extra = "Sec-WebSocket-Version: 13\r\n" if status == 426 else ""
            body = problem.encode()
            with contextlib.suppress(OSError):
                sock.sendall(
                    f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: text/plain\r\n{extra}"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                    + body
                )
            sock.close()
            return
        accept = base64.b64encode(hashlib.sha1((headers["sec-websocket-key"] + WEBSOCKET_GUID).encode()).digest())
        ticket = parse_qs(urlsplit(target).query)["ticket"][0]
        # Under the lock until the hello is out: a second connection must count this one, and no envelope
        # may go out on a connection before its hello.
        with self._changed:
            connection = SocketConnection(len(self._connections) + 1, ticket, handshake, sock, self)
            hello = {
                "type": "hello",
                "num_connections": sum(1 for c in self._connections if c.open) + 1,
                "debug_info": {**self._debug(), "build_number": 1, "approximate_connection_time": 18060},
                "connection_info": {"app_id": self.app_id},
            }
            try:
                sock.sendall(
                    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
                )
                connection.send_json(hello)  # Slack's first message on every connection
            except OSError:
                sock.close()
                return
            self._connections.append(connection)
            self._changed.notify_all()
        connection._serve(reader)

    def _check_upgrade(self, request: bytes) -> tuple[str, dict[str, str], int, str]:
        lines = request.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if colon:
                headers[name.strip().lower()] = value.strip()
        target = parts[1] if len(parts) == 3 else ""
        if len(parts) != 3 or parts[0] != "GET" or parts[2] != "HTTP/1.1":
            return target, headers, 400, "expected GET <target> HTTP/1.1"
        if "host" not in headers:
            return target, headers, 400, "missing Host"
        if headers.get("upgrade", "").lower() != "websocket":
            return target, headers, 400, "expected Upgrade: websocket"
        if "upgrade" not in [token.strip().lower() for token in headers.get("connection", "").split(",")]:
            return target, headers, 400, "expected Connection: Upgrade"
        if headers.get("sec-websocket-version") != "13":
            return target, headers, 426, "expected Sec-WebSocket-Version: 13"
        try:
            key = base64.b64decode(headers.get("sec-websocket-key", ""), validate=True)
        except binascii.Error:
            key = b""
        if len(key) != 16:
            return target, headers, 400, "Sec-WebSocket-Key must be 16 bytes, base64-encoded"
        url = urlsplit(target)
        if url.path.rstrip("/") != "/link":
            return target, headers, 404, "not found"
        tickets = parse_qs(url.query).get("ticket", [])
        with self._changed:
            if len(tickets) != 1 or self._tickets.get(tickets[0]) is not False:
                # An unknown ticket, or one already used: each apps.connections.open URL admits one connection.
                return target, headers, 401, "invalid or used ticket"
            self._tickets[tickets[0]] = True
        return target, headers, 101, ""

    def _record_frame(self, frame: Frame) -> None:
        with self._changed:
            self._frames.append(frame)
            self._changed.notify_all()

    def _on_text(self, connection: SocketConnection, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        with self._changed:
            self._texts.append((connection.number, text))
            if isinstance(message, dict) and isinstance(message.get("envelope_id"), str):
                envelope = self._envelopes.get(message["envelope_id"])
                payload = message.get("payload")
                self._acks.append(
                    Ack(
                        envelope_id=message["envelope_id"],
                        payload=payload if isinstance(payload, dict) else None,
                        connection=connection.number,
                        late=envelope is not None and time.monotonic() - envelope.sent_at > ACK_DEADLINE,
                        known=envelope is not None,
                    )
                )
            self._changed.notify_all()

    def _debug(self) -> dict[str, Any]:
        return {"host": self.HOST}

    def _timeout_report(self, timeout: float, headline: str | None = None) -> str:
        with self._changed:
            lines = [headline or f"condition not met within {timeout:g}s"]
            lines.append(f"handshakes: {[(h.target.split('?')[0], h.status) for h in self._handshakes]}")
            lines.append(f"connections: {self._connections}")
            lines.append(f"envelopes sent: {[(e.type, e.envelope_id[:8]) for e in self._envelopes.values()]}")
            lines.append(f"acks: {[(a.envelope_id[:8], a.payload) for a in self._acks]}")
            lines.extend(f"  received on {number}: {text[:200]}" for number, text in self._texts[-10:])
        return "\n".join(lines)


_REASONS = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 426: "Upgrade Required"}


class _Reader:
    """Buffered reads from a blocking socket: the handshake's end may arrive together with the first frame."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = b""

    def read_exact(self, count: int) -> bytes:
        while len(self._buffer) < count:
            self._fill()
        data, self._buffer = self._buffer[:count], self._buffer[count:]
        return data

    def read_until(self, marker: bytes, limit: int) -> bytes:
        while marker not in self._buffer:
            if len(self._buffer) > limit:
                raise ProtocolViolation(CloseCode.TOO_BIG, "handshake too long")
            self._fill()
        data, _, self._buffer = self._buffer.partition(marker)
        return data

    def _fill(self) -> None:
        chunk = self._sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed by the peer")
        self._buffer += chunk


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, fake: FakeSocketMode) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


class _Handler(socketserver.BaseRequestHandler):
    server: _Server
    request: socket.socket

    def handle(self) -> None:
        self.server.fake._accept(self.request)
