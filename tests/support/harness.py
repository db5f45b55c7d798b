"""The real bot, served over HTTP in this process, wired to fake Slack and WeChat servers on loopback."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.config import load_settings
from bot.rollback.workflow import RollbackWorkflow
from bot.runtime import Runtime, build_runtime
from bot.web import EVENTS_PATH, make_server
from tests.fakes import configured
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import FakeWeChat
from tests.support.slack_requests import SlackSender

SIGNING_SECRET = configured("test-signing-secret-4f1c2a")


@dataclass
class Clock:
    """The bot's notion of now, moved by tests to cross the approval deadline without sleeping."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self) -> datetime:
        with self.lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.now += timedelta(seconds=seconds)


def bot_env(slack: FakeSlack, wechat: FakeWeChat, database_url: str, **extra: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": slack.BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": database_url,
        "WECHAT_API_BASE": wechat.base_url,
        "WECHAT_APPID": wechat.APPID,
        "WECHAT_APPSECRET": wechat.SECRET,
        "WECHAT_API_FALLBACK": "off",
        "EXPIRY_SWEEP_SECONDS": "1",
        "VERSION_WATCH_SECONDS": "0",  # off unless a test watches: its reads would change counted WeChat calls
        **extra,
    }


class RunningBot:
    def __init__(self, env: dict[str, str], slack: FakeSlack, clock: Clock) -> None:
        self.runtime: Runtime = build_runtime(load_settings(env), clock=clock)
        self.runtime.start()
        self._server = make_server(self.runtime, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.effective_port}"
        self._thread = threading.Thread(target=self._server.run, name="bot-http", daemon=True)
        self._thread.start()
        self.sender = SlackSender(self.url + EVENTS_PATH, SIGNING_SECRET, slack)

    @property
    def workflow(self) -> RollbackWorkflow:
        """The first mini program's workflow: most tests configure one."""
        return next(iter(self.runtime.programs))

    def stop(self) -> None:
        # Closing from the server's own loop stops it at once; close() from here waits out a poll interval.
        try:
            self._server.trigger.pull_trigger(self._server.close)
        except OSError:  # seen rarely in teardown (EBADF): the trigger's pipe was already gone
            self._server.close()
        self._thread.join(timeout=5)
        # waitress stops its worker threads only when run() ends by a signal: 64 threads per bot otherwise outlive
        # it, and a whole suite's leftovers come near the machine's thread limit.
        self._server.task_dispatcher.shutdown(timeout=5)
        self.runtime.close()
