"""Alembic environment, configured by `bot.store.migrate.make_config` rather than an alembic.ini.

`bot.store.migrate.upgrade` passes a connection in `config.attributes["connection"]` that already holds the
schema lock inside an open transaction: the migrations run in that transaction and the caller commits.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool
from sqlalchemy.engine import make_url

from bot.store.migrations import render_item
from bot.store.models import Base

config = context.config


def _options(dialect: str) -> dict[str, Any]:
    return {
        "target_metadata": Base.metadata,
        "render_item": render_item,
        # SQLite alters most things only by copying the table: autogenerate writes batch operations for it.
        "render_as_batch": dialect == "sqlite",
        "compare_type": True,
    }


def run_offline() -> None:
    """`--sql` mode: print the DDL instead of running it."""
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not set"
    context.configure(
        url=url, literal_binds=True, dialect_opts={"paramstyle": "named"}, **_options(make_url(url).get_backend_name())
    )
    with context.begin_transaction():
        context.run_migrations()


def run_on(connection: Connection) -> None:
    context.configure(connection=connection, **_options(connection.dialect.name))
    with context.begin_transaction():  # a no-op when the caller's transaction is already open
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    # Without a connection (alembic's own command line): no schema lock; prefer `python -m bot.store.migrate`.
    section = config.get_section(config.config_ini_section, {})
    engine = engine_from_config(section, "sqlalchemy.", poolclass=pool.NullPool)
    try:
        with engine.connect() as own:
            run_on(own)
            own.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
