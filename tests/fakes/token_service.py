"""A fake central token service: a real HTTP server on loopback that hands out tokens the fake WeChat accepts.

Like a well-behaved central refresher it keeps one current token for everyone, and replaces it only when
told (by `stale`, the hash of a token WeChat refused) that this very token no longer works.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.wechat import FakeWeChat


@dataclass
class ServiceFault:
    status: int = 500
    body: bytes | None = None  # sent instead of the default non-JSON page (with `status`)
    delay: float = 0.0


class FakeTokenService:
    def __init__(self, wechat: FakeWeChat) -> None:
        self.wechat = wechat
        self.requests: list[dict[str, str]] = []
        self.current: str | None = None
        self.ignore_stale = False  # misbehave: keep handing out the current token even when told it is stale
        self._lock = threading.Lock()
        self._faults: deque[ServiceFault] = deque()
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    def start(self) -> FakeTokenService:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                service._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/token"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-tokens", daemon=True).start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> FakeTokenService:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def fail_next(self, status: int = 500, *, body: bytes | None = None, delay: float = 0.0) -> None:
        with self._lock:
            self._faults.append(ServiceFault(status, body, delay))

    def _handle(self, http: BaseHTTPRequestHandler) -> None:
        url = urlsplit(http.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        with self._lock:
            self.requests.append(query)
            fault = self._faults.popleft() if self._faults else None
        if fault is not None:
            time.sleep(fault.delay)
            self._send(http, fault.status, fault.body or f"<html>{fault.status} error</html>".encode())
        elif url.path != "/token" or query.get("appid") != self.wechat.appid:
            self._send(http, 404, json.dumps({"error": "unknown appid"}).encode())
        else:
            token = self._token(query.get("stale"))
            self._send(http, 200, json.dumps({"access_token": token, "expires_in": 7200}).encode())

    def _token(self, stale: str | None) -> str:
        with self._lock:
            refused = stale is not None and self.current is not None and stale == _hash(self.current)
            if self.current is None or (refused and not self.ignore_stale):
                self.current = self.wechat.issue_token()
            return self.current

    @staticmethod
    def _send(http: BaseHTTPRequestHandler, status: int, payload: bytes) -> None:
        http.send_response(status)
        http.send_header("Content-Length", str(len(payload)))
        http.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            http.wfile.write(payload)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:12]
