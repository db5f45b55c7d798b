"""`python app.py [--sandbox]`: load settings, then serve Slack over Socket Mode or HTTP."""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from dotenv import load_dotenv
from slack_sdk.errors import SlackApiError

from bot.config import ConfigError, load_settings
from bot.logs import configure_logging, redact
from bot.runtime import build_runtime
from bot.web import make_server

log = logging.getLogger("bot")


USAGE = "usage: python app.py [--sandbox]"


def main(argv: Sequence[str] = ()) -> int:
    if any(arg not in ("--sandbox",) for arg in argv):
        print(USAGE, file=sys.stderr)
        return 2
    load_dotenv(Path.cwd() / ".env")  # if present; it never overrides the real environment
    try:
        settings = load_settings(os.environ, sandbox="--sandbox" in argv)
    except ConfigError as error:
        print(f"miniprogram-rollback: configuration error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.secrets(), settings.log_level, settings.log_format)
    try:
        runtime = build_runtime(settings)
    except Exception as error:  # Bolt checks the bot token with Slack (auth.test) as it starts
        print(f"miniprogram-rollback: could not start: {redact(str(error), settings.secrets())}", file=sys.stderr)
        return 1
    runtime.start()
    if settings.sandbox:
        names = ", ".join(program.alias for program in settings.programs)
        log.warning("SANDBOX: a simulated WeChat answers for %s; no real mini program is touched", names)
    signal.signal(signal.SIGTERM, _stop)
    # In Socket Mode the HTTP server answers only the health checks: Slack's requests come over the socket.
    try:
        server = make_server(runtime, "0.0.0.0", settings.port, slack_events=not settings.socket_mode)
    except OSError as error:  # the port is taken, most often
        problem = f"port {settings.port}: {error.strerror} (see PORT)"
        print(f"miniprogram-rollback: could not start: {problem}", file=sys.stderr)
        runtime.close()
        return 1
    socket = None
    try:
        if settings.slack_app_token is not None:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            log.info("connecting to Slack in Socket Mode")
            socket = SocketModeHandler(runtime.bolt, settings.slack_app_token)
            try:
                socket.connect()  # type: ignore[no-untyped-call]  # apps.connections.open, then the WebSocket
            except SlackApiError as error:  # a revoked or mistyped app-level token
                refusal = error.response.get("error")
                message = f"Slack refused SLACK_APP_TOKEN ({refusal})"
                print(f"miniprogram-rollback: could not start: {message}", file=sys.stderr)
                return 1
            log.info("connected; health checks on http://0.0.0.0:%d/healthz", settings.port)
        else:
            log.info("serving Slack requests on http://0.0.0.0:%d/slack/events", settings.port)
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        if socket is not None:
            socket.close()  # type: ignore[no-untyped-call]  # no new envelopes
        server.close()
        runtime.close()  # then the accepted work finishes
    return 0


def _stop(_signum: int, _frame: FrameType | None) -> None:
    # Containers stop with SIGTERM: leave the serve loop the way Ctrl-C does, so in-flight work finishes.
    raise KeyboardInterrupt
