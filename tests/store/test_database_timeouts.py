"""Every engine is bounded in time: against the real PostgreSQL behind a TCP proxy that stalls or refuses, and
against SQLite with another connection holding the lock.

No assertion measures speed. A statement that must fail is run in the background and waited for with a bound
many times its timeout (so a busy machine still passes); "fast" is shown by giving the engine a timeout far
beyond that bound, so that only the failure under test can end the wait in time.
"""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from bot.config import ConfigError, load_settings
from bot.store.database import is_reachable, make_engine
from tests.support import in_background
from tests.support.tcp_proxy import TcpProxy

TIMEOUT = 1  # seconds: the engines' database timeout (the client gives up a second later, connecting after 2)
WAIT = 30.0  # the tests' own bound on waiting for a failure: many times any timeout above
LONG_TIMEOUT = 300  # far beyond WAIT: an engine with it that fails within WAIT failed for another reason


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[TcpProxy]:
    with TcpProxy.in_front_of(postgres_url) as proxy:
        yield proxy


@pytest.fixture
def proxied(proxy: TcpProxy, postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(proxy.through(postgres_url), timeout=TIMEOUT)
    yield engine
    engine.dispose()


def failure(future: Future[object]) -> BaseException:
    """The exception the background call ended with; fails the test if it is still waiting after WAIT."""
    error = future.exception(timeout=WAIT)  # raises TimeoutError if the call is still blocked
    assert error is not None, f"expected a failure, got {future.result()!r}"
    return error


def backend_pid(connection: Connection) -> int:
    return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_statement_on_a_stalled_network_fails_and_the_engine_recovers(proxy: TcpProxy, proxied: Engine) -> None:
    with proxied.connect() as connection:
        stalled_pid = backend_pid(connection)
        proxy.hold()
        running = in_background(lambda: connection.execute(text("SELECT 1")).scalar())
        assert proxy.wait_held(), "the statement never reached the network"
        error = failure(running)
    assert isinstance(error, OperationalError)
    assert "did not answer within" in str(error)
    assert error.connection_invalidated  # never handed out again

    proxy.release()
    with proxied.connect() as connection:
        assert backend_pid(connection) != stalled_pid  # a fresh connection
        assert connection.execute(text("SELECT 1")).scalar() == 1


def test_a_commit_on_a_stalled_network_fails(proxy: TcpProxy, proxied: Engine) -> None:
    with proxied.begin() as connection:
        connection.execute(text("CREATE TABLE marks (n int)"))
    connection = proxied.connect()
    connection.execute(text("INSERT INTO marks VALUES (1)"))
    proxy.hold()
    error = failure(in_background(connection.commit))
    assert isinstance(error, OperationalError) and error.connection_invalidated
    connection.close()
    proxy.release()
    with proxied.connect() as fresh:
        assert fresh.execute(text("SELECT 1")).scalar() == 1


def test_connecting_through_a_stalled_network_fails_within_the_connect_timeout(
    proxy: TcpProxy, proxied: Engine
) -> None:
    proxy.hold()
    error = failure(in_background(proxied.connect))
    assert isinstance(error, OperationalError)
    assert isinstance(error.orig, psycopg.errors.ConnectionTimeout)
    assert not is_reachable(proxied)

    proxy.release()
    assert is_reachable(proxied)


def test_a_refusing_database_fails_statements_fast(proxy: TcpProxy, postgres_url: str) -> None:
    engine = make_engine(proxy.through(postgres_url), timeout=LONG_TIMEOUT)
    try:
        existing = engine.connect()
        assert existing.execute(text("SELECT 1")).scalar() == 1
        proxy.refuse()
        assert isinstance(failure(in_background(lambda: existing.execute(text("SELECT 1")))), OperationalError)
        existing.close()
        assert isinstance(failure(in_background(engine.connect)), OperationalError)
        assert in_background(lambda: is_reachable(engine)).result(timeout=WAIT) is False

        proxy.restore()
        assert is_reachable(engine)
    finally:
        engine.dispose()


def test_postgresql_sessions_carry_the_server_timeouts_and_keepalives(postgres_url: str) -> None:
    engine = make_engine(postgres_url + "?options=-c%20search_path%3Dpublic%2Cpg_catalog", timeout=TIMEOUT)
    try:
        with engine.connect() as connection:
            shown = {
                name: connection.execute(text(f"SHOW {name}")).scalar()
                for name in ("statement_timeout", "idle_in_transaction_session_timeout", "search_path")
            }
            driver = connection.connection.driver_connection
            assert isinstance(driver, psycopg.Connection)
            client = socket.socket(fileno=driver.fileno())
            try:
                keepalive = client.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)
                user_timeout = client.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT)
            finally:
                client.detach()  # the descriptor stays libpq's
    finally:
        engine.dispose()
    assert shown == {
        "statement_timeout": "1s",
        "idle_in_transaction_session_timeout": "6s",
        "search_path": "public,pg_catalog",  # the URL's own options are kept
    }
    assert keepalive and user_timeout == TIMEOUT * 1000


def test_a_sqlite_write_waits_for_a_lock_at_most_the_timeout(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    engine = make_engine(f"sqlite:///{path}", timeout=TIMEOUT)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        with engine.begin() as connection:
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == TIMEOUT * 1000
            connection.exec_driver_sql("CREATE TABLE marks (n int)")
        holder.execute("BEGIN EXCLUSIVE")

        def write() -> None:
            with engine.begin() as connection:
                connection.exec_driver_sql("INSERT INTO marks VALUES (1)")

        error = failure(in_background(write))
        assert isinstance(error, OperationalError) and "locked" in str(error)

        holder.execute("ROLLBACK")
        write()
    finally:
        holder.close()
        engine.dispose()


BASE = {
    "SLACK_BOT_TOKEN": "xoxb-1-2-abc",
    "SLACK_SIGNING_SECRET": "signing-secret-value",
    "WECHAT_APPID": "wx0123456789abcdef",
    "WECHAT_APPSECRET": "app-secret-value",
}


def test_the_setting_defaults_to_ten_seconds_and_is_checked() -> None:
    assert load_settings(BASE).database_timeout_seconds == 10
    assert load_settings({**BASE, "DATABASE_TIMEOUT_SECONDS": "3"}).database_timeout_seconds == 3
    with pytest.raises(ConfigError, match="DATABASE_TIMEOUT_SECONDS is out of range"):
        load_settings({**BASE, "DATABASE_TIMEOUT_SECONDS": "0"})
    with pytest.raises(ConfigError, match="DATABASE_TIMEOUT_SECONDS is malformed"):
        load_settings({**BASE, "DATABASE_TIMEOUT_SECONDS": "soon"})
