"""HTTP mode: Slack's requests at POST /slack/events, liveness at GET /healthz, readiness at GET /readyz and the
metrics at GET /metrics, under waitress, with one access log line per request."""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import waitress
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.metrics import CONTENT_TYPE
from bot.runtime import Runtime, is_ready
from bot.slack.acks import ACKS

EVENTS_PATH = "/slack/events"
# Slack's largest payloads (a view submission with its blocks) are tens of KiB. Anything over 1 MiB is refused
# with 413 by waitress as soon as its headers (Content-Length) or its chunks say so: Bolt reads a whole body
# into memory before it checks the signature, so an unsigned 150 MiB POST would otherwise cost 150 MiB.
MAX_BODY_BYTES = 1024 * 1024
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

log = logging.getLogger(__name__)


def wsgi_app(runtime: Runtime, slack_events: bool = True) -> WsgiApp:
    """`slack_events`: serve Slack's requests too; off in Socket Mode, where the Bolt app checks no signatures."""
    slack = SlackRequestHandler(runtime.bolt, path=EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            # Liveness is this process answering, nothing more: the database's state is readiness. An orchestrator
            # restarting every replica because the database is down would only add restarts to the outage.
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store")])
            return [b"ok\n"]
        if path == READY_PATH and method in ("GET", "HEAD"):
            return _readiness(runtime, start_response)
        if path == METRICS_PATH and method in ("GET", "HEAD"):
            return _metrics(runtime, environ, start_response)
        if not slack_events:
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"not found\n"]
        if _declared_length(environ) > MAX_BODY_BYTES:  # the same limit under a server other than waitress
            start_response("413 Request Entity Too Large", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"request too large\n"]
        ACKS.arrived()
        try:
            return AfterSent(slack(environ, start_response), ACKS.answered)
        except Exception:
            ACKS.answered()
            # Bolt trusts a signed payload's shape and can trip over a malformed one before any listener runs.
            log.warning("refused a malformed Slack request", exc_info=True)
            start_response("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"malformed request\n"]

    return _access_logged(application)


def _declared_length(environ: dict[str, Any]) -> int:
    try:
        return int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # Bolt reads nothing it cannot measure


def _readiness(runtime: Runtime, start_response: StartResponse) -> Iterable[bytes]:
    report = runtime.readiness()  # bounded by the database timeout, even while the database stalls
    start_response(
        "200 OK" if is_ready(report) else "503 Service Unavailable",
        [("Content-Type", "application/json"), ("Cache-Control", "no-store")],
    )
    return [json.dumps(report).encode() + b"\n"]


def _metrics(runtime: Runtime, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    expected = runtime.settings.metrics_token
    if expected is not None:
        given = str(environ.get("HTTP_AUTHORIZATION", ""))
        if not secrets.compare_digest(given.encode(), f"Bearer {expected}".encode()):
            start_response(
                "401 Unauthorized",
                [("Content-Type", "text/plain; charset=utf-8"), ("WWW-Authenticate", 'Bearer realm="metrics"')],
            )
            return [b"unauthorized: see METRICS_TOKEN\n"]
    body = runtime.metrics.serve()  # its database reads end within the engine's bounds (DATABASE_TIMEOUT_SECONDS)
    start_response("200 OK", [("Content-Type", CONTENT_TYPE), ("Cache-Control", "no-store")])
    return [body]


def _access_logged(application: WsgiApp) -> WsgiApp:
    """One line per request: method, path, status, duration and a request id; never the body or query."""

    def logged(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.monotonic()
        status = ["500"]  # unless the application answers

        def recording(status_line: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            status[0] = status_line.split(" ", 1)[0]
            return start_response(status_line, headers, *args)

        def line() -> None:
            # The path is the client's to choose: no control characters (forged lines), and not too long.
            path = "".join(c if c.isprintable() else "?" for c in str(environ.get("PATH_INFO", ""))[:200])
            fields: dict[str, Any] = {
                "request_id": _request_id(environ),
                "method": str(environ.get("REQUEST_METHOD", "")),
                "path": path,
                "status": int(status[0]) if status[0].isdigit() else status[0],
                "duration_ms": round((time.monotonic() - started) * 1000),
            }
            retry = environ.get("HTTP_X_SLACK_RETRY_NUM")
            if retry:
                fields["slack_retry"] = f"{retry} ({environ.get('HTTP_X_SLACK_RETRY_REASON', '')})"
            # Probes come every few seconds; keep them out of the INFO stream.
            level = logging.DEBUG if path in (HEALTH_PATH, READY_PATH, METRICS_PATH) else logging.INFO
            log.log(
                level,
                "%(method)s %(path)s %(status)s in %(duration_ms)d ms [%(request_id)s]",
                fields,
                extra=fields,
            )

        try:
            body = application(environ, recording)
        except BaseException:
            line()
            raise
        return AfterSent(body, line)  # after the answer is sent: the line's cost is not the sender's wait

    return logged


class AfterSent:
    """A WSGI body that calls `after` once the server has written it: the server calls close() when done."""

    def __init__(self, body: Iterable[bytes], after: Callable[[], None]) -> None:
        self._body = body
        self._after = after

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._after()


def _request_id(environ: dict[str, Any]) -> str:
    # Slack's request timestamp ties the line to Slack's side; the random part tells retries apart.
    timestamp = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""))
    suffix = secrets.token_hex(4)
    return f"{timestamp}-{suffix}" if timestamp.isdigit() else suffix


# Each request holds a server thread until its listener acknowledges (Bolt polls every 10 ms): enough threads
# that a burst of Slack requests does not queue for one (bench/ measured the queue with 16).
SERVER_THREADS = 64


def make_server(runtime: Runtime, host: str, port: int, slack_events: bool = True) -> Any:
    """A waitress server, not yet running: call .run() to serve and .close() to stop."""
    application = wsgi_app(runtime, slack_events)
    return waitress.create_server(
        application,
        host=host,
        port=port,
        threads=SERVER_THREADS,
        ident="miniprogram-rollback",
        max_request_body_size=MAX_BODY_BYTES + 1,  # waitress refuses a body of this size or more
    )
