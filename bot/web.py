"""HTTP mode: Slack's requests at POST /slack/events and a health check at GET /healthz, under waitress."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import waitress
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.runtime import Runtime

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"

StartResponse = Callable[..., Any]


def wsgi_app(runtime: Runtime) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    slack = SlackRequestHandler(runtime.bolt, path=EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            ready = runtime.ready()
            status = "200 OK" if ready else "503 Service Unavailable"
            start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
            return [b"ok\n" if ready else b"database unreachable\n"]
        return slack(environ, start_response)

    return application


def make_server(runtime: Runtime, host: str, port: int) -> Any:
    """A waitress server, not yet running: call .run() to serve and .close() to stop."""
    return waitress.create_server(wsgi_app(runtime), host=host, port=port, threads=16, ident="miniprogram-rollback")
