"""How each kind of request names what it asks for, in the messages shared by both kinds."""

from __future__ import annotations

from collections.abc import Callable

from bot.i18n import _, current
from bot.rollback.model import RollbackRequest
from bot.rollback.staleness import StaleCause, Staleness
from bot.slack.messages.format import escape, when
from bot.slack.messages.gray import gray_status_words
from bot.wechat.types import GrayReleasePlan


def asked(request: RollbackRequest, program: str) -> str:
    """What the request changes, as a phrase: "roll `shop` back to *1.1.0* (app_version 101)"."""
    if request.stops_gray:
        return _("stop the phased release of `{program}` ({plan})").format(
            program=escape(program), plan=plan_summary(request)
        )
    target = request.target
    return _("roll `{program}` back to *{version}* (app_version {app_version})").format(
        program=escape(program), version=escape(target.user_version), app_version=target.app_version
    )


def what_wechat_allows(request: RollbackRequest) -> str:
    """Told to the approver before a rollback is approved (WeChat's rules: ../shared/wechat-api.md)."""
    if request.stops_gray:
        return _(
            "The users the phased release reached go back to the version online before it; the versions can then be "
            "rolled back to again."
        )
    rolled_from = f"*{escape(request.online_version)}*" if request.online_version else _("the version online now")
    return _(
        "WeChat allows *one rollback per release*: after this one, no other until the next release, and "
        "{rolled_from}, the version rolled back from, cannot be chosen later."
    ).format(rolled_from=rolled_from)


def stale_reason(request: RollbackRequest, recorded: str) -> str:
    """Why a request went stale, from the facts the workflow recorded (`request.stale`). A request recorded before
    they were kept has its English words only: shown so to an English reader; another reader is told what it was
    asked from."""
    if request.stale is not None:
        return staleness_words(request.stale)
    if current() == "en":
        return escape(recorded)
    if request.stops_gray:
        return _("the phased release changed since it was requested")
    return _("the online version is no longer {version}, the one it was requested from").format(
        version=escape(request.online_version or _("(none)"))
    )


def withdrawn_words(request: RollbackRequest) -> str | None:
    """The outcome of a request withdrawn as stale, from its facts, for a reader of another language than the
    record's English (None: shown as recorded)."""
    if current() == "en" or request.stale is None:
        return None
    return _("Withdrawn as stale: {why}. Nothing was changed by the bot; request again if still needed.").format(
        why=staleness_words(request.stale)
    )


def staleness_words(why: Staleness) -> str:
    status = gray_status_words(why.status)
    match why.cause:
        case StaleCause.ONLINE_CHANGED:
            return _("the online version changed from {before} to {after}").format(
                before=escape(why.before) if why.before else _("none"),
                after=escape(why.after) if why.after else _("none"),
            )
        case StaleCause.GRAY_BLOCKS:
            return _("a phased release is {status} now, and WeChat refuses rollbacks until it ends").format(
                status=status
            )
        case StaleCause.GRAY_STOPPED:
            return _("the phased release it would stop was stopped outside the bot")
        case StaleCause.GRAY_REPLACED:
            return _("another phased release replaced the one it would stop")
        case StaleCause.GRAY_ENDED:
            return _("the phased release it would stop is {status} now").format(status=status)
        case StaleCause.GRAY_UNTOLD:
            return _(
                "the phased release it would stop cannot be told apart from one started since (WeChat gives no start "
                "time)"
            )
        case StaleCause.GRAY_CHANGED:
            return _(
                "the phased release reads otherwise now ({status} at {percentage}%) and, with no start time from "
                "WeChat, may be another one"
            ).format(status=status, percentage=why.percentage)


def plan_summary(request: RollbackRequest) -> str:
    """The phased release a stop asks about, as shown to the requester: its status, percentage and start (when
    WeChat gave one), from the plan the request recorded."""
    plan = request.plan
    if plan is None:  # a summary of another form: shown as recorded to an English reader
        if current() == "en":
            return escape(request.target.user_desc)
        if not request.target.commit_time:
            return _("the phased release, whose start WeChat did not give")
        return _("the plan started {started}").format(started=when(request.target.commit_time))
    return plan_words(plan, when)


def plan_words(plan: GrayReleasePlan, started: Callable[[int], str]) -> str:
    """A phased release's status, percentage and start in the reader's language; `started` words its
    create_timestamp (Slack's date token, or plain UTC text in a terminal)."""
    status = gray_status_words(plan.status)
    if plan.created:
        return _("{status} at {percentage}%, started {started}").format(
            status=status, percentage=plan.percentage, started=started(plan.created)
        )
    return _("{status} at {percentage}%, start time not given by WeChat").format(
        status=status, percentage=plan.percentage
    )
