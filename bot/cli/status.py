"""`status`: what WeChat says is online now, through the bot's own client and token cache."""

from __future__ import annotations

import argparse
import logging
import os
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError

from bot.cli.columns import when, width
from bot.cli.database import open_database, sandbox
from bot.cli.failure import Failure
from bot.config import ConfigError, load_settings
from bot.i18n import _, ngettext
from bot.logs import configure_logging, redact
from bot.rollback.model import RollbackRequest, State
from bot.rollback.workflow import Status
from bot.slack.messages.gray import gray_status_words
from bot.slack.messages.kinds import plan_words
from bot.slack.messages.notices import state_words
from bot.slack.messages.watch import seen_words
from bot.slack.messages.wechat_errors import unavailable_problem, wechat_problem
from bot.wechat.errors import WeChatError, WeChatUnavailable
from bot.wechat.types import Release
from bot.wiring import wire_programs

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


def status(args: argparse.Namespace) -> int:
    # WeChat and the database only: the settings of serving Slack are not read (nor refused), and with a
    # configuration file only the chosen program's secrets are.
    settings = load_settings(_status_environment(), sandbox=sandbox(args), slack=False, program=args.app)
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
    print("\n\n".join(status_text(one) for one in statuses))
    return 0


def _status_environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name not in NOT_FOR_STATUS}


def status_text(status: Status) -> str:
    gray = _("none") if status.gray.status == 0 else gray_status_words(status.gray.status)
    if status.gray.blocks_rollback:
        gray = _("{status} at {percentage}% (rollbacks are refused until it ends)").format(
            status=gray, percentage=status.gray.percentage
        )
    change = status.last_seen or status.last_change  # recorded before the facts were kept: its English words
    if change:
        seen = _("{change}, {time} UTC").format(change=seen_words(change, str), time=when(status.last_change_at))
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
    room = max(width(label) for label, _value in lines) + 2
    return "\n".join(label + ":" + " " * (room - width(label) - 1) + value for label, value in lines)


def _release(release: Release | None) -> str:
    if release is None:
        return _("none reported")
    line = release.version
    if release.time:
        released = f"{datetime.fromtimestamp(release.time, UTC):%Y-%m-%d %H:%M}"
        line = _("{version}, released {time} UTC").format(version=release.version, time=released)
    return line + (f": {release.description}" if release.description else "")


def _plan(request: RollbackRequest) -> str:
    """A stop's plan from its facts, in the reader's language (as in Slack: bot.slack.messages.kinds); words of
    another form as recorded."""
    plan = request.plan
    return request.target.user_desc if plan is None else plan_words(plan, _utc)


def _utc(stamp: int) -> str:
    return f"{datetime.fromtimestamp(stamp, UTC):%Y-%m-%d %H:%M} UTC"


def _request(request: RollbackRequest | None) -> str:
    if request is None:
        return _("none")
    change = (
        _("stop the phased release ({plan})").format(plan=_plan(request))
        if request.stops_gray
        else (f"{request.online_version or '?'} -> {request.target.user_version}")
    )
    facts = {
        "id": request.id,
        "created": when(request.created_at),
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


def _state(request: RollbackRequest) -> str:
    if request.state is State.SUCCEEDED:
        state = _("stopped") if request.stops_gray else _("rolled back")
    else:
        state = state_words(request.state)
    return _("{state} (break-glass)").format(state=state) if request.policy_bypass else state


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
