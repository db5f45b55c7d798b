"""How each kind of request names what it asks for, in the messages shared by both kinds."""

from __future__ import annotations

from bot.i18n import _, current
from bot.rollback.model import RollbackRequest
from bot.slack.messages.format import escape, when


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
    """Why a request went stale: recorded in English words by the workflow, shown so to an English reader; another
    reader is told the fact (what was online when it was asked)."""
    if current() == "en":
        return escape(recorded)
    if request.stops_gray:
        return _("the phased release changed since it was requested")
    return _("the online version is no longer {version}, the one it was requested from").format(
        version=escape(request.online_version or _("(none)"))
    )


def plan_summary(request: RollbackRequest) -> str:
    """The phased release a stop asks about, as shown to the requester. Its summary is on the record in English
    words (state, percentage, start: GrayReleasePlan.summary), shown as recorded to an English reader; another
    reader gets its start from the facts (the plan's create_timestamp)."""
    if current() == "en" or not request.target.commit_time:
        return escape(request.target.user_desc)
    return _("the plan started {started}").format(started=when(request.target.commit_time))
