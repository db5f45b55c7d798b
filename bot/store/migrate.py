"""Bring the database to the newest schema revision: `python -m bot.store.migrate [DATABASE_URL]`.

The bot runs this at start-up (`bot.store.database.create_schema`). Replicas starting together take turns: one
migrates while the others wait on a lock, then find nothing left to do. A database the bot made before it had
migrations (its tables exist, its `alembic_version` table does not) is adopted: stamped at the baseline revision.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, create_engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from bot.i18n import _
from bot.store.database import MIGRATION_TIMEOUT_SECONDS, SCHEMA_LOCK, checked_url, make_engine

MIGRATIONS = Path(__file__).with_name("migrations")
# The schema `Base.metadata.create_all` made before there were migrations: the revision a legacy database is at.
BASELINE = "0001"
VERSION_TABLE = "alembic_version"
log = logging.getLogger(__name__)
# Alembic keeps the running command in module globals (alembic.context, alembic.op): one command at a time.
_ALEMBIC = threading.Lock()


class LegacySchemaError(RuntimeError):
    """The bot's tables exist without a migration history, and they are not the baseline schema."""


def make_config(url: str, connection: Connection | None = None) -> Config:
    """An Alembic configuration built in code: works from an installed wheel, no alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # configparser reads % as interpolation
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(make_config("sqlite://")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for a database without migration history."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest revision, in one transaction that holds the schema lock throughout."""
    with _ALEMBIC, _schema_locked(engine) as connection:
        config = make_config(engine.url.render_as_string(hide_password=False), connection)
        if _is_legacy(connection):
            command.stamp(config, BASELINE)
        before = MigrationContext.configure(connection).get_current_revision()
        command.upgrade(config, "head")
        after = MigrationContext.configure(connection).get_current_revision()
    where = engine.url.render_as_string(hide_password=True)
    if before == after:
        log.info("database %s at schema revision %s", where, after)
    else:
        log.info("database %s migrated from schema revision %s to %s", where, before or "none (empty)", after)


@contextmanager
def _schema_locked(engine: Engine) -> Iterator[Connection]:
    if engine.dialect.name == "sqlite":
        with _sqlite_write_locked(engine) as connection:
            yield connection
        return
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Released when the transaction ends, so the lock lasts exactly as long as the migration.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
        yield connection


@contextmanager
def _sqlite_write_locked(engine: Engine) -> Iterator[Connection]:
    """One SQLite transaction that takes the write lock first: a second process waits (busy timeout) for it.

    The driver's own transaction handling is switched off so that BEGIN IMMEDIATE, the DDL and COMMIT are ours.
    Foreign keys are off while migrating, as SQLite asks for when a table is rebuilt (batch migrations), and are
    checked before the commit; the pragma must be set outside a transaction.
    """
    with engine.connect() as pooled:
        connection = pooled.execution_options(isolation_level="AUTOCOMMIT")  # reset when returned to the pool
        foreign_keys = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield connection
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left rows with dangling foreign keys: {broken[:5]}")
                connection.exec_driver_sql("COMMIT")
            except BaseException:
                if connection.connection.driver_connection.in_transaction:  # type: ignore[union-attr]
                    connection.exec_driver_sql("ROLLBACK")
                raise
        finally:
            connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")


def _is_legacy(connection: Connection) -> bool:
    """Tables the bot made with create_all, before migrations: checked against the baseline, or refused."""
    existing = set(inspect(connection).get_table_names())
    if VERSION_TABLE in existing or not existing:
        return False  # migrated before, or empty: no need to build the baseline schema to compare with
    baseline = _baseline_schema()
    if not existing & baseline.keys():
        return False  # an empty database: migrate it from the start
    missing: list[str] = []
    for table, (columns, indexes) in baseline.items():
        if table not in existing:
            missing.append(_("table {name}").format(name=table))
            continue
        inspector = inspect(connection)
        found = {c["name"] for c in inspector.get_columns(table)}
        missing += [_("column {name}").format(name=f"{table}.{c}") for c in sorted(columns - found)]
        indexed = {i["name"] for i in inspector.get_indexes(table)}
        missing += [_("index {name}").format(name=i) for i in sorted(indexes - indexed)]
    if missing:
        raise LegacySchemaError(
            _(
                "the database has the bot's tables but no {version_table} table, and it is not the schema of "
                "revision {baseline} (missing: {missing}); bring it to that schema by hand, or start from an empty "
                "database"
            ).format(version_table=VERSION_TABLE, baseline=BASELINE, missing=", ".join(missing))
        )
    return True


@cache
def _baseline_schema() -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """Table -> (column names, index names) of the baseline revision, read from a scratch in-memory database."""
    scratch = create_engine("sqlite://")
    try:
        with scratch.connect() as connection:
            command.upgrade(make_config("sqlite://", connection), BASELINE)
            inspector = inspect(connection)
            return {
                table: (
                    frozenset(c["name"] for c in inspector.get_columns(table)),
                    frozenset(str(i["name"]) for i in inspector.get_indexes(table)),
                )
                for table in inspector.get_table_names()
                if table != VERSION_TABLE
            }
    finally:
        scratch.dispose()


def main(argv: list[str] | None = None) -> int:
    from dotenv import load_dotenv

    from bot import i18n
    from bot.argparse_words import translated
    from bot.config import DEFAULT_DATABASE_URL, ConfigError, bot_language

    load_dotenv(Path.cwd() / ".env")  # as the bot does; it never overrides the real environment
    with contextlib.suppress(ConfigError):  # a BOT_LANGUAGE the bot cannot read: English
        i18n.configure(bot_language(os.environ))
    with translated():
        parser = argparse.ArgumentParser(
            prog="python -m bot.store.migrate", description=_("Bring the bot's database to the newest schema revision.")
        )
        parser.add_argument(
            "database_url", nargs="?", help=_("default: $DATABASE_URL (also read from ./.env)"), metavar="DATABASE_URL"
        )
        args = parser.parse_args(argv)
    url: str = args.database_url or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    try:
        engine = make_engine(url, timeout=MIGRATION_TIMEOUT_SECONDS)  # a table rewrite may take longer than a click
        try:
            upgrade(engine)
            revision = current_revision(engine)
        finally:
            engine.dispose()
    except (SQLAlchemyError, CommandError, LegacySchemaError, ImportError) as error:
        print(_("migration failed: {error}").format(error=_said(error, url)), file=sys.stderr)
        return 1
    if revision == head_revision():
        print(_("database at revision {revision} (head)").format(revision=revision))
    else:
        print(_("database at revision {revision}").format(revision=revision))
    return 0


def _said(error: BaseException, url: str) -> str:
    """The first line of what failed, without the database's password."""
    from bot.logs import redact

    cause = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    try:
        password = checked_url(url).password
    except SQLAlchemyError:
        password = None
    said = lines[0] if lines else type(cause).__name__
    # A password of a few characters is taken out only where a URL holds it: elsewhere it would take its letters
    # out of every word ("p" from "port").
    said = _URL_PASSWORD.sub(r"\1[redacted]@", said)
    return redact(said, [str(password)] if password and len(str(password)) >= 4 else [])


_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")


if __name__ == "__main__":
    sys.exit(main())
