"""A finished request's outcome in words, for the request message and its thread.

The workflow keeps the outcome on the record in English words (rollback.outcome, gray_outcome), as recorded: an
English reader sees exactly that. A reader of another language sees the same facts said in theirs, from what the
request records (state, verified, the re-check still to come, WeChat's errcode and errmsg); the English record
stays one click away in the audit log.
"""

from __future__ import annotations

from dataclasses import replace

from bot.i18n import _, current, ngettext
from bot.rollback.model import Event, EventKind, NotSentCause, OutcomeCause, RollbackRequest, State
from bot.rollback.verdict import Outcome
from bot.slack.messages.format import escape, truncate
from bot.slack.messages.wechat_errors import unavailable_problem, wechat_problem
from bot.wechat.errors import CATALOGUE, error_for, unavailable_from


def outcome_words(request: RollbackRequest) -> str:
    recorded = escape(request.outcome or "")
    if current() == "en":
        return recorded
    return _said(request) or recorded


def step_words(event: Event, request: RollbackRequest) -> str:
    """A recorded step's detail (WeChat's answer judged, a read-back, a send that did not happen)."""
    recorded = escape(truncate(event.detail, 1500))
    if current() == "en":
        return recorded
    match event.kind:
        case EventKind.EXECUTED if request.stops_gray:
            return _("WeChat accepted the stop of the phased release.")
        case EventKind.EXECUTED:
            return _("WeChat accepted the rollback to {target}.").format(target=_target(request))
        case EventKind.FAILED | EventKind.NOT_SENT if request.cause is not None and not event.errcode:
            return _said(request) or recorded  # a request not sent ends there: its cause is this step's
        case EventKind.FAILED if event.errcode:
            return _("Not applied: WeChat refused. {problem}").format(problem=_problem(event.errcode, event.errmsg))
        case EventKind.FAILED:
            return _("Not applied: nothing was sent to WeChat.")
        case EventKind.NOT_SENT:
            return _(
                "Not sent: this bot's right to send it lapsed, or its database stopped answering, before it went out. "
                "Nothing was sent to WeChat."
            )
        case EventKind.UNKNOWN:
            return _(
                "Outcome unknown: WeChat's answer did not say whether it was applied. It was not retried; the bot "
                "reads WeChat again to settle it."
            )
        case EventKind.VERIFIED:
            return _("Read back from WeChat: {outcome}").format(outcome=_said(request) or recorded)
    return recorded


def _said(request: RollbackRequest) -> str | None:
    """The outcome from the request's facts, or None where they do not say it (a state with no outcome)."""
    target = _target(request)
    match request.state:
        case State.SUCCEEDED if request.stops_gray and request.verified:
            return _("Phased release stopped: WeChat accepted, and the plan reads back as stopped.")
        case State.SUCCEEDED if request.stops_gray:
            return _("WeChat accepted the stop of the phased release; the plan is read back to verify it.")
        case State.SUCCEEDED if request.verified:
            return _("Rolled back to {target}. Verified: WeChat reports {version} online.").format(
                target=target, version=escape(request.target.user_version)
            )
        case State.SUCCEEDED if request.recheck_at is not None:
            return _("Rolled back to {target} (WeChat accepted). Reading the online version back to verify…").format(
                target=target
            )
        case State.SUCCEEDED:
            return _(
                "Rolled back to {target} (WeChat accepted). The online version had the same name before, so reading "
                "it back cannot confirm it."
            ).format(target=target)
        case State.FAILED if request.wechat_errcode:
            problem = _problem(request.wechat_errcode, request.wechat_errmsg)
            if request.stops_gray:
                return _("Not applied: WeChat refused to stop the phased release. {problem}").format(problem=problem)
            return _("Not applied: WeChat refused the rollback to {target}. {problem}").format(
                target=target, problem=problem
            )
        case State.FAILED if request.cause is not None and request.stops_gray:
            return _(
                "Not applied: the request to stop the phased release was not sent, so nothing was changed. {why}"
            ).format(why=not_sent_why(request.cause))
        case State.FAILED if request.cause is not None:
            return _("Not applied: the rollback to {target} was not sent, so nothing was changed. {why}").format(
                target=target, why=not_sent_why(request.cause)
            )
        case State.FAILED if request.stops_gray:
            return _("Not applied: the request to stop the phased release was not sent. Nothing was changed.")
        case State.FAILED:
            return _("Not applied: the rollback to {target} was not sent. Nothing was changed.").format(target=target)
        case State.UNKNOWN if request.cause is not None and request.cause.cause is NotSentCause.NOT_SHOWN:
            return _not_shown(request, dict(request.cause.facts))
        case State.UNKNOWN if request.cause is not None and request.cause.cause is NotSentCause.ANSWER_UNRECORDED:
            return _(
                "Outcome unknown: the replica sending it did not record WeChat's answer within its lease (it stopped, "
                "was paused or lost its database), and reading WeChat has not settled it. It was not retried. Check "
                "the WeChat admin console (Version management) before doing anything else."
            )
        case State.UNKNOWN if request.recheck_at is not None:
            return _(
                "Outcome unknown so far: WeChat's answer did not say whether it was applied. It was not retried; the "
                "bot reads WeChat again for a while to settle it. Meanwhile, check the WeChat admin console (Version "
                "management) before doing anything else."
            )
        case State.UNKNOWN:
            return _(
                "Outcome unknown: WeChat's answer did not say whether it was applied, and reading WeChat again did "
                "not settle it. It was not retried. Check the WeChat admin console (Version management) before "
                "doing anything else."
            )
        case State.CANCELLED if request.decided_by is None:
            return _("Withdrawn: what is online changed since it was requested. Nothing was changed; request again.")
    return None


def _not_shown(request: RollbackRequest, facts: dict[str, int | float | str]) -> str:
    """WeChat accepted the rollback, yet its last read-back still does not show it."""
    minutes = int(facts.get("minutes", 0))
    online = facts.get("online")
    said = ngettext(
        "WeChat accepted the rollback to {target}, yet {minutes} minute later the online version still does not "
        "show it ({reads}). It was not retried. Check the WeChat admin console (Version management) before doing "
        "anything else.",
        "WeChat accepted the rollback to {target}, yet {minutes} minutes later the online version still does not "
        "show it ({reads}). It was not retried. Check the WeChat admin console (Version management) before doing "
        "anything else.",
        minutes,
    )
    reads = _("it reads {version}").format(version=escape(str(online))) if online else _("it could not be read")
    return said.format(target=_target(request), minutes=minutes, reads=reads)


def not_sent_why(cause: OutcomeCause) -> str:
    """Why nothing was sent, and what to do about it."""
    match cause.cause:
        case NotSentCause.GRAY_RELEASE:
            gray = CATALOGUE[87011]
            return _("{meaning} {next_step}").format(meaning=_(gray.meaning), next_step=_(gray.next_step))
        case NotSentCause.LEASE_RAN_OUT:
            return _(
                "The approval took longer than this bot's hold on it, so another replica may be settling it. Check "
                "the request before asking again."
            )
        case NotSentCause.DATABASE:
            return _(
                "The bot's database stopped answering before it went out. Request it again once the bot is healthy."
            )
        case NotSentCause.ABANDONED:
            return _(
                "The replica that took the approval did not send it within its lease (it stopped, was paused or lost "
                "its database). Request it again if it is still needed."
            )
        case NotSentCause.WECHAT_UNAVAILABLE:
            unavailable = unavailable_from(dict(cause.facts))
            if unavailable is not None:
                return unavailable_problem(unavailable)
    return _("WeChat could not be reached or gave no usable answer.")


def answer_words(request: RollbackRequest, answer: Outcome) -> str:
    """WeChat's answer as judged, before the database could record it: said as the record will say it."""
    recheck = request.created_at if answer.recheck else None  # any time: only whether one is planned counts
    return outcome_words(
        replace(
            request,
            state=answer.state,
            outcome=answer.words,
            wechat_errcode=answer.errcode,
            wechat_errmsg=answer.errmsg,
            verified=answer.verified,
            recheck_at=recheck,
            cause=answer.cause,
        )
    )


def _target(request: RollbackRequest) -> str:
    return _("*{version}* (app_version {app_version})").format(
        version=escape(request.target.user_version), app_version=request.target.app_version
    )


def _problem(errcode: int, errmsg: str | None) -> str:
    return wechat_problem(error_for(errcode, errmsg or ""))
