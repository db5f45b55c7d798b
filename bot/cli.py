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
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from dotenv import load_dotenv
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from bot import i18n
from bot.config import DEFAULT_DATABASE_URL, SANDBOX_DATABASE_URL, ConfigError, load_settings, values
from bot.config.programs_file import load_programs
from bot.i18n import _, ngettext
from bot.logs import configure_logging, redact
from bot.rollback.model import RollbackRequest, State
from bot.rollback.workflow import Status
from bot.slack.messages.gray import gray_status_words
from bot.slack.messages.notices import state_words
from bot.slack.messages.wechat_errors import unavailable_problem, wechat_problem
from bot.store import audit, export
from bot.store.database import checked_url, make_engine, session_factory
from bot.store.migrate import current_revision, head_revision
from bot.store.request_store import RequestStore
from bot.wechat.errors import WeChatError, WeChatUnavailable
from bot.wechat.types import Release
from bot.wiring import wire_programs

PROG = "miniprogram-rollback"
DEFAULT_HISTORY_LIMIT = 20


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
        language = os.environ.get("BOT_LANGUAGE", "").strip() or None
        i18n.configure(values.choice(language, "BOT_LANGUAGE", i18n.LANGUAGES))
        return command(args)
    except ConfigError as error:
        print(_("{prog}: configuration error: {error}").format(prog=PROG, error=error), file=sys.stderr)
        return 2
    except Failure as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 1
    except SQLAlchemyError as error:
        message = _(
            "{prog}: the database at DATABASE_URL (or --database-url) failed: {error}: check that it runs and is "
            "reachable from here, and the URL"
        )
        print(message.format(prog=PROG, error=redact(_one_line(error))), file=sys.stderr)
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
        message = _("DATABASE_URL (or --database-url) is not a database URL the bot can use: {why}")
        raise ConfigError(message.format(why=error)) from None
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        if path and path != ":memory:" and not path.startswith("file:") and not Path(path).is_file():
            sandbox = make_url(SANDBOX_DATABASE_URL).database or ""
            elsewhere = path != sandbox and Path(sandbox).is_file()
            if elsewhere:
                missing = _(
                    "no SQLite database at {path}: set DATABASE_URL or --database-url to the bot's database (the "
                    "sandbox's records are in {sandbox}: add --sandbox)"
                )
            else:
                missing = _("no SQLite database at {path}: set DATABASE_URL or --database-url to the bot's database")
            raise ConfigError(missing.format(path=path, sandbox=sandbox))
    try:
        engine = make_engine(url)
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        raise ConfigError(_("cannot use the database URL: {error}").format(error=_one_line(error))) from None
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
        raise Failure(
            _("cannot write {file}: {error}").format(file=args.output, error=error.strerror or error)
        ) from None
    exported = ngettext("exported {count} event to {file}", "exported {count} events to {file}", len(records))
    print(exported.format(count=len(records), file=args.output))
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    engine = open_database(_database_url(args))
    try:
        report = audit.verify(engine, expect_head=args.expect_head)
    finally:
        engine.dispose()
    if report.problem is not None:
        print(
            _("audit log BROKEN after {entries} intact entries: {problem}").format(
                entries=report.entries, problem=report.problem
            )
        )
        return 1
    entries = ngettext("{count} entry", "{count} entries", report.entries).format(count=report.entries)
    requests = ngettext(
        "{count} request matches its events", "{count} requests match their events", report.requests
    ).format(count=report.requests)
    if report.unchecked:
        intact = ngettext(
            "audit log intact: {entries}, {requests}; {unchecked} older request has no recorded state to check",
            "audit log intact: {entries}, {requests}; {unchecked} older requests have no recorded state to check",
            report.unchecked,
        )
    else:
        intact = _("audit log intact: {entries}, {requests}")
    print(intact.format(entries=entries, requests=requests, unchecked=report.unchecked))
    print(_("head {head}").format(head=report.head))
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
        message = _("{path} names no mini program {name}: it names {aliases} (or give an AppID)")
        raise ConfigError(message.format(path=path, name=name, aliases=aliases))
    return found or name


# --- history


def _history(args: argparse.Namespace) -> int:
    engine = open_database(_database_url(args))
    try:
        rows = RequestStore(session_factory(engine)).latest(args.limit, _appid(args.app) if args.app else None)
    finally:
        engine.dispose()
    if not rows:
        print(_("no rollback requests for {app}").format(app=args.app) if args.app else _("no rollback requests"))
        return 0
    print(history_table(rows))
    return 0


def history_table(rows: Sequence[RollbackRequest]) -> str:
    header = (
        _("ID"),
        _("CREATED (UTC)"),
        _("APP"),
        _("REQUESTER"),
        _("FROM"),
        _("TO"),
        _("STATE"),
        _("DECIDED BY"),
        _("FINISHED (UTC)"),
    )
    lines = [
        (
            str(row.id),
            _when(row.created_at),
            row.appid,
            row.requester_id,
            row.online_version or "?",
            _("stop phased release") if row.stops_gray else f"{row.target.user_version} ({row.target.app_version})",
            _("{state} (break-glass)").format(state=state_words(row.state))
            if row.policy_bypass
            else state_words(row.state),
            row.decided_by or "-",
            _when(row.finished_at),
        )
        for row in rows
    ]
    widths = [max(_width(cells[i]) for cells in (header, *lines)) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell + " " * (width - _width(cell)) for cell, width in zip(cells, widths, strict=True)).rstrip()
        for cells in (header, *lines)
    )


def _width(cell: str) -> int:
    """Columns on a terminal: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in cell)


def _state(request: RollbackRequest) -> str:
    if request.state is State.SUCCEEDED:
        state = _("stopped") if request.stops_gray else _("rolled back")
    else:
        state = state_words(request.state)
    return _("{state} (break-glass)").format(state=state) if request.policy_bypass else state


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


# --- status


def _status(args: argparse.Namespace) -> int:
    # WeChat and the database only: the settings of serving Slack are not read (nor refused), and with a
    # configuration file only the chosen program's secrets are.
    settings = load_settings(_status_environment(), sandbox=_sandbox(args), slack=False, program=args.app)
    if settings.sandbox:
        raise ConfigError(
            _(
                "status asks WeChat, and the sandbox's simulated WeChat lives inside the running bot: ask "
                "`/miniprogram-rollback status` in Slack"
            )
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
            raise ConfigError(
                _("this bot does not manage {app}: it manages {programs}").format(
                    app=args.app, programs=", ".join(programs.aliases())
                )
            )
        statuses = [workflow.status() for workflow in chosen if workflow is not None]
    except (ConfigError, SQLAlchemyError):
        raise
    except Exception as error:  # WeChat's refusal, an unreachable host, a token source that failed
        if isinstance(error, WeChatError):
            described = wechat_problem(error)
        elif isinstance(error, WeChatUnavailable):
            described = unavailable_problem(error)
        else:
            described = str(error)
        message = " ".join(described.split())
        raise Failure(
            _("could not read the status from WeChat: {problem}").format(problem=redact(message, secrets))
        ) from None
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
    gray = _("none") if status.gray.status == 0 else gray_status_words(status.gray.status)
    if status.gray.blocks_rollback:
        gray = _("{status} at {percentage}% (rollbacks are refused until it ends)").format(
            status=gray, percentage=status.gray.percentage
        )
    if status.last_change:
        seen = _("{change}, {time} UTC").format(change=status.last_change, time=_when(status.last_change_at))
    else:
        seen = _("none")
    lines = [
        (_("Mini program"), status.appid if status.alias == status.appid else f"{status.alias} ({status.appid})"),
        (_("Online"), _release(status.online)),
        (_("Trial (experience)"), _release(status.experience)),
        (_("Phased release"), gray),
        (_("Last change seen"), seen),
        (_("Open request"), _request(status.open_request)),
        (_("Last rollback"), _request(status.last_rollback)),
    ]
    width = max(_width(label) for label, _value in lines) + 2
    return "\n".join(label + ":" + " " * (width - _width(label) - 1) + value for label, value in lines)


def _release(release: Release | None) -> str:
    if release is None:
        return _("none reported")
    line = release.version
    if release.time:
        released = f"{datetime.fromtimestamp(release.time, UTC):%Y-%m-%d %H:%M}"
        line = _("{version}, released {time} UTC").format(version=release.version, time=released)
    return line + (f": {release.description}" if release.description else "")


def _request(request: RollbackRequest | None) -> str:
    if request is None:
        return _("none")
    change = (
        _("stop the phased release ({plan})").format(plan=request.target.user_desc)
        if request.stops_gray
        else (f"{request.online_version or '?'} -> {request.target.user_version}")
    )
    facts = {
        "id": request.id,
        "created": _when(request.created_at),
        "requester": request.requester_id,
        "change": change,
        "state": _state(request),
        "decider": request.decided_by,
    }
    if request.decided_by:
        line = _("#{id} {created} UTC by {requester}: {change}, {state} by {decider}").format(**facts)
    else:
        line = _("#{id} {created} UTC by {requester}: {change}, {state}").format(**facts)
    return line + (_waiting(request) if request.state is State.PENDING else "")


def _waiting(request: RollbackRequest) -> str:
    """What a pending request has so far: its approvals, its reminders and whether it escalated."""
    approvals = _("; {given} of {required} approvals").format(
        given=len(request.approvals), required=request.approvals_required
    )
    by = f" ({', '.join(request.approvals)})" if request.approvals else ""
    sent = ngettext("; {count} reminder sent", "; {count} reminders sent", request.reminders).format(
        count=request.reminders
    )
    escalated = _(", escalated to {group}").format(group=request.escalated_to) if request.escalated_to else ""
    return f"{approvals}{by}{sent}{escalated}"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _one_line(error: BaseException) -> str:
    cause = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    return lines[0] if lines else type(cause).__name__


if __name__ == "__main__":
    sys.exit(main())
