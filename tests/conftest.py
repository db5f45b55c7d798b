from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine

from bot.logs import TEXT_FORMAT, RedactingFormatter, configure_logging
from bot.samples import FAKE_RELEASES
from bot.store.database import create_schema, make_engine, session_factory
from bot.store.token_store import TokenStore
from tests import fakes
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import FakeWeChat
from tests.support.harness import Clock, RunningBot, bot_env

pytest_plugins = ["tests.support.databases"]  # the sqlite_url and postgres_url fixtures


class _SuiteLog(logging.Handler):
    """Every log line of the whole suite, at DEBUG, formatted the way the bot formats them: redacting the
    configured secrets by value and everything else by pattern."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self._formatter = RedactingFormatter(TEXT_FORMAT, ())
        self._known = 0

    def emit(self, record: logging.LogRecord) -> None:
        if len(fakes.CONFIGURED) != self._known:  # the fakes configured more secrets: redact those too
            self._known = len(fakes.CONFIGURED)
            self._formatter = RedactingFormatter(TEXT_FORMAT, set(fakes.CONFIGURED))
        with contextlib.suppress(Exception):  # a record that cannot be formatted cannot leak either
            self.lines.append(self._formatter.format(record))


_SUITE_LOG = _SuiteLog()


@pytest.fixture(autouse=True)
def no_secret_in_any_log() -> Iterator[None]:
    """No token or secret the fakes deal in appears in any log line of any test."""
    root = logging.getLogger()
    level = root.level
    root.addHandler(_SUITE_LOG)
    root.setLevel(logging.DEBUG)
    start = len(_SUITE_LOG.lines)
    yield
    root.removeHandler(_SUITE_LOG)
    root.setLevel(level)
    secrets = [secret for secret in fakes.CONFIGURED | fakes.ISSUED if len(secret) >= 6]
    leaked = [(line, secret) for line in _SUITE_LOG.lines[start:] for secret in secrets if secret in line]
    del _SUITE_LOG.lines[start:]
    assert not leaked, f"a secret reached a log line: {leaked[0][0]!r}"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def wechat() -> Iterator[FakeWeChat]:
    with FakeWeChat() as fake:
        for version, description, released in FAKE_RELEASES:
            fake.release(version, description, released)
        yield fake


@pytest.fixture(params=["sqlite_url", "postgres_url"])  # fixtures from tests.support.databases
def database_url(request: pytest.FixtureRequest) -> str:
    """Every test of the running bot runs on SQLite and on PostgreSQL."""
    return str(request.getfixturevalue(request.param))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def env(slack: FakeSlack, wechat: FakeWeChat, database_url: str) -> dict[str, str]:
    return bot_env(slack, wechat, database_url)


@pytest.fixture
def bot(env: dict[str, str], slack: FakeSlack, clock: Clock) -> Iterator[RunningBot]:
    running = RunningBot(env, slack, clock)
    yield running
    running.stop()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An empty database at the current schema, on each backend."""
    engine = make_engine(database_url)
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def token_store(engine: Engine) -> TokenStore:
    return TokenStore(session_factory(engine))


@pytest.fixture
def logged(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[list[str]], io.StringIO]]:
    """Configure the bot's own logging at DEBUG (urllib3 then logs every URL) into a buffer tests can scan."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()

    def start(secrets: list[str]) -> io.StringIO:
        monkeypatch.setattr("sys.stderr", stream)
        configure_logging(secrets, level=logging.DEBUG)
        return stream

    yield start
    root.handlers[:], level = saved
    root.setLevel(level)
