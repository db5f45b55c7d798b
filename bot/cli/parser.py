"""The command line's commands and options, their help in the language in force, and the checks of their values.

Built after the language is known (bot.cli.main), inside `bot.argparse_words.translated()`: argparse's own words
(`usage:`, `options`, its errors) are read when the parser is built and when it parses.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from bot.cli.audit import audit_export, audit_verify
from bot.cli.history import history
from bot.cli.status import status
from bot.config import DEFAULT_DATABASE_URL, SANDBOX_DATABASE_URL
from bot.i18n import _

PROG = "miniprogram-rollback"
DEFAULT_HISTORY_LIMIT = 20


def build_parser() -> argparse.ArgumentParser:
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument(
        "--database-url",
        metavar="URL",
        default=argparse.SUPPRESS,  # given before the command, it must survive the subcommand's defaults
        help=_("the bot's database (default: $DATABASE_URL, then ./.env, then {default})").format(
            default=DEFAULT_DATABASE_URL
        ),
    )
    database.add_argument(
        "--sandbox",
        action="store_true",
        default=argparse.SUPPRESS,
        help=_("the sandbox's records: default database {default} (also SANDBOX=true)").format(
            default=SANDBOX_DATABASE_URL
        ),
    )
    parser = argparse.ArgumentParser(
        prog=PROG, parents=[database], description=_("Audit log, history and status of the mini program rollback bot.")
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    audit = commands.add_parser("audit", help=_("export or verify the tamper-evident audit log"))
    audit_commands = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    export = audit_commands.add_parser(
        "export", parents=[database], help=_("every event with its request, oldest first")
    )
    export.add_argument("--format", choices=("csv", "json"), required=True)
    export.add_argument("--since", type=_since, metavar="YYYY-MM-DD", help=_("events from this UTC date (or time) on"))
    export.add_argument("--app", metavar="NAME", help=_("only this mini program's events (appid, or alias)"))
    export.add_argument("--output", "-o", metavar="FILE", help=_("write to FILE instead of standard output"))
    export.set_defaults(run=audit_export)
    verify = audit_commands.add_parser(
        "verify", parents=[database], help=_("check the hash chain: exit 0 if intact, 1 with the first broken link")
    )
    verify.add_argument(
        "--expect-head",
        type=_hash,
        metavar="HASH",
        help=_("a head printed earlier (or shown in Slack): fail unless the chain still contains it"),
    )
    verify.set_defaults(run=audit_verify)

    latest = commands.add_parser("history", parents=[database], help=_("the latest rollback requests, newest first"))
    latest.add_argument("--app", metavar="NAME", help=_("only this mini program, by appid or alias (default: all)"))
    latest.add_argument(
        "--limit",
        type=_positive,
        default=DEFAULT_HISTORY_LIMIT,
        metavar="N",
        help=_("at most this many requests (default: {limit})").format(limit=DEFAULT_HISTORY_LIMIT),
    )
    latest.set_defaults(run=history)

    online = commands.add_parser(
        "status", parents=[database], help=_("ask WeChat what is online now (needs the bot's settings)")
    )
    online.add_argument("--app", metavar="NAME", help=_("one mini program, by alias or appid (default: each)"))
    online.set_defaults(run=status)
    return parser


def _since(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("expected a date as YYYY-MM-DD, got {value}").format(value=repr(value))
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _hash(value: str) -> str:
    digest = value.strip().lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise argparse.ArgumentTypeError(
            _("expected a SHA-256 hash (64 hexadecimal digits), got {value}").format(value=repr(value))
        )
    return digest


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(_("expected a whole number from 1, got {value}").format(value=repr(value)))
    return number
