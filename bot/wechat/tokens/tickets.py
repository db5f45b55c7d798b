"""Where the latest component_verify_ticket is read from.

WeChat pushes a new ticket to the platform's callback every 10 minutes; the callback (not this bot) stores
it, and the bot reads it afresh each time it needs a component_access_token. Messages name the source,
never the ticket.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy
from sqlalchemy.exc import SQLAlchemyError

from bot.config.ticket_spec import parse_ticket_spec
from bot.wechat.errors import Fact, Unavailable, WeChatUnavailable


def ticket_reader(spec: str, engine: sqlalchemy.Engine | None = None) -> Callable[[], str]:
    """A function returning the current ticket; raises ValueError at once when `spec` is malformed (the check
    the settings make too: bot.config.ticket_spec)."""
    parsed = parse_ticket_spec(spec)
    if parsed.kind == "env":
        return lambda: _from_env(parsed.where)
    if parsed.kind == "file":
        path = Path(parsed.where)
        return lambda: _from_file(path)
    if engine is None:
        raise ValueError("the component_verify_ticket source sql:… needs a database to run the query on")
    query = sqlalchemy.text(parsed.where)
    return lambda: _from_sql(engine, query)


def _checked(value: str | None, where: dict[str, Fact]) -> str:
    """`where`: {"env": name}, {"file": path}, or nothing for the database query."""
    if value is None:
        raise WeChatUnavailable(Unavailable.TICKET_MISSING, **where)
    ticket = value.strip()
    if not ticket:
        raise WeChatUnavailable(Unavailable.TICKET_EMPTY, **where)
    return ticket


def _from_env(name: str) -> str:
    return _checked(os.environ.get(name), {"env": name})


def _from_file(path: Path) -> str:
    where: dict[str, Fact] = {"file": str(path)}
    try:
        content = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return _checked(None, where)
    except (OSError, UnicodeDecodeError) as error:
        raise WeChatUnavailable(Unavailable.TICKET_UNREADABLE, error=type(error).__name__, **where) from None
    return _checked(content, where)


def _from_sql(engine: sqlalchemy.Engine, query: sqlalchemy.TextClause) -> str:
    where: dict[str, Fact] = {}
    try:
        with engine.connect() as connection, _read_only(connection):
            rows = connection.execute(query).all()
    except SQLAlchemyError as error:
        # SQLAlchemy's text repeats the query and parameters: the type is enough here.
        raise WeChatUnavailable(Unavailable.TICKET_QUERY_FAILED, error=type(error).__name__) from None
    if not rows:
        return _checked(None, where)
    if len(rows) != 1 or len(rows[0]) != 1:
        raise WeChatUnavailable(Unavailable.TICKET_QUERY_SHAPE, rows=len(rows), columns=len(rows[0]))
    value = rows[0][0]
    if value is None:
        value = ""  # the row is there, the ticket is not
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        raise WeChatUnavailable(Unavailable.TICKET_NOT_TEXT, type=type(value).__name__, **where)
    return _checked(value, where)


@contextmanager
def _read_only(connection: sqlalchemy.Connection) -> Iterator[None]:
    """The query's transaction cannot write, whatever it says: PostgreSQL's READ ONLY transaction, SQLite's
    query_only (set on the pooled connection for the query alone). The transaction is rolled back after."""
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.exec_driver_sql("PRAGMA query_only = ON")
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
    try:
        yield
    finally:
        connection.rollback()
        if sqlite:
            connection.exec_driver_sql("PRAGMA query_only = OFF")
            connection.commit()
