"""Start-up's own steps and their failures: each failure becomes one line naming the setting or the service, and
what to do, never a library's raw text alone (and never a secret).

Slack is reached after the HTTP server answers (`SlackConnection`), so that /healthz says the process is alive and
/readyz says what it waits for while Slack is slow or unreachable.
"""

from __future__ import annotations

import _thread
import logging
import signal
import threading
import urllib.error
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from bot.config import Settings
from bot.i18n import _
from bot.logs import redact
from bot.runtime import Runtime
from bot.store.database import checked_url
from bot.store.migrate import LegacySchemaError

log = logging.getLogger("bot")
_QUIET = logging.getLogger("bot.startup.auth_test")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False  # nothing it logs is shown


class StartupError(Exception):
    """Start-up cannot go on: the message is the one line to print."""


def database_failure(error: BaseException, settings: Settings) -> StartupError:
    """Opening or migrating the database failed: say which database, what it said, and what to check."""
    facts = {"url": _shown(settings.database_url), "said": _first_line(getattr(error, "orig", None) or error, settings)}
    said = facts["said"]
    if isinstance(error, ArgumentError):
        message = _("DATABASE_URL {url} is not a database URL the bot can use ({said}): see DATABASE_URL in the README")
    elif isinstance(error, ModuleNotFoundError | NoSuchModuleError) or "No module named" in said:
        message = _(
            "DATABASE_URL {url} needs a database driver that is not installed ({said}): "
            "pip install -e \".[postgres]\" (or 'psycopg[binary]') for PostgreSQL"
        )
    elif isinstance(error, LegacySchemaError):
        message = _("DATABASE_URL {url}: {said}")
    elif checked_url(settings.database_url).get_backend_name() == "sqlite":
        message = _(
            "DATABASE_URL {url} cannot be opened ({said}): check that its directory exists and is writable by this user"
        )
    elif "authentication failed" in said or "does not exist" in said or "no password supplied" in said:
        message = _(
            "DATABASE_URL {url} answered but refused the bot ({said}): check the user, password and database name in it"
        )
    else:
        message = _(
            "DATABASE_URL {url} did not answer ({said}): check that the database runs and is reachable from here, "
            "or DATABASE_URL (and DATABASE_TIMEOUT_SECONDS)"
        )
    return StartupError(message.format(**facts))


def is_database_failure(error: BaseException) -> bool:
    return isinstance(error, SQLAlchemyError | DBAPIError | ModuleNotFoundError | LegacySchemaError)


def slack_failure(error: BaseException, settings: Settings, token: str = "SLACK_BOT_TOKEN") -> StartupError:
    """auth.test (or, in Socket Mode, apps.connections.open) failed."""
    if isinstance(error, SlackApiError):
        refusal = error.response.get("error") if error.response is not None else None
        page = "Basic Information > App-Level Tokens" if token == "SLACK_APP_TOKEN" else "Install App"
        return StartupError(
            _(
                "Slack refused {token} ({refusal}): copy it again from the Slack app's {page} page "
                "(and reinstall the app if it was removed)"
            ).format(token=token, refusal=refusal, page=page)
        )
    reason = getattr(error, "reason", None) if isinstance(error, urllib.error.URLError) else None
    said = _first_line(reason or error, settings)
    return StartupError(
        _(
            "Slack did not answer at SLACK_API_URL {url} ({said}): check this host's network access to Slack (a "
            "proxy goes in HTTPS_PROXY) or SLACK_API_URL"
        ).format(url=settings.slack_api_url, said=said)
    )


class SlackConnection(threading.Thread):
    """Checks the bot token with Slack (auth.test) and, in Socket Mode, opens the socket, while the HTTP server
    already answers /healthz. Runtime.slack says where it stands, for /readyz. On a failure the main thread is
    interrupted (as SIGTERM does) and `failure` holds the line to print."""

    def __init__(self, runtime: Runtime, settings: Settings) -> None:
        super().__init__(name="slack-connection", daemon=True)
        self._runtime = runtime
        self._settings = settings
        self.failure: StartupError | None = None
        self.socket: Any = None  # the SocketModeHandler, to close on the way out

    def run(self) -> None:
        runtime, settings = self._runtime, self._settings
        runtime.slack = f"waiting for Slack to answer auth.test at {settings.slack_api_url}"
        try:
            identity = _quiet_copy(runtime.bolt.client).auth_test()
        except Exception as error:
            self._fail(slack_failure(error, settings))
            return
        if settings.slack_app_token is not None:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            runtime.slack = "waiting for Slack to open the Socket Mode connection"
            self.socket = SocketModeHandler(runtime.bolt, settings.slack_app_token, logger=_socket_session_log())
            try:
                self.socket.connect()  # apps.connections.open, then the WebSocket
            except Exception as error:  # a revoked or mistyped app-level token, most often
                self._fail(slack_failure(error, settings, token="SLACK_APP_TOKEN"))
                return
        runtime.slack = "ok"
        runtime.start()  # the sweeper posts to Slack: only once Slack is known to answer
        how = "Socket Mode" if settings.socket_mode else f"HTTP at http://0.0.0.0:{settings.port}/slack/events"
        log.info("connected to Slack as @%s in %s, over %s", identity.get("user"), identity.get("team"), how)

    def _fail(self, failure: StartupError) -> None:
        self.failure = failure
        self._runtime.slack = "failed"
        _thread.interrupt_main(signal.SIGTERM)  # leave the serve loop as a stop does


def _quiet_copy(client: WebClient) -> WebClient:
    """The same client, whose failures are not logged: a failed start-up says what happened in its one line."""
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        retry_handlers=client.retry_handlers,
        logger=_QUIET,
    )


def _shown(url: str) -> str:
    try:
        parsed = checked_url(url)
    except ArgumentError:
        return _("(not shown)")  # a URL the bot cannot read may hold its password anywhere
    return redact(parsed.render_as_string(hide_password=True))  # and ?password=... too


def _first_line(error: object, settings: Settings) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = lines[0] if lines else type(error).__name__
    return redact(text, settings.secrets())


def _socket_session_log() -> logging.Logger:
    """slack_sdk's Socket Mode client says at INFO which socket it opens and each session it starts: at every start
    and every reconnection, three lines nobody acts on. They show at DEBUG; its warnings and errors always do."""
    session = logging.getLogger("slack_sdk.socket_mode.session")  # under slack_sdk: bot.logs withholds bodies
    if not log.isEnabledFor(logging.DEBUG):
        session.setLevel(logging.WARNING)
    return session
