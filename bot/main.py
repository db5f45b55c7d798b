"""`python app.py [--sandbox]`: load settings, then serve Slack over Socket Mode or HTTP."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from dotenv import load_dotenv

from bot import i18n
from bot.config import ConfigError, Settings, bot_language, load_settings
from bot.i18n import _
from bot.logs import configure_logging, redact
from bot.runtime import build_runtime
from bot.startup import SlackConnection, StartupError, database_failure, is_database_failure
from bot.usage import help_text, usage
from bot.web import make_server

log = logging.getLogger("bot")
PROG = "miniprogram-rollback"


def main(argv: Sequence[str] = ()) -> int:
    load_dotenv(Path.cwd() / ".env")  # if present; it never overrides the real environment
    _choose_language()
    if any(arg in ("--help", "-h") for arg in argv):
        print(help_text(), end="")
        return 0
    if any(arg not in ("--sandbox",) for arg in argv):
        unknown = _("{prog}: unknown argument: see python app.py --help").format(prog=PROG)
        print(f"{usage()}\n{unknown}", file=sys.stderr)
        return 2
    try:
        settings = load_settings(os.environ, sandbox="--sandbox" in argv)
    except ConfigError as error:
        print(_("{prog}: configuration error: {error}").format(prog=PROG, error=error), file=sys.stderr)
        return 2
    configure_logging(settings.secrets(), settings.log_level, settings.log_format)
    if settings.log_level != "DEBUG":
        logging.getLogger("alembic").setLevel(logging.WARNING)  # its step-by-step lines; bot.store.migrate says one
    try:
        return _serve(settings)
    except StartupError as error:
        print(_("{prog}: could not start: {error}").format(prog=PROG, error=error), file=sys.stderr)
        return 1


def _choose_language() -> None:
    """BOT_LANGUAGE before the other settings, so that what is wrong with them is said in it. If BOT_LANGUAGE is
    what is wrong, English stays, and load_settings says so."""
    with contextlib.suppress(ConfigError):
        i18n.configure(bot_language(os.environ))


def _serve(settings: Settings) -> int:
    try:
        runtime = build_runtime(settings)  # the database, migrated; Slack is not asked yet
    except Exception as error:
        if is_database_failure(error):
            raise database_failure(error, settings) from None
        raise StartupError(redact(f"{type(error).__name__}: {error}", settings.secrets())) from None
    if settings.sandbox:
        names = ", ".join(program.alias for program in settings.programs)
        log.warning("SANDBOX: a simulated WeChat answers for %s; no real mini program is touched", names)
    # In Socket Mode the HTTP server answers only the health checks: Slack's requests come over the socket.
    try:
        server = make_server(runtime, "0.0.0.0", settings.port, slack_events=not settings.socket_mode)
    except OSError as error:  # the port is taken, most often
        runtime.close()
        raise StartupError(_("port {port}: {why} (see PORT)").format(port=settings.port, why=error.strerror)) from None
    signal.signal(signal.SIGTERM, _stop)
    mode = "Socket Mode" if settings.socket_mode else "HTTP mode"
    log.info(
        "health checks on http://0.0.0.0:%d/healthz and /readyz, metrics at /metrics; connecting to Slack in %s",
        settings.port,
        mode,
    )
    slack = SlackConnection(runtime, settings)  # /healthz answers while Slack is reached
    # What start-up built (modules, the settings, the engine) lives as long as the process: out of the garbage
    # collector's sight, a full collection no longer walks it, and a burst of clicks no longer waits behind one
    # (tens of milliseconds, measured in bench/storm.py). Start-up's garbage (a migration's engine) is collected
    # first, not kept for ever.
    gc.collect()
    gc.freeze()
    try:
        slack.start()  # inside: a failure interrupts this thread as SIGTERM does, whenever it comes
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        if slack.socket is not None:
            slack.socket.close()  # no new envelopes
        server.close()
        runtime.close()  # then the accepted work finishes
    if slack.failure is not None:
        raise slack.failure
    return 0


def _stop(_signum: int, _frame: FrameType | None) -> None:
    # Containers stop with SIGTERM: leave the serve loop the way Ctrl-C does, so in-flight work finishes.
    raise KeyboardInterrupt
