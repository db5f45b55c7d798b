"""`status` and `history`: what is online now, and what the bot has done."""

from __future__ import annotations

from typing import Any

from bot.i18n import _, ngettext
from bot.rollback.model import RollbackRequest, State, program_name
from bot.rollback.workflow import Status
from bot.slack.messages.format import context, escape, mention, pages, people, section, truncate, when
from bot.slack.messages.gray import phased_release_block, plan_line
from bot.slack.messages.kinds import plan_summary
from bot.slack.messages.notices import state_words
from bot.slack.messages.watch import seen_words
from bot.wechat.types import Release

Blocks = list[dict[str, Any]]


def status_message(status: Status, links: dict[int, str], *, offer_stop: bool = True) -> tuple[str, Blocks]:
    """`offer_stop`: show "Stop the phased release" while one runs (not in the App Home: a request is asked for in
    a channel)."""
    gray = status.gray
    gray_line = _("none") if gray.status == 0 else plan_line(gray)
    if gray.in_progress:
        gray_line = _("{plan} (rollbacks are refused until it ends)").format(plan=gray_line)
    seen = _("none seen yet") if status.watching else _("none (the version watch is off)")
    change = status.last_seen or status.last_change  # recorded before the facts were kept: its English words
    if change and status.last_change_at:
        seen = _("{change}, {seen}").format(change=seen_words(change), seen=when(status.last_change_at))
    elif change:
        seen = seen_words(change)
    if status.notices_refused:
        seen = ngettext(
            "{change} (notices: {count} not posted in the notify channel yet ({why}); retried)",
            "{change} (notices: {count} not posted in the notify channel yet ({why}); retried)",
            status.notices_waiting,
        ).format(change=seen, count=status.notices_waiting, why=escape(status.notices_refused))
    open_line = _open_line(status.open_request, links) if status.open_request else _("none")
    last_line = _request_line(status.last_rollback, links) if status.last_rollback else _("none")
    lines = [
        _("*Online* {release}").format(release=_release(status.online)),
        _("*Trial (experience)* {release}").format(release=_release(status.experience)),
        _("*Phased release* {plan}").format(plan=gray_line),
        _("*Last change seen* {change}").format(change=seen),
        _("*Open request* {request}").format(request=open_line),
        _("*Last rollback* {request}").format(request=last_line),
    ]
    name = program_name(status.alias, status.appid)
    blocks = [section(_("*Mini program `{program}`*").format(program=escape(name))), section("\n".join(lines))]
    if gray.in_progress and offer_stop and status.open_request is None:
        blocks.append(phased_release_block(gray, status.appid, name, with_button=True))
    return _("Status of {program}").format(program=name), blocks


def history_message(name: str, requests: list[RollbackRequest], links: dict[int, str]) -> tuple[str, Blocks]:
    if not requests:
        none = _("No rollback requests for {program} yet").format(program=name)
        return none, [section(_("No rollback requests for `{program}` yet.").format(program=escape(name)))]
    lines = [_request_line(request, links) for request in requests]
    blocks: Blocks = [section(_("*Latest rollback requests for `{program}`*").format(program=escape(name)))]
    blocks.append(section("\n".join(lines)))
    blocks.append(context(_("Newest first. Each links to its request message, whose thread is the full timeline.")))
    return _("Rollback history of {program}").format(program=name), blocks


def _release(release: Release | None) -> str:
    if release is None:
        return _("none reported")
    when_text = f", {when(release.time)}" if release.time else ""
    description = f": {escape(truncate(release.description, 120))}" if release.description else ""
    return f"*{escape(release.version)}*{when_text}{description}"


def _open_line(request: RollbackRequest, links: dict[int, str]) -> str:
    """The open request, with its approvals so far and the reminders it has had."""
    line = _request_line(request, links)
    if request.state is not State.PENDING:
        return line
    given = request.approvals
    parts = [line, _("*{given} of {required} approvals*").format(given=len(given), required=request.approvals_required)]
    if given:
        parts[-1] += f" ({people(given)})"
    if request.paged:
        parts[-1] += _(", paging {paged}").format(paged=pages(request.paged))
    if request.reminded_at is not None:
        parts.append(
            ngettext(
                "{count} reminder, the last {last}", "{count} reminders, the last {last}", request.reminders
            ).format(count=request.reminders, last=when(request.reminded_at))
        )
    else:
        parts.append(_("no reminder yet"))
    if request.escalated_to:
        parts.append(_("escalated to {group}").format(group=pages((request.escalated_to,))))
    parts.append(_("expires {expires}").format(expires=when(request.expires_at)))
    return _("; ").join(parts)


def _outcome_word(request: RollbackRequest) -> str:
    """The request's state in a word or two: done only once read back, since WeChat's "ok" alone proves nothing."""
    if request.state is not State.SUCCEEDED:
        return state_words(request.state)
    if request.verified:
        return _("stopped") if request.stops_gray else _("rolled back")
    return _("accepted, not verified yet") if request.recheck_at is not None else _("accepted, not verified")


def _request_line(request: RollbackRequest, links: dict[int, str]) -> str:
    label = f"<{links[request.id]}|#{request.id}>" if request.id in links else f"#{request.id}"
    verb = _outcome_word(request)
    if request.policy_bypass:
        verb = _("{state} (break-glass)").format(state=verb)
    if request.stops_gray:
        change = _("stop the phased release ({plan})").format(plan=plan_summary(request))
    else:
        change = f"{escape(request.online_version or '?')} → {escape(request.target.user_version)}"
    facts = {
        "request": label,
        "created": when(request.created_at),
        "requester": mention(request.requester_id),
        "change": change,
        "state": verb,
    }
    if request.decided_by:
        return _("{request} {created} {requester}: {change}, *{state}* by {decider}").format(
            decider=mention(request.decided_by), **facts
        )
    return _("{request} {created} {requester}: {change}, *{state}*").format(**facts)
