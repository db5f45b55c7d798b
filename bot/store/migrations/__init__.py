"""Alembic migrations of the bot's schema, run in code by `bot.store.migrate` (no alembic.ini needed).

A new revision, after changing `bot.store.models`::

    from alembic import command
    from bot.store.migrate import make_config
    command.revision(make_config("sqlite:///dev.db"), "add x", autogenerate=True, rev_id="0002")

with `dev.db` at the previous head (`python -m bot.store.migrate sqlite:///dev.db`). Read the file it writes:
autogenerate does not see everything (a renamed column looks like a drop and an add).
"""

from __future__ import annotations

from typing import Any, Literal

from alembic.autogenerate.api import AutogenContext
from sqlalchemy import TypeDecorator


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write the bot's own column types into a migration as the plain SQLAlchemy type they are stored as.

    A migration must not import `bot.store.models`: the models change, and an old migration must still run.
    `UTCDateTime` only converts values in Python; in the database it is `DateTime(timezone=True)`.
    """
    if type_ == "type" and isinstance(obj, TypeDecorator) and type(obj).__module__.startswith("bot."):
        impl = obj.impl_instance
        if type(impl).__module__.startswith("sqlalchemy.sql."):  # a generic type, reachable as sa.<Name>
            return f"sa.{impl!r}"
    return False
