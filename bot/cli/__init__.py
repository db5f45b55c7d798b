"""`miniprogram-rollback`: the operator's command line, usable without Slack.

    miniprogram-rollback audit export --format csv|json [--since YYYY-MM-DD] [--app NAME] [--output FILE]
    miniprogram-rollback audit verify [--expect-head HASH]
    miniprogram-rollback history [--app NAME] [--limit N]
    miniprogram-rollback status [--app ALIAS|APPID]

`audit` and `history` read only the database: DATABASE_URL, or --database-url; no Slack or WeChat settings.
With --sandbox (or SANDBOX=true) the default database is the sandbox's, as for `python app.py --sandbox`.
`status` asks WeChat through the bot's own client and token cache: it needs the WeChat and database settings
(never Slack's).
Like the bot, it reads ./.env first (never overriding the real environment), and speaks BOT_LANGUAGE from the
first word, `--help` and argparse's own included. Exit codes: 0 done, 1 a failure (or a broken audit chain),
2 a usage or configuration error. Nothing here changes the schema: a database the bot has not migrated yet is
refused, not upgraded.

The parser (parser.py, with argparse's words in bot/argparse_words.py), the database and whose records (database.py),
and one module per command: audit.py, history.py, status.py.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from dotenv import load_dotenv
from sqlalchemy.exc import SQLAlchemyError

from bot import i18n
from bot.argparse_words import translated
from bot.cli.failure import Failure, one_line
from bot.cli.parser import PROG, build_parser
from bot.config import ConfigError, values
from bot.i18n import _
from bot.logs import redact

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    load_dotenv(Path.cwd() / ".env")  # if present; it never overrides the real environment
    unreadable_language = _choose_language()  # before the parser: its help and errors are in that language
    with translated():
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exit_:  # argparse: --help (0) or a usage error (2, already explained on stderr)
            return exit_.code if isinstance(exit_.code, int) else 2
        command: Callable[..., int] = args.run
        try:
            if unreadable_language is not None:
                raise unreadable_language
            return command(args)
        except ConfigError as error:
            print(_("{prog}: configuration error: {error}").format(prog=PROG, error=error), file=sys.stderr)
            return 2
        except Failure as error:
            print(f"{PROG}: {error}", file=sys.stderr)
            return 1
        except SQLAlchemyError as error:
            message = _(
                "{prog}: the database at DATABASE_URL (or --database-url) failed: {error}: check that it runs and "
                "is reachable from here, and the URL"
            )
            print(message.format(prog=PROG, error=redact(one_line(error))), file=sys.stderr)
            return 1


def _choose_language() -> ConfigError | None:
    """BOT_LANGUAGE from the environment (or ./.env): in force from here on. One the bot cannot read leaves English
    in force, and is returned to be reported once the command line is parsed (`--help` still works)."""
    try:
        i18n.configure(
            values.choice(os.environ.get("BOT_LANGUAGE", "").strip() or None, "BOT_LANGUAGE", i18n.LANGUAGES)
        )
    except ConfigError as error:
        i18n.configure("en")
        return error
    return None
