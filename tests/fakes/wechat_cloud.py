"""One WeChat host serving several mini programs, as api.weixin.qq.com does: each call goes to the fake of the
mini program it names, by appid when it asks for a token and by access token otherwise."""

from __future__ import annotations

import contextlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from tests.fakes.wechat import FakeWeChat


class FakeWeChatCloud:
    def __init__(self, *apps: FakeWeChat) -> None:
        self.apps = apps
        self._server: ThreadingHTTPServer | None = None
        self.base_url = ""

    def start(self) -> FakeWeChatCloud:
        cloud = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                cloud._forward(self, "GET")

            def do_POST(self) -> None:
                cloud._forward(self, "POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeWeChatCloud:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _forward(self, http: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(http.path)
        raw = http.rfile.read(int(http.headers.get("Content-Length") or 0))
        app = self._app_for(dict(parse_qsl(url.query)), raw)
        answer = requests.request(
            method,
            app.base_url + http.path,
            data=raw or None,
            headers={"Content-Type": http.headers.get("Content-Type") or "application/json"},
            timeout=60,
        )
        http.send_response(answer.status_code)
        http.send_header("Content-Type", answer.headers.get("Content-Type", "application/json"))
        http.send_header("Content-Length", str(len(answer.content)))
        http.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            http.wfile.write(answer.content)

    def _app_for(self, query: dict[str, str], raw: bytes) -> FakeWeChat:
        with contextlib.suppress(ValueError):
            body = json.loads(raw) if raw else {}
            appid = query.get("appid") or (body.get("appid") if isinstance(body, dict) else None)
            for app in self.apps:
                if appid == app.appid:
                    return app
        token = query.get("access_token")
        for app in self.apps:
            if app.issued(token):
                return app
        return self.apps[0]  # which answers an unknown token as WeChat does: 40001
