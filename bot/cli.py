"""`miniprogram-rollback`: the operator's command line, usable without Slack.

    miniprogram-rollback audit export --format csv|json [--since YYYY-MM-DD] [--app NAME] [--output FILE]
    miniprogram-rollback audit verify [--expect-head HASH]
    miniprogram-rollback history [--app NAME] [--limit N]
    miniprogram-rollback status [--app ALIAS|APPID]

`audit` and `history` read only the database: DATABASE_URL, or --database-url; no Slack or WeChat settings.
With --sandbox (or SANDBOX=true) the default database is the sandbox's, as for `python app.py --sandbox`.
`status` asks WeChat through the bot's own client and token cache: it needs the WeChat and database settings
(never Slack's).
Like the bot, it reads ./.env first (never overriding the real environment). Exit codes: 0 done, 1 a failure
(or a broken audit chain), 2 a usage or configuration error. Nothing here changes the schema: a database the
bot has not migrated yet is refused, not upgraded.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from dotenv import load_dotenv
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from bot.config import DEFAULT_DATABASE_URL, SANDBOX_DATABASE_URL, ConfigError, load_settings, values
from bot.config.programs_file import load_programs
from bot.logs import configure_logging, redact
from bot.rollback.model import RollbackRequest, State
from bot.rollback.workflow import Status
from bot.store import audit, export
from bot.store.database import checked_url, make_engine, session_factory
from bot.store.migrate import current_revision, head_revision
from bot.store.request_store import RequestStore
from bot.wechat.types import Release
from bot.wiring import wire_programs

PROG = "miniprogram-rollback"
DEFAULT_HISTORY_LIMIT = 20
_GRAY = {0: "none", 1: "running", 2: "paused", 3: "finished", 4: "reverted"}


class Failure(Exception):
    """The command could not do its work: exit 1 with this message."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse: --help (0) or a usage error (2, already explained on stderr)
        return exit_.code if isinstance(exit_.code, int) else 2
    load_dotenv(Path.cwd() / ".env")  # if present; it never overrides the real environment
    command: Callable[[argparse.Namespace], int] = args.run
    try:
        return command(args)
    except ConfigError as error:
        print(f"{PROG}: configuration error: {error}", file=sys.stderr)
        return 2
    except Failure as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 1
    except SQLAlchemyError as error:
        print(
            f"{PROG}: the database at DATABASE_URL (or --database-url) failed: {redact(_one_line(error))}: check that "
            "it runs and is reachable from here, and the URL",
            file=sys.stderr,
        )
        return 1


def build_parser() -> argparse.ArgumentParser:
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument(
        "--database-url",
        metavar="URL",
        default=argparse.SUPPRESS,  # given before the command, it must survive the subcommand's defaults
        help="the bot's database (default: $DATABASE_URL, then ./.env, then " + DEFAULT_DATABASE_URL + ")",
    )
    database.add_argument(
        "--sandbox",
        action="store_true",
        default=argparse.SUPPRESS,
        help="the sandbox's records: default database " + SANDBOX_DATABASE_URL + " (also SANDBOX=true)",
    )
    parser = argparse.ArgumentParser(
        prog=PROG, parents=[database], description="Audit log, history and status of the mini program rollback bot."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    audit_parser = commands.add_parser("audit", help="export or verify the tamper-evident audit log")
    audit_commands = audit_parser.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    export = audit_commands.add_parser("export", parents=[database], help="every event with its request, oldest first")
    export.add_argument("--format", choices=("csv", "json"), required=True)
    export.add_argument("--since", type=_since, metavar="YYYY-MM-DD", help="events from this UTC date (or time) on")
    export.add_argument("--app", metavar="NAME", help="only this mini program's events (appid, or alias)")
    export.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    export.set_defaults(run=_audit_export)
    verify = audit_commands.add_parser(
        "verify", parents=[database], help="check the hash chain: exit 0 if intact, 1 with the first broken link"
    )
    verify.add_argument(
        "--expect-head",
        type=_hash,
        metavar="HASH",
        help="a head printed earlier (or shown in Slack): fail unless the chain still contains it",
    )
    verify.set_defaults(run=_audit_verify)

    history = commands.add_parser("history", parents=[database], help="the latest rollback requests, newest first")
    history.add_argument("--app", metavar="NAME", help="only this mini program, by appid or alias (default: all)")
    history.add_argument("--limit", type=_positive, default=DEFAULT_HISTORY_LIMIT, metavar="N")
    history.set_defaults(run=_history)

    status = commands.add_parser(
        "status", parents=[database], help="ask WeChat what is online now (needs the bot's settings)"
    )
    status.add_argument("--app", metavar="NAME", help="one mini program, by alias or appid (default: each)")
    status.set_defaults(run=_status)
    return parser


def _since(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _hash(value: str) -> str:
    digest = value.strip().lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise argparse.ArgumentTypeError(f"expected a SHA-256 hash (64 hexadecimal digits), got {value!r}")
    return digest


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1, got {value!r}")
    return number


# --- the database


def _database_url(args: argparse.Namespace) -> str:
    given = getattr(args, "database_url", None) or os.environ.get("DATABASE_URL", "").strip()
    return given or (SANDBOX_DATABASE_URL if _sandbox(args) else DEFAULT_DATABASE_URL)


def _sandbox(args: argparse.Namespace) -> bool:
    flag = os.environ.get("SANDBOX", "").strip() or None
    return bool(getattr(args, "sandbox", False)) or values.boolean(flag, "SANDBOX")


def open_database(url: str) -> Engine:
    """An engine on the bot's existing database at the newest schema, or a one-line error.

    A missing SQLite file is refused rather than created: the default URL is relative to the current directory.
    """
    try:
        parsed = checked_url(url)
    except ArgumentError as error:
        raise ConfigError(f"DATABASE_URL (or --database-url) is not a database URL the bot can use: {error}") from None
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        if path and path != ":memory:" and not path.startswith("file:") and not Path(path).is_file():
            sandbox = make_url(SANDBOX_DATABASE_URL).database or ""
            elsewhere = path != sandbox and Path(sandbox).is_file()
            hint = f" (the sandbox's records are in {sandbox}: add --sandbox)" if elsewhere else ""
            raise ConfigError(
                f"no SQLite database at {path}: set DATABASE_URL or --database-url to the bot's database{hint}"
            )
    try:
        engine = make_engine(url)
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        raise ConfigError(f"cannot use the database URL: {_one_line(error)}") from None
    try:
        revision, newest = current_revision(engine), head_revision()
        if revision != newest:
            raise Failure(
                f"the database is at schema revision {revision or 'none'}, not {newest}: start the bot once "
                "(it migrates) or run `python -m bot.store.migrate`"
            )
    except BaseException:
        engine.dispose()
        raise
    return engine


# --- audit


def _audit_export(args: argparse.Namespace) -> int:
    engine = open_database(_database_url(args))
    try:
        records = export.export_records(engine, since=args.since, appid=_appid(args.app))
    finally:
        engine.dispose()
    text = export.render(records, args.format)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            out.write(text)
    except OSError as error:
        raise Failure(f"cannot write {args.output}: {error.strerror or error}") from None
    print(f"exported {len(records)} events to {args.output}")
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    engine = open_database(_database_url(args))
    try:
        report = audit.verify(engine, expect_head=args.expect_head)
    finally:
        engine.dispose()
    if report.problem is not None:
        print(f"audit log BROKEN after {report.entries} intact entries: {report.problem}")
        return 1
    unchecked = f"; {report.unchecked} older requests have no recorded state to check" if report.unchecked else ""
    print(
        f"audit log intact: {report.entries} entries, {report.requests} requests match their events{unchecked}\n"
        f"head {report.head}"
    )
    return 0


def _appid(name: str | None) -> str | None:
    """An appid as given, or the appid of an alias in ROLLBACK_CONFIG (read without its secrets)."""
    path = os.environ.get("ROLLBACK_CONFIG", "").strip()
    if not name or not path:
        return name
    programs = load_programs(path, os.environ, sandbox=True)  # the sandbox reading needs no secret
    found = next((program.appid for program in programs if name.lower() in (program.alias, program.appid)), None)
    if found is None and not values.APPID.fullmatch(name):  # an AppID the file no longer names keeps its history
        aliases = ", ".join(program.alias for program in programs)
        raise ConfigError(f"{path} names no mini program {name}: it names {aliases} (or give an AppID)")
    return found or name


# --- history


def _history(args: argparse.Namespace) -> int:
    engine = open_database(_database_url(args))
    try:
        rows = RequestStore(session_factory(engine)).latest(args.limit, _appid(args.app) if args.app else None)
    finally:
        engine.dispose()
    if not rows:
        print(f"no rollback requests{f' for {args.app}' if args.app else ''}")
        return 0
    print(history_table(rows))
    return 0


def history_table(rows: Sequence[RollbackRequest]) -> str:
    header = ("ID", "CREATED (UTC)", "APP", "REQUESTER", "FROM", "TO", "STATE", "DECIDED BY", "FINISHED (UTC)")
    lines = [
        (
            str(row.id),
            _when(row.created_at),
            row.appid,
            row.requester_id,
            row.online_version or "?",
            "stop phased release" if row.stops_gray else f"{row.target.user_version} ({row.target.app_version})",
            str(row.state) + (" (break-glass)" if row.policy_bypass else ""),
            row.decided_by or "-",
            _when(row.finished_at),
        )
        for row in rows
    ]
    widths = [max(len(cells[i]) for cells in (header, *lines)) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
        for cells in (header, *lines)
    )


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


# --- status


def _status(args: argparse.Namespace) -> int:
    # WeChat and the database only: the settings of serving Slack are not read (nor refused), and with a
    # configuration file only the chosen program's secrets are.
    settings = load_settings(_status_environment(), sandbox=_sandbox(args), slack=False, program=args.app)
    if settings.sandbox:
        raise ConfigError(
            "status asks WeChat, and the sandbox's simulated WeChat lives inside the running bot: "
            "ask `/miniprogram-rollback status` in Slack"
        )
    if getattr(args, "database_url", None):
        settings = replace(settings, database_url=args.database_url)
    secrets = settings.secrets()
    configure_logging(secrets, level=logging.WARNING)
    engine = open_database(settings.database_url)
    try:
        programs = wire_programs(settings, engine, _utc_now).programs
        chosen = [programs.named(args.app)] if args.app else list(programs)
        if chosen == [None]:
            raise ConfigError(f"this bot does not manage {args.app}: it manages {', '.join(programs.aliases())}")
        statuses = [workflow.status() for workflow in chosen if workflow is not None]
    except (ConfigError, SQLAlchemyError):
        raise
    except Exception as error:  # WeChat's refusal, an unreachable host, a token source that failed
        describe = getattr(error, "describe", None)
        message = " ".join(str(describe() if callable(describe) else error).split())
        raise Failure(f"could not read the status from WeChat: {redact(message, secrets)}") from None
    finally:
        engine.dispose()
    print("\n\n".join(status_text(status) for status in statuses))
    return 0


# What serving Slack and deciding requests take: `status` reads none of it, so it refuses none of it either.
NOT_FOR_STATUS = frozenset(
    {
        "PORT", "LOG_FORMAT", "LOG_LEVEL", "EXPIRY_SWEEP_SECONDS", "APPROVAL_LEASE_SECONDS",
        "APPROVER_USER_IDS", "APPROVER_USERGROUP_ID", "ALLOWED_CHANNEL_IDS", "BREAK_GLASS_ENABLED",
        "APPROVAL_TTL_SECONDS", "APPROVALS_REQUIRED", "APPROVAL_REMIND_SECONDS", "ESCALATION_USERGROUP_ID",
        "ESCALATE_AFTER_SECONDS", "ALLOW_GUEST_APPROVERS", "APPROVAL_CHANNEL_MENTION", "VERSION_WATCH_SECONDS",
        "NOTIFY_CHANNEL_ID",
    }
)  # fmt: skip


def _status_environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name not in NOT_FOR_STATUS}


def status_text(status: Status) -> str:
    gray = _GRAY.get(status.gray.status, str(status.gray.status))
    if status.gray.blocks_rollback:
        gray += f" at {status.gray.percentage}% (rollbacks are refused until it ends)"
    lines = [
        ("Mini program", status.appid if status.alias == status.appid else f"{status.alias} ({status.appid})"),
        ("Online", _release(status.online)),
        ("Trial (experience)", _release(status.experience)),
        ("Phased release", gray),
        (
            "Last change seen",
            f"{status.last_change}, {_when(status.last_change_at)} UTC" if status.last_change else "none",
        ),
        ("Open request", _request(status.open_request)),
        ("Last rollback", _request(status.last_rollback)),
    ]
    width = max(len(label) for label, _ in lines) + 1
    return "\n".join(f"{label + ':':<{width}} {value}" for label, value in lines)


def _release(release: Release | None) -> str:
    if release is None:
        return "none reported"
    when = f", released {datetime.fromtimestamp(release.time, UTC):%Y-%m-%d %H:%M} UTC" if release.time else ""
    return f"{release.version}{when}" + (f": {release.description}" if release.description else "")


def _request(request: RollbackRequest | None) -> str:
    if request is None:
        return "none"
    done = "stopped" if request.stops_gray else "rolled back"
    state = done if request.state is State.SUCCEEDED else str(request.state)
    change = (
        f"stop the phased release ({request.target.user_desc})"
        if request.stops_gray
        else (f"{request.online_version or '?'} -> {request.target.user_version}")
    )
    return (
        f"#{request.id} {_when(request.created_at)} UTC by {request.requester_id}: {change}, {state}"
        + (" (break-glass)" if request.policy_bypass else "")
        + (f" by {request.decided_by}" if request.decided_by else "")
        + (_waiting(request) if request.state is State.PENDING else "")
    )


def _waiting(request: RollbackRequest) -> str:
    """What a pending request has so far: its approvals, its reminders and whether it escalated."""
    approvals = f"; {len(request.approvals)} of {request.approvals_required} approvals"
    by = f" ({', '.join(request.approvals)})" if request.approvals else ""
    escalated = f", escalated to {request.escalated_to}" if request.escalated_to else ""
    return f"{approvals}{by}; {request.reminders} reminder(s) sent{escalated}"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _one_line(error: BaseException) -> str:
    cause = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    return lines[0] if lines else type(cause).__name__


if __name__ == "__main__":
    sys.exit(main())
