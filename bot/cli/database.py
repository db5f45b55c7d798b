"""The database the commands read (never migrated here), and whose records: a mini program by appid or alias."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from bot.cli.failure import Failure, one_line
from bot.config import DEFAULT_DATABASE_URL, SANDBOX_DATABASE_URL, ConfigError, values
from bot.config.programs_file import load_programs
from bot.i18n import _
from bot.store.database import checked_url, make_engine
from bot.store.migrate import current_revision, head_revision


def database_url(args: argparse.Namespace) -> str:
    given = getattr(args, "database_url", None) or os.environ.get("DATABASE_URL", "").strip()
    return given or (SANDBOX_DATABASE_URL if sandbox(args) else DEFAULT_DATABASE_URL)


def sandbox(args: argparse.Namespace) -> bool:
    flag = os.environ.get("SANDBOX", "").strip() or None
    return bool(getattr(args, "sandbox", False)) or values.boolean(flag, "SANDBOX")


def open_database(url: str) -> Engine:
    """An engine on the bot's existing database at the newest schema, or a one-line error.

    A missing SQLite file is refused rather than created: the default URL is relative to the current directory.
    """
    try:
        parsed = checked_url(url)
    except ArgumentError as error:
        message = _("DATABASE_URL (or --database-url) is not a database URL the bot can use: {why}")
        raise ConfigError(message.format(why=error)) from None
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        if path and path != ":memory:" and not path.startswith("file:") and not Path(path).is_file():
            sandboxed = make_url(SANDBOX_DATABASE_URL).database or ""
            elsewhere = path != sandboxed and Path(sandboxed).is_file()
            if elsewhere:
                missing = _(
                    "no SQLite database at {path}: set DATABASE_URL or --database-url to the bot's database (the "
                    "sandbox's records are in {sandbox}: add --sandbox)"
                )
            else:
                missing = _("no SQLite database at {path}: set DATABASE_URL or --database-url to the bot's database")
            raise ConfigError(missing.format(path=path, sandbox=sandboxed))
    try:
        engine = make_engine(url)
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        raise ConfigError(_("cannot use the database URL: {error}").format(error=one_line(error))) from None
    try:
        revision, newest = current_revision(engine), head_revision()
        if revision != newest:
            raise Failure(
                _(
                    "the database is at schema revision {revision}, not {newest}: start the bot once (it migrates) "
                    "or run `python -m bot.store.migrate`"
                ).format(revision=revision or _("none"), newest=newest)
            )
    except BaseException:
        engine.dispose()
        raise
    return engine


def appid_of(name: str | None) -> str | None:
    """An appid as given, or the appid of an alias in ROLLBACK_CONFIG (read without its secrets)."""
    path = os.environ.get("ROLLBACK_CONFIG", "").strip()
    if not name or not path:
        return name
    programs = load_programs(path, os.environ, sandbox=True)  # the sandbox reading needs no secret
    found = next((program.appid for program in programs if name.lower() in (program.alias, program.appid)), None)
    if found is None and not values.APPID.fullmatch(name):  # an AppID the file no longer names keeps its history
        aliases = ", ".join(program.alias for program in programs)
        message = _("{path} names no mini program {name}: it names {aliases} (or give an AppID)")
        raise ConfigError(message.format(path=path, name=name, aliases=aliases))
    return found or name
