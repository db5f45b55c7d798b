"""`status` and `history`: what is online now, and what the bot has done."""

from __future__ import annotations

from typing import Any

from bot.rollback.model import RollbackRequest, State, program_name
from bot.rollback.workflow import Status
from bot.slack.messages.format import context, escape, mention, pages, people, section, truncate, when
from bot.slack.messages.gray import phased_release_block, plan_line
from bot.wechat.types import Release

Blocks = list[dict[str, Any]]


def status_message(status: Status, links: dict[int, str], *, offer_stop: bool = True) -> tuple[str, Blocks]:
    """`offer_stop`: show "Stop the phased release" while one runs (not in the App Home: a request is asked for in
    a channel)."""
    gray = status.gray
    gray_line = "none" if gray.status == 0 else plan_line(gray)
    if gray.in_progress:
        gray_line += " (rollbacks are refused until it ends)"
    seen = "none seen yet" if status.watching else "none (the version watch is off)"
    if status.last_change:
        seen = escape(status.last_change) + (f", {when(status.last_change_at)}" if status.last_change_at else "")
    if status.notices_failing:
        seen += f" (notices: {escape(status.notices_failing)}; retried)"
    lines = [
        f"*Online* {_release(status.online)}",
        f"*Trial (experience)* {_release(status.experience)}",
        f"*Phased release* {gray_line}",
        f"*Last change seen* {seen}",
        f"*Open request* {_open_line(status.open_request, links) if status.open_request else 'none'}",
        f"*Last rollback* {_request_line(status.last_rollback, links) if status.last_rollback else 'none'}",
    ]
    name = program_name(status.alias, status.appid)
    blocks = [section(f"*Mini program `{escape(name)}`*"), section("\n".join(lines))]
    if gray.in_progress and offer_stop and status.open_request is None:
        blocks.append(phased_release_block(gray, status.appid, name, with_button=True))
    return f"Status of {name}", blocks


def history_message(name: str, requests: list[RollbackRequest], links: dict[int, str]) -> tuple[str, Blocks]:
    if not requests:
        return f"No rollback requests for {name} yet", [section(f"No rollback requests for `{escape(name)}` yet.")]
    lines = [_request_line(request, links) for request in requests]
    blocks: Blocks = [section(f"*Latest rollback requests for `{escape(name)}`*")]
    blocks.append(section("\n".join(lines)))
    blocks.append(context("Newest first. Each links to its request message, whose thread is the full timeline."))
    return f"Rollback history of {name}", blocks


def _release(release: Release | None) -> str:
    if release is None:
        return "none reported"
    when_text = f", {when(release.time)}" if release.time else ""
    description = f": {escape(truncate(release.description, 120))}" if release.description else ""
    return f"*{escape(release.version)}*{when_text}{description}"


def _open_line(request: RollbackRequest, links: dict[int, str]) -> str:
    """The open request, with its approvals so far and the reminders it has had."""
    line = _request_line(request, links)
    if request.state is not State.PENDING:
        return line
    given = request.approvals
    line += f"; *{len(given)} of {request.approvals_required} approvals*" + (f" ({people(given)})" if given else "")
    if request.paged:
        line += f", paging {pages(request.paged)}"
    if request.reminded_at is not None:
        plural = "s" if request.reminders != 1 else ""
        line += f"; {request.reminders} reminder{plural}, the last {when(request.reminded_at)}"
    else:
        line += "; no reminder yet"
    if request.escalated_to:
        line += f"; escalated to {pages((request.escalated_to,))}"
    return line + f"; expires {when(request.expires_at)}"


def _outcome_word(request: RollbackRequest) -> str:
    """The request's state in a word or two: done only once read back, since WeChat's "ok" alone proves nothing."""
    if request.state is not State.SUCCEEDED:
        return str(request.state)
    if request.verified:
        return "stopped" if request.stops_gray else "rolled back"
    return "accepted, not verified yet" if request.recheck_at is not None else "accepted, not verified"


def _request_line(request: RollbackRequest, links: dict[int, str]) -> str:
    label = f"<{links[request.id]}|#{request.id}>" if request.id in links else f"#{request.id}"
    verb = _outcome_word(request)
    bypass = " (break-glass)" if request.policy_bypass else ""
    change = (
        f"stop the phased release ({escape(request.target.user_desc)})"
        if request.stops_gray
        else f"{escape(request.online_version or '?')} → {escape(request.target.user_version)}"
    )
    return f"{label} {when(request.created_at)} {mention(request.requester_id)}: {change}, *{verb}*{bypass}" + (
        f" by {mention(request.decided_by)}" if request.decided_by else ""
    )
