"""Reading the latest component_verify_ticket from the environment, a file or the platform's database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy
from sqlalchemy import text

from bot.config import ConfigError, load_settings
from bot.wechat.errors import WeChatUnavailable
from bot.wechat.tokens.tickets import ticket_reader
from tests.support.databases import database_urls

TICKET = "ticket@@@secret-ticket-value-42"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sqlalchemy.Engine]:
    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'platform.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE component_tickets (ticket TEXT, received_at INTEGER)"))
    yield engine
    engine.dispose()


def insert(engine: sqlalchemy.Engine, ticket: str | None, received_at: int) -> None:
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO component_tickets VALUES (:ticket, :at)"), {"ticket": ticket, "at": received_at}
        )


LATEST = "sql:SELECT ticket FROM component_tickets ORDER BY received_at DESC LIMIT 1"


def test_env(monkeypatch: pytest.MonkeyPatch) -> None:
    read = ticket_reader("env:PLATFORM_TICKET")
    monkeypatch.setenv("PLATFORM_TICKET", f"  {TICKET}\n")
    assert read() == TICKET
    monkeypatch.setenv("PLATFORM_TICKET", "ticket@@@newer")
    assert read() == "ticket@@@newer"  # read each time, never kept


def test_env_missing_or_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLATFORM_TICKET", raising=False)
    read = ticket_reader("env:PLATFORM_TICKET")
    with pytest.raises(WeChatUnavailable, match="in environment variable PLATFORM_TICKET is missing"):
        read()
    monkeypatch.setenv("PLATFORM_TICKET", " ")
    with pytest.raises(WeChatUnavailable, match="is empty"):
        read()


def test_file(tmp_path: Path) -> None:
    path = tmp_path / "ticket.txt"
    read = ticket_reader(f"file:{path}")
    with pytest.raises(WeChatUnavailable, match="is missing"):
        read()
    path.write_text(f"{TICKET}\n")
    assert read() == TICKET
    path.write_text("\n")
    with pytest.raises(WeChatUnavailable, match="is empty") as raised:
        read()
    assert str(path) in str(raised.value)
    path.unlink()
    path.mkdir()
    with pytest.raises(WeChatUnavailable, match="could not be read"):
        read()


def test_sql(engine: sqlalchemy.Engine) -> None:
    read = ticket_reader(LATEST, engine)
    with pytest.raises(WeChatUnavailable, match="is missing"):
        read()
    insert(engine, "ticket@@@older", 1)
    insert(engine, TICKET, 2)
    assert read() == TICKET
    insert(engine, "ticket@@@newest", 3)
    assert read() == "ticket@@@newest"  # the query runs each time
    insert(engine, None, 4)
    with pytest.raises(WeChatUnavailable, match="is empty"):
        read()


def test_sql_must_return_one_value(engine: sqlalchemy.Engine) -> None:
    insert(engine, TICKET, 1)
    insert(engine, "ticket@@@other", 2)
    for spec in ("sql:SELECT ticket FROM component_tickets", "sql:SELECT ticket, received_at FROM component_tickets"):
        with pytest.raises(WeChatUnavailable, match="one row of one column") as raised:
            ticket_reader(spec, engine)()
        assert TICKET not in repr(raised.value)


def test_sql_failure_does_not_repeat_the_query(engine: sqlalchemy.Engine) -> None:
    with pytest.raises(WeChatUnavailable, match=r"query failed \(OperationalError\)") as raised:
        ticket_reader("sql:SELECT ticket FROM no_such_table", engine)()
    assert "no_such_table" not in str(raised.value)


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        (TICKET, "must be one of"),
        ("", "must be one of"),
        ("vault:secret/ticket", "must be one of"),
        ("env:", "environment variable name"),
        ("env:NOT A NAME", "environment variable name"),
        ("file:", "needs a file path"),
        ("sql:", "needs a SELECT query"),
        ("sql:DELETE FROM component_tickets", "needs a SELECT query"),
        ("sql:SELECT ticket FROM component_tickets", "needs a database"),
    ],
)
def test_malformed_specs(spec: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as raised:
        ticket_reader(spec)
    assert "secret-ticket-value" not in str(raised.value)  # a ticket pasted as the spec is not echoed


# --- the query cannot write: one statement, one validation, a read-only transaction (SQLite and PostgreSQL)


@pytest.fixture(params=database_urls())
def platform(request: pytest.FixtureRequest) -> Iterator[sqlalchemy.Engine]:
    engine = sqlalchemy.create_engine(str(request.getfixturevalue(request.param)))
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE component_tickets (ticket TEXT, received_at INTEGER)"))
        connection.execute(text("CREATE TABLE rollback_events (id INTEGER)"))
        connection.execute(text("INSERT INTO rollback_events VALUES (1)"))
    insert(engine, TICKET, 1)
    yield engine
    engine.dispose()


def count(engine: sqlalchemy.Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


STACKED = "sql:SELECT 'x'; COMMIT; DELETE FROM rollback_events"
# sqlparse reads \' as an escaped quote, PostgreSQL's standard strings read '\' as a whole string: three statements
SMUGGLED = r"sql:SELECT '\', 'x'; COMMIT; DELETE FROM rollback_events; --'"


def test_stacked_statements_are_refused_by_the_settings_and_the_reader_alike(platform: sqlalchemy.Engine) -> None:
    with pytest.raises(ValueError, match="must be one SELECT statement"):
        ticket_reader(STACKED, platform)
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1-2-abc",
        "SLACK_SIGNING_SECRET": "signing-secret-value",
        "WECHAT_APPID": "wx6d3ff39d38d9f54b",
        "WECHAT_TOKEN_SOURCE": "component",
        "WECHAT_COMPONENT_APPID": "wx0123456789abcdef",
        "WECHAT_COMPONENT_APPSECRET": "component-secret",
        "WECHAT_AUTHORIZER_REFRESH_TOKEN": "refresh-token-value",
        "WECHAT_COMPONENT_VERIFY_TICKET": STACKED,
    }
    with pytest.raises(ConfigError, match=r"WECHAT_COMPONENT_VERIFY_TICKET is malformed: .*one SELECT statement"):
        load_settings(env)
    assert count(platform, "rollback_events") == 1


@pytest.mark.parametrize(
    "spec",
    [
        "sql:SELECT ticket FROM component_tickets; DELETE FROM rollback_events",
        "sql:SELECT ticket FROM component_tickets;\n-- a comment\nDROP TABLE rollback_events",
        "sql:DELETE FROM rollback_events RETURNING 'x'",
        "sql:-- SELECT\nDELETE FROM rollback_events",
    ],
)
def test_anything_but_one_select_is_refused(platform: sqlalchemy.Engine, spec: str) -> None:
    with pytest.raises(ValueError, match="SELECT"):
        ticket_reader(spec, platform)


def test_a_writing_with_query_passes_the_check_and_still_cannot_write(platform: sqlalchemy.Engine) -> None:
    """A data-modifying CTE is one SELECT statement to the parser: the read-only transaction stops it."""
    spec = "sql:WITH gone AS (DELETE FROM rollback_events RETURNING id) SELECT 'ticket@@@x' FROM gone"
    read = ticket_reader(spec, platform)
    with pytest.raises(WeChatUnavailable, match="query failed"):
        read()
    assert count(platform, "rollback_events") == 1


def test_with_select_and_a_final_semicolon_are_read_alike_by_both(platform: sqlalchemy.Engine) -> None:
    spec = (
        "sql:WITH latest AS (SELECT ticket FROM component_tickets ORDER BY received_at DESC LIMIT 1) "
        "SELECT ticket FROM latest;"
    )
    assert ticket_reader(spec, platform)() == TICKET
    insert(platform, "ticket@@@after", 2)  # the pooled connection writes again once the query is done
    assert ticket_reader(spec, platform)() == "ticket@@@after"


def test_a_statement_smuggled_behind_a_backslash_is_refused(platform: sqlalchemy.Engine) -> None:
    with pytest.raises(ValueError, match="without `;` in it"):
        ticket_reader(SMUGGLED, platform)
