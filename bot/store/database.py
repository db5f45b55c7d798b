"""Engine and session factory for SQLite (one host) or PostgreSQL (several replicas).

Every engine is bounded in time by the database timeout: connecting, waiting for a pooled connection, and each
statement or commit fail with an exception after it instead of waiting on a stalled database forever.
"""

from __future__ import annotations

import functools
import inspect
import math
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from bot.config.settings import DEFAULT_DATABASE_TIMEOUT_SECONDS
from bot.i18n import _

if TYPE_CHECKING:
    import psycopg
    from psycopg.abc import PQGen

_Result = TypeVar("_Result")

# The server cancels a statement at the timeout; the client gives up this much later, so that on a working network
# the server's clean cancellation (the connection stays usable) comes first and the client's bound only cuts stalls.
CLIENT_GRACE_SECONDS = 1.0
# A transaction left open by a paused or cut-off replica holds its row locks; the server ends its session after
# this many timeouts, long after any live unit of work would have finished.
IDLE_IN_TRANSACTION_TIMEOUTS = 6
# Migrations may rewrite a table, and replicas starting together wait their turn on the schema lock: a longer
# bound, still finite, so that a stalled database stops start-up instead of hanging it.
MIGRATION_TIMEOUT_SECONDS = 600


def checked_url(url: str | URL) -> URL:
    """The URL parsed, or an ArgumentError that says what is wrong with it (never what it holds)."""
    if isinstance(url, URL):
        return url
    try:
        parsed = make_url(url)
    except ValueError:  # SQLAlchemy reads the port with int()
        raise ArgumentError(_("its port is not a number")) from None
    except ArgumentError:  # whose text quotes the URL, password and all
        raise ArgumentError(_("it does not read as dialect+driver://user:password@host:port/database")) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ArgumentError(
            _("the bot keeps its record in SQLite or PostgreSQL, not {backend}").format(
                backend=parsed.get_backend_name()
            )
        )
    if parsed.get_backend_name() == "sqlite" and parsed.query and parsed.query.get("uri") != "true":
        # The driver would ignore them, with a warning of SQLAlchemy's own on the way.
        raise ArgumentError(_("SQLite reads query arguments only beside uri=true (for example ?mode=ro&uri=true)"))
    if "@" in (parsed.host or ""):
        raise ArgumentError(_("an '@' in its user name or password must be written %40 (URL-encoded)"))
    return parsed


def make_engine(url: str | URL, timeout: float = DEFAULT_DATABASE_TIMEOUT_SECONDS) -> Engine:
    parsed = checked_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, timeout)
    # Units of work are short and never span a WeChat or Slack call, but a burst of clicks runs many at once:
    # enough connections that a storm waits on the database, not on the pool.
    engine = create_engine(parsed, pool_pre_ping=True, pool_timeout=timeout, pool_size=10, max_overflow=20)
    if engine.dialect.driver == "psycopg":
        event.listen(engine, "do_connect", _PostgresConnector(timeout))
    return engine


def _sqlite_engine(url: URL, timeout: float) -> Engine:
    # SQLAlchemy pools a file database's connections (and then takes pool_timeout); an in-memory one lives in one.
    on_file = bool(url.database) and url.database != ":memory:" and url.query.get("mode") != "memory"
    engine = create_engine(
        url,
        connect_args={"timeout": timeout, "check_same_thread": False},
        **({"pool_timeout": timeout} if on_file else {}),
    )
    event.listen(engine, "connect", functools.partial(_sqlite_pragmas, timeout=timeout))
    return engine


def _sqlite_pragmas(connection: Any, _record: Any, *, timeout: float) -> None:
    # WAL lets readers run beside the one writer; the busy timeout makes writers queue, for at most the timeout.
    cursor = connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={math.ceil(timeout * 1000)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Turning a new file to WAL needs a lock SQLite will not wait for, so processes opening it together retry.
    deadline = time.monotonic() + timeout
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    cursor.close()


class _PostgresConnector:
    """SQLAlchemy's do_connect for psycopg: the server's own timeouts, TCP keepalives, and a client-side bound.

    Keepalives and TCP_USER_TIMEOUT end a connection whose packets are lost; the server's statement_timeout ends a
    slow statement. Neither helps when something on the path holds packets (a proxy, a frozen VM): every segment is
    acknowledged and nothing comes back, and psycopg has no read timeout. Hence the client-side bound below.
    Settings given in DATABASE_URL's query win over these.
    """

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._connection_class = _bounded_connection(timeout + CLIENT_GRACE_SECONDS)  # fails early if unusable

    def __call__(self, _dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> Any:
        seconds, millis = math.ceil(self._timeout), math.ceil(self._timeout * 1000)
        cparams.setdefault("connect_timeout", max(seconds, 2))  # libpq's unit is a second, psycopg's minimum two
        for name, value in {
            "keepalives": 1,
            "keepalives_idle": seconds,
            "keepalives_interval": seconds,
            "keepalives_count": 3,
            "tcp_user_timeout": millis,  # sent data the peer never acknowledges (a dead path) breaks the connection
        }.items():
            cparams.setdefault(name, value)
        # A lock wait is part of its statement, so statement_timeout bounds it too: no lock_timeout of its own.
        idle = millis * IDLE_IN_TRANSACTION_TIMEOUTS
        ours = f"-c statement_timeout={millis} -c idle_in_transaction_session_timeout={idle}"
        theirs = cparams.get("options")
        cparams["options"] = f"{ours} {theirs}" if theirs else ours  # later -c settings win
        return self._connection_class.connect(*cargs, **cparams)


@functools.cache
def _bounded_connection(within: float) -> type[psycopg.Connection[Any]]:
    """A psycopg connection on which every wait for the server ends after `within` seconds.

    Why here: every blocking exchange on an open psycopg 3 connection (execute, fetch, commit, rollback) is one
    generator consumed by Connection.wait, whose poll loop already takes a deadline and raises _WaitTimeout, in the
    waiting thread, when the server has not answered. Giving every wait that deadline needs no watchdog thread, no
    socket shared across threads and no race with a connection returned to the pool. The protocol is then left
    mid-exchange, so the connection is closed: SQLAlchemy sees it closed and invalidates it, and the pool connects
    afresh next time.
    """
    import psycopg
    from psycopg import errors

    waits = inspect.signature(psycopg.Connection.wait).parameters
    if "timeout" not in waits or not hasattr(errors, "_WaitTimeout"):
        raise RuntimeError("the database timeout needs psycopg 3.2 or newer: pip install -U 'psycopg[binary]'")

    class BoundedConnection(psycopg.Connection[Any]):
        def wait(self, gen: PQGen[_Result], interval: float = 0.1, timeout: float | None = None) -> _Result:
            if timeout is not None:  # psycopg's own deadline (notifies): its timeout is the caller's to handle
                return super().wait(gen, interval, timeout)
            try:
                return super().wait(gen, interval, within)
            except errors._WaitTimeout:  # internal: its docstring asks callers to convert it to a public error
                self.close()
                raise psycopg.OperationalError(
                    f"the database did not answer within {within:g} s: connection closed"
                ) from None

    return BoundedConnection


# Any fixed number: replicas starting together take this PostgreSQL advisory lock to migrate one at a time.
SCHEMA_LOCK = 0x6D70726F6C6C


def create_schema(engine: Engine) -> None:
    """Bring the schema to the newest migration; safe when replicas start together (see bot.store.migrate)."""
    from bot.store.migrate import upgrade  # migrate imports this module

    if engine.dialect.name != "postgresql":
        upgrade(engine)  # SQLite: nothing to stall; another process's migration is waited for (busy timeout)
        return
    migrating = make_engine(engine.url, timeout=MIGRATION_TIMEOUT_SECONDS)
    try:
        upgrade(migrating)
    finally:
        migrating.dispose()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def is_reachable(engine: Engine) -> bool:
    """One round trip: bounded by the engine's timeouts (and see Runtime.readiness, which bounds it once more)."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


@contextmanager
def read_snapshot(engine: Engine) -> Iterator[Connection]:
    """One read transaction: every statement sees the same committed state (the audit's rows and head agree)."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        elif engine.dialect.name == "sqlite":
            # pysqlite begins transactions only before writes: begin one so every read shares a snapshot.
            connection.exec_driver_sql("BEGIN")
        try:
            yield connection
        finally:
            connection.rollback()
