"""Write docs/messages.md: every message, modal and Home tab the bot sends, built by the real builders.

    python scripts/preview_messages.py           # (re)write docs/messages.md
    python scripts/preview_messages.py --check   # exit 1 if docs/messages.md is out of date

Each preview is built from fixed sample data (ids, users, times) by the functions in bot/slack/messages/, so the
output is deterministic and changes only when a builder does. tests/test_message_previews.py checks that the file
is current and that every public builder function is called here at least once.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import inspect
import itertools
import json
import pkgutil
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from types import CodeType, FrameType, FunctionType
from typing import Any
from urllib.parse import quote

import bot.slack.messages
from bot.i18n import speaking
from bot.rollback.changes import Change, ChangeKind, SeenChange
from bot.rollback.model import (
    Decision,
    Event,
    EventKind,
    Known,
    NotSentCause,
    Refusal,
    RequestKind,
    RequestRefused,
    RollbackRequest,
    State,
    Target,
)
from bot.rollback.outcome import (
    Outcome,
    judge_accepted,
    judge_blocked_by_gray_release,
    judge_not_sent,
    judge_refused,
    judge_still_unconfirmed,
    judge_unanswered,
    judge_verified,
)
from bot.rollback.policy import ApprovalPolicy
from bot.rollback.publishing import PostCause, PostRefused
from bot.rollback.staleness import StaleCause, Staleness
from bot.rollback.workflow import Options, Status
from bot.samples import (
    ALICE,
    APPROVED_AT,
    APPROVER_GROUP,
    BOB,
    CAROL,
    CHANNEL,
    DAVE,
    ESCALATION_GROUP,
    FINISHED_AT,
    NAMES,
    NO_GRAY,
    ONLINE,
    PENDING,
    PROGRAMS,
    REQUESTED_AT,
    REWARDS,
    REWARDS_APPID,
    RUNNING_GRAY,
    SHOP,
    SHOP_APPID,
    SHOP_NAME,
    TRIAL,
    VERSIONS,
    at,
    stamp,
)
from bot.slack.messages.break_glass import break_glass_announcement
from bot.slack.messages.chooser import program_chooser
from bot.slack.messages.decision_modals import RequestRef, break_glass_modal, refused_modal, reject_modal
from bot.slack.messages.forms import form_expired, holding_text, plan_label, posted_notice, program_gone
from bot.slack.messages.help import help_text, unknown_program_text, unknown_text
from bot.slack.messages.home import HomeEntry, home_view
from bot.slack.messages.notices import (
    already_decided,
    already_open_notice,
    database_notice,
    decision_notice,
    direct_message_notice,
    refusal_notice,
    refused_words,
    wrong_channel_notice,
)
from bot.slack.messages.picker import picker_message, version_from_button
from bot.slack.messages.problems import describe_problem
from bot.slack.messages.reason_modal import PendingChoice, reason_modal
from bot.slack.messages.request import request_message
from bot.slack.messages.sandbox_note import sandbox_note
from bot.slack.messages.status import history_message, status_message
from bot.slack.messages.timeline import anchor_line, timeline_lines
from bot.slack.messages.unposted import Repost, unposted_notice
from bot.slack.messages.watch import change_notice
from bot.slack.payloads import BadPayload
from bot.wechat.errors import OutcomeUnknown, TokenUnavailable, Unavailable, WeChatUnavailable, error_for
from bot.wechat.errors import Part as WeChatPart

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "messages.md"
BUILDER_URL = "https://app.slack.com/block-kit-builder/#"

# Modules of bot/slack/messages/ whose public functions are helpers, not messages: not required here.
HELPER_MODULES = frozenset({"bot.slack.messages.format"})

Blocks = list[dict[str, Any]]

# --- sample data: bot/samples.py (shared with the tests and bench/); the states below derive from it

_at, _stamp = at, stamp

APPROVING = replace(PENDING, state=State.APPROVING, decided_by=BOB, decided_at=APPROVED_AT)
EXECUTING = replace(APPROVING, state=State.SENDING)
ACCEPTED = judge_accepted(EXECUTING)
SUCCESS = judge_verified(EXECUTING, "2.4.0")
REFUSED_BY_WECHAT = judge_refused(EXECUTING, error_for(87012, "the version can not be reverted"))
LOST_ANSWER = judge_unanswered(EXECUTING, OutcomeUnknown(Unavailable.SYSTEM_ERROR, -1, "system error"), None)
NOT_SENT = judge_not_sent(EXECUTING, NotSentCause.DATABASE)
BLOCKED = judge_blocked_by_gray_release(EXECUTING)
NO_TOKEN = judge_not_sent(EXECUTING, NotSentCause.WECHAT_UNAVAILABLE, TokenUnavailable(error_for(40164, "invalid ip")))


def _finished(outcome: Outcome, **changes: Any) -> RollbackRequest:
    return replace(
        EXECUTING,
        state=outcome.state,
        finished_at=FINISHED_AT,
        wechat_errcode=outcome.errcode,
        wechat_errmsg=outcome.errmsg,
        outcome=outcome.words,
        verified=outcome.verified,
        cause=outcome.cause,
        **changes,
    )


SUCCEEDED = _finished(SUCCESS)
ACCEPTED_UNVERIFIED = _finished(ACCEPTED)
FAILED = _finished(REFUSED_BY_WECHAT)
UNKNOWN = _finished(LOST_ANSWER)
STILL_UNKNOWN = _finished(judge_still_unconfirmed(UNKNOWN, "2.4.1"))
REJECT_NOTE = "Error rate is already falling since the CDN fix at 09:10; let's watch it ten more minutes first."
REJECTED = replace(
    PENDING,
    state=State.REJECTED,
    decided_by=CAROL,
    decided_at=APPROVED_AT,
    finished_at=APPROVED_AT,
    decision_note=REJECT_NOTE,
)
CANCELLED = replace(PENDING, state=State.CANCELLED, decided_by=ALICE, decided_at=APPROVED_AT, finished_at=APPROVED_AT)
EXPIRED = replace(PENDING, state=State.EXPIRED, finished_at=PENDING.expires_at)
# As the workflow records a stale approval (RollbackWorkflow._check_current).
STALE_NOTE = "the online version changed from 2.4.1 to 2.4.2"
STALE = replace(
    PENDING,
    state=State.CANCELLED,
    finished_at=APPROVED_AT,
    decision_note=STALE_NOTE,
    outcome=f"Withdrawn as stale: {STALE_NOTE} since it was requested. Nothing was changed; request again.",
    stale=Staleness(StaleCause.ONLINE_CHANGED, before="2.4.1", after="2.4.2"),
)
# As the version watch records a pending request a release in the admin console made stale (watch.py).
CONSOLE_RELEASE = SeenChange((Change(ChangeKind.RELEASED, version="2.4.2", before="2.4.1"),))
WATCH_NOTE = "changed outside the bot: released 2.4.2 (online before: 2.4.1)"
JUSTIFICATION = "Payments are down for every iOS user and no approver answers the page; rolling back now."
BREAK_GLASS = replace(
    _finished(SUCCESS, decided_by=ALICE),
    decision_note=JUSTIFICATION,
    policy_bypass=True,
)
BREAK_GLASS_EXECUTING = replace(EXECUTING, decided_by=ALICE, decision_note=JUSTIFICATION, policy_bypass=True)
POLICY = ApprovalPolicy(approvers=frozenset({BOB, CAROL}), approver_group=APPROVER_GROUP, break_glass=True)

# Earlier requests, for status, history and the Home tab (seen while request #42 is pending).
OLDER = [
    replace(
        REJECTED,
        id=37,
        requester_id=DAVE,
        online_version="2.3.7",
        target=Target(398, "2.3.6", "", _stamp(_at(4, 22, 10, 15))),
        created_at=_at(5, 2, 21, 4),
        expires_at=_at(5, 2, 21, 19),
        decided_at=_at(5, 2, 21, 7),
    ),
    replace(
        SUCCEEDED,
        id=31,
        requester_id=BOB,
        online_version="2.3.5",
        target=Target(380, "2.3.4", "", _stamp(_at(4, 8, 9, 0))),
        created_at=_at(4, 16, 14, 40),
        expires_at=_at(4, 16, 14, 55),
        decided_by=CAROL,
    ),
]
HISTORY = [PENDING, *OLDER]
LINKS = {request.id: f"https://example.slack.com/archives/{CHANNEL}/p{request.id}0000000" for request in HISTORY}
PICK_CHOICE = PendingChoice(412, CHANNEL, "https://hooks.slack.com/actions/T05EXAMPLE/6123/abcDEF", SHOP_APPID)
REQUEST_REF = RequestRef(PENDING.id, CHANNEL, "https://hooks.slack.com/actions/T05EXAMPLE/6124/ghiJKL")

EXAMPLE_HEAD = "9f2c4e0b7a1d3f5e8c6b2a4d0e9f7c1b3a5d7e9f0c2b4a6d8e1f3c5b7a9d0e2f4"  # an audit chain hash

# --- previews


@dataclass(frozen=True)
class Preview:
    """One thing the bot sends: a message (text and blocks, or text alone), a view, or a run of thread replies."""

    title: str
    when: str
    text: str = ""
    blocks: Blocks | None = None
    view: dict[str, Any] | None = None
    replies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Part:
    title: str
    previews: tuple[Preview, ...]


def _message(title: str, when: str, built: tuple[str, Blocks]) -> Preview:
    text, blocks = built
    return Preview(title, when, text=text, blocks=blocks)


def _events_of_success() -> list[tuple[Event, RollbackRequest]]:
    return [
        (Event(EventKind.REQUESTED, ALICE, REQUESTED_AT, detail=PENDING.reason), PENDING),
        (
            Event(EventKind.REFUSED, ALICE, REQUESTED_AT + timedelta(minutes=1), detail="approve: self_approval"),
            PENDING,
        ),
        (Event(EventKind.REFUSED, DAVE, REQUESTED_AT + timedelta(minutes=2), detail="approve: not_approver"), PENDING),
        (Event(EventKind.APPROVED, BOB, APPROVED_AT), APPROVING),
        (
            Event(
                EventKind.WECHAT_CALLED,
                None,
                APPROVED_AT,
                detail=f"revertcoderelease app_version={PENDING.target.app_version}",
            ),
            EXECUTING,
        ),
        (_outcome_event(EventKind.EXECUTED, ACCEPTED), ACCEPTED_UNVERIFIED),
        (Event(EventKind.VERIFIED, None, FINISHED_AT, detail=SUCCESS.words), SUCCEEDED),
    ]


def _other_events() -> list[tuple[Event, RollbackRequest]]:
    return [
        (_outcome_event(EventKind.FAILED, REFUSED_BY_WECHAT), FAILED),
        (_outcome_event(EventKind.UNKNOWN, LOST_ANSWER), UNKNOWN),
        (Event(EventKind.UNKNOWN, None, FINISHED_AT, detail=STILL_UNKNOWN.outcome or ""), STILL_UNKNOWN),
        (Event(EventKind.NOT_SENT, None, APPROVED_AT, detail=NOT_SENT.words), _finished(NOT_SENT)),
        (Event(EventKind.NOT_SENT, None, APPROVED_AT, detail=BLOCKED.words), _finished(BLOCKED)),
        (_outcome_event(EventKind.FAILED, NO_TOKEN), _finished(NO_TOKEN)),
        (Event(EventKind.REJECTED, CAROL, APPROVED_AT, detail=REJECT_NOTE), REJECTED),
        (Event(EventKind.CANCELLED, ALICE, APPROVED_AT), CANCELLED),
        (Event(EventKind.EXPIRED, None, PENDING.expires_at, detail="not approved in time"), EXPIRED),
        (Event(EventKind.STALE, BOB, APPROVED_AT, detail=STALE_NOTE), STALE),
        (Event(EventKind.STALE, None, APPROVED_AT, detail=WATCH_NOTE), STALE),
        (Event(EventKind.BREAK_GLASS, ALICE, APPROVED_AT, detail=JUSTIFICATION), BREAK_GLASS_EXECUTING),
    ]


# Two approvals required: Bob's is counted, reminders go out, the third escalates, then Carol's approval rolls back.
TWO_PENDING = replace(PENDING, approvals_required=2, approvals=(BOB,))
REMINDED_AT, ESCALATED_AT = REQUESTED_AT + timedelta(minutes=5), REQUESTED_AT + timedelta(minutes=10)
REMINDED = replace(TWO_PENDING, reminders=1, reminded_at=REMINDED_AT)
ESCALATED = replace(
    TWO_PENDING,
    reminders=2,
    reminded_at=ESCALATED_AT,
    paged=(APPROVER_GROUP, ESCALATION_GROUP),
    escalated_to=ESCALATION_GROUP,
)
SECOND_APPROVAL_AT = ESCALATED_AT + timedelta(minutes=2)
TWO_APPROVED = replace(
    ESCALATED, state=State.SENDING, approvals=(BOB, CAROL), decided_by=CAROL, decided_at=SECOND_APPROVAL_AT
)


def _events_of_two_approvals() -> list[tuple[Event, RollbackRequest]]:
    return [
        (Event(EventKind.REQUESTED, ALICE, REQUESTED_AT, detail=PENDING.reason), PENDING),
        (Event(EventKind.APPROVAL_COUNTED, BOB, REQUESTED_AT + timedelta(minutes=2), detail="1 of 2"), TWO_PENDING),
        (Event(EventKind.REMINDED, None, REMINDED_AT, detail=f"reminder 1: {APPROVER_GROUP}"), REMINDED),
        (
            Event(
                EventKind.ESCALATED,
                None,
                ESCALATED_AT,
                detail=f"reminder 2: {APPROVER_GROUP} {ESCALATION_GROUP}",
            ),
            ESCALATED,
        ),
        (Event(EventKind.REFUSED, DAVE, ESCALATED_AT + timedelta(minutes=1), detail="approve: guest"), ESCALATED),
        (Event(EventKind.APPROVED, CAROL, SECOND_APPROVAL_AT, detail="2 of 2"), TWO_APPROVED),
    ]


def _approvals_part() -> Part:
    return Part(
        "Paging, reminders and more than one approval",
        (
            _message(
                "Waiting for a second approval",
                "The request message once one of two required approvals is in (`APPROVALS_REQUIRED=2`): each "
                "approval is counted and shown; the last one needed rolls back.",
                request_message(TWO_PENDING, program=SHOP_NAME),
            ),
            _message(
                "Reminded and escalated",
                "The request message after the reminders (every `APPROVAL_REMIND_SECONDS`) escalated to "
                "`ESCALATION_USERGROUP_ID` (after `ESCALATE_AFTER_SECONDS`): its headline says how long it has "
                "waited.",
                request_message(ESCALATED, program=SHOP_NAME),
            ),
            _message(
                "Approved by two people",
                "The request message once the second approval claimed the request.",
                request_message(TWO_APPROVED, program=SHOP_NAME),
            ),
            Preview(
                "Thread of a request that needed two approvals",
                "Replies in its thread: the first approval counted, a reminder, the escalation (both page the "
                "approvers again), a guest's refused click and the approval that completed the count.",
                replies=_thread(_events_of_two_approvals()),
            ),
            Preview(
                "Reminders Slack could not take in their time",
                "Thread replies once Slack is back after reminders fell due during an outage: the earlier ones are "
                "only counted in the last; if the request was decided meanwhile, that one pages nobody.",
                replies=tuple(
                    "\n".join(timeline_lines(*_events_of_two_approvals()[3], overtaken=overtaken, folded=1))
                    for overtaken in (False, True)
                ),
            ),
            Preview(
                "Refused at the pick: a request nobody could complete",
                "Only to the requester, when the version is picked (no form opens, nobody is paged): the approvers "
                "besides the requester are fewer than `APPROVALS_REQUIRED` and break-glass is off.",
                replies=(refused_words(_nobody_could_complete()),),
            ),
            Preview(
                "Refused: who may never approve",
                "Only to the clicker, one per line: the same person approving twice, a guest of the workspace "
                "(unless `ALLOW_GUEST_APPROVERS`), a member of another organisation in a Slack Connect channel, a "
                "click when Slack could not say whether the clicker is a guest, and one when Slack could not say who "
                "is in the approver group.",
                replies=(
                    refusal_notice(Refusal.REPEAT_APPROVAL, TWO_PENDING),
                    refusal_notice(Refusal.GUEST, TWO_PENDING),
                    refusal_notice(Refusal.EXTERNAL, TWO_PENDING),
                    refusal_notice(Refusal.UNKNOWN_PERSON, TWO_PENDING),
                    refusal_notice(Refusal.UNKNOWN_MEMBERSHIP, TWO_PENDING),
                ),
            ),
            _message(
                "Status while a request waits",
                "`/miniprogram-rollback status` while a request waits for its approvals: who approved, who is paged, "
                "the reminders and the escalation.",
                status_message(Status(SHOP, SHOP_APPID, ONLINE, TRIAL, NO_GRAY, ESCALATED, OLDER[1]), LINKS),
            ),
        ),
    )


def _outcome_event(kind: EventKind, outcome: Outcome) -> Event:
    return Event(kind, None, FINISHED_AT, detail=outcome.words, errcode=outcome.errcode, errmsg=outcome.errmsg)


def _thread(events: list[tuple[Event, RollbackRequest]]) -> tuple[str, ...]:
    return tuple(line for event, request in events for line in timeline_lines(event, request))


def _notice(title: str, when: str, refusal: Refusal, request: RollbackRequest) -> Preview:
    return Preview(title, when, text=refusal_notice(refusal, request))


def _phased_part(shop_options: Options, shop_status: Status) -> Part:
    """Stopping a phased release, and changes made outside the bot."""
    stop = replace(
        PENDING,
        id=43,
        kind=RequestKind.STOP_GRAY,
        reason="The 2.5.0 phased release crashes the cart for testers; stop it before it reaches more users.",
        target=Target(
            0,
            RUNNING_GRAY.traits,
            RUNNING_GRAY.summary,
            RUNNING_GRAY.created,
            RUNNING_GRAY.status,
            RUNNING_GRAY.percentage,
        ),
    )
    stopped = replace(
        stop,
        state=State.SUCCEEDED,
        decided_by=BOB,
        decided_at=APPROVED_AT,
        finished_at=FINISHED_AT,
        approvals=(BOB,),
        wechat_errcode=0,
        wechat_errmsg="ok",
        verified=True,
        outcome=judge_verified(stop, "stopped").words,
    )
    accepted = judge_accepted(stop)
    events = [
        (Event(EventKind.REQUESTED, ALICE, REQUESTED_AT, detail=stop.reason), stop),
        (Event(EventKind.APPROVED, BOB, APPROVED_AT), stop),
        (Event(EventKind.WECHAT_CALLED, None, APPROVED_AT, detail="revertgrayrelease"), stop),
        (Event(EventKind.EXECUTED, None, FINISHED_AT, detail=accepted.words, errcode=0, errmsg="ok"), stop),
        (Event(EventKind.VERIFIED, None, FINISHED_AT, detail=stopped.outcome or ""), stopped),
    ]
    watched = replace(
        shop_status,
        gray=RUNNING_GRAY,
        open_request=None,
        last_change="a phased release started (running, 20%)",
        last_change_at=_at(5, 14, 8, 41),
        last_seen=SeenChange((Change(ChangeKind.GRAY_STARTED, status=1, percentage=20),)),
    )
    choice = replace(PICK_CHOICE, app_version=RUNNING_GRAY.created, stop_gray=True)
    return Part(
        "Phased releases and changes made outside the bot",
        (
            _message(
                "Version picker during a phased release",
                "The answer to `/miniprogram-rollback` while a phased (gray) release is running or paused: WeChat "
                "would refuse any rollback (87011), so the versions have no buttons and *Stop the phased release* "
                "(behind a confirmation) asks for a request to stop it. Once it is stopped the versions are offered "
                "again.",
                picker_message(replace(shop_options, gray=RUNNING_GRAY)),
            ),
            Preview(
                "Reason modal for a stop",
                "After *Continue* on the stop's confirmation.",
                view=reason_modal(SHOP_NAME, "started 2024-05-14 08:40 UTC", choice),
            ),
            _message(
                "Stop requested, waiting for approval",
                "Posted in the channel: the same approval rules as a rollback (a second person, as many approvals as "
                "required, break-glass where allowed).",
                request_message(stop, program=SHOP_NAME),
            ),
            _message(
                "Phased release stopped (verified)",
                "Once WeChat accepted `revertgrayrelease` and the plan read back shows it stopped.",
                request_message(stopped, program=SHOP_NAME),
            ),
            Preview("Thread of a stop", "One reply per step, as for a rollback.", replies=_thread(events)),
            _message(
                "A change made outside the bot",
                "Posted to `NOTIFY_CHANNEL_ID` / `notify_channel` by the version watch (one replica, once), here a "
                "release from the admin console; *Status* answers the person who presses it alone. A notice Slack "
                "refused is posted later, in the order the changes were seen; its time is when the change was seen.",
                change_notice(SHOP_NAME, SHOP, SHOP_APPID, CONSOLE_RELEASE, _at(5, 14, 10, 2)),
            ),
            _message(
                "Status during a phased release",
                "`/miniprogram-rollback status` while a phased release runs, with the last change the version watch "
                "saw and the stop button.",
                status_message(watched, LINKS),
            ),
        ),
    )


def _shop_options() -> Options:
    return Options(SHOP, SHOP_APPID, ONLINE, VERSIONS, NO_GRAY)


def _shop_status() -> Status:
    return Status(SHOP, SHOP_APPID, ONLINE, TRIAL, NO_GRAY, PENDING, OLDER[1])


def _aliases() -> list[str]:
    return [alias for alias, _ in PROGRAMS]


def asking_section() -> Part:
    """Asking for a rollback: help, the chooser, the picker, the reason form."""
    shop_options = _shop_options()
    aliases = _aliases()
    return Part(
        "Asking for a rollback",
        (
            Preview(
                "Help",
                "`/miniprogram-rollback help`, only to the person who typed it. With one mini program configured "
                "the last paragraph is left out.",
                text=help_text(aliases),
            ),
            _message(
                "Program chooser",
                "`/miniprogram-rollback` (or `status`, `history`) without a program name when several mini programs "
                "are configured, only to the person who typed it; the buttons say *Status* or *History* for those.",
                program_chooser("pick", PROGRAMS),
            ),
            _message(
                "Version picker",
                "The answer to `/miniprogram-rollback` for one mini program (replacing the "
                '"Asking WeChat…" placeholder), only to the person who typed it. Each button asks for confirmation '
                "before the reason is asked for.",
                picker_message(shop_options),
            ),
            _message(
                "Version picker with a request already open",
                "The same, when the mini program already has an open request: only one may be open at a time.",
                picker_message(replace(shop_options, open_request=PENDING), open_request_link=LINKS[PENDING.id]),
            ),
            _message(
                "Version picker with nothing to roll back to",
                "The same, when WeChat lists no earlier version.",
                picker_message(replace(shop_options, versions=[])),
            ),
            Preview(
                "Reason modal",
                "After *Continue* on a version's confirmation: the requester must give a reason.",
                view=reason_modal("shop (wx8f3a2b1c4d5e6f70)", "2.4.0", PICK_CHOICE),
            ),
        ),
    )


def channel_section() -> Part:
    """The request message in the channel, at each step."""
    return Part(
        "The request in the channel",
        (
            _message(
                "Request posted, waiting for approval",
                "Posted in the channel when the reason is submitted; this one message is rewritten at every step.",
                request_message(PENDING, program=SHOP_NAME),
            ),
            _message(
                "Request posted, with break-glass allowed",
                "The same where `BREAK_GLASS_ENABLED` is set: the requester also gets a *Break glass* button.",
                request_message(PENDING, break_glass=True, program=SHOP_NAME),
            ),
            _message(
                "Approved, checking",
                "The request message the moment someone allowed to approve clicks *Approve* and confirms: their "
                "approval is recorded, and WeChat is asked whether the online version changed and whether a phased "
                "release blocks the rollback (both at once).",
                request_message(APPROVING, program=SHOP_NAME),
            ),
            _message(
                "Approved, rolling back",
                "The request message while the rollback is being sent to WeChat.",
                request_message(EXECUTING, program=SHOP_NAME),
            ),
            _message(
                "Rolled back (WeChat accepted)",
                "The request message as soon as WeChat answers errcode 0, before the online version is read back.",
                request_message(ACCEPTED_UNVERIFIED, program=SHOP_NAME),
            ),
            _message(
                "Rolled back (verified)",
                "The request message once WeChat accepted the rollback and the online version read back shows it.",
                request_message(SUCCEEDED, program=SHOP_NAME),
            ),
            _message(
                "Rollback failed",
                "The request message when WeChat refused the rollback (here: 87012, the version cannot be reverted).",
                request_message(FAILED, program=SHOP_NAME),
            ),
            _message(
                "Outcome unknown",
                "The request message when WeChat's answer was lost and the online version could not settle it: "
                "never retried.",
                request_message(UNKNOWN, program=SHOP_NAME),
            ),
            Preview(
                "Reject modal",
                "When an approver clicks *Reject*: the reason is optional.",
                view=reject_modal(PENDING, REQUEST_REF, SHOP_NAME),
            ),
            Preview(
                "A form refused once open",
                "The reject or break-glass form, opened at once (Slack's trigger lasts 3 seconds), becomes this when "
                "the rules, checked meanwhile, refuse the click.",
                view=refused_modal("Reject", refusal_notice(Refusal.NOT_APPROVER, PENDING)),
            ),
            _message(
                "Rejected, with a reason",
                "The request message after an approver rejected it.",
                request_message(REJECTED, program=SHOP_NAME),
            ),
            _message(
                "Cancelled",
                "The request message after the requester clicked *Cancel*.",
                request_message(CANCELLED, program=SHOP_NAME),
            ),
            _message(
                "Expired",
                "The request message once nobody approved it within `APPROVAL_TTL_SECONDS` (rewritten by the "
                "sweeper, or at the next click).",
                request_message(EXPIRED, program=SHOP_NAME),
            ),
            _message(
                "Withdrawn as stale",
                "The request message when an approver clicked *Approve* but the online version had changed since "
                "the request.",
                request_message(STALE, program=SHOP_NAME),
            ),
        ),
    )


def thread_section() -> Part:
    """The request's thread: its timeline."""
    return Part(
        "The thread timeline",
        (
            Preview(
                "Thread of a rollback that succeeded",
                "One reply in the request message's thread per step (each line is its own reply): requested, two "
                "refused clicks, approved, WeChat called, WeChat's answer and its verification. The newest reply "
                "of a finished request ends with the audit chain's head after that step (its last line here).",
                replies=(*_thread(_events_of_success()), anchor_line(EXAMPLE_HEAD)),
            ),
            Preview(
                "Other thread replies",
                "The replies for the other ways a request ends (failed, outcome unknown, rejected, cancelled, "
                "expired, stale) and for a break-glass approval.",
                replies=_thread(_other_events()),
            ),
        ),
    )


def refusals_section() -> Part:
    """What a click the rules refuse is told."""
    return Part(
        "Refusals",
        (
            _notice(
                "Refused: self-approval",
                "Only to the requester, when they click *Approve* on their own request.",
                Refusal.SELF_APPROVAL,
                PENDING,
            ),
            _notice(
                "Refused: not an approver",
                "Only to the clicker, when `APPROVER_USER_IDS` or `APPROVER_USERGROUP_ID` is set and they are not "
                "on it.",
                Refusal.NOT_APPROVER,
                PENDING,
            ),
            Preview(
                "The database stopped answering",
                "Only to the clicker, when the bot's database fails part-way through their click: what is known to "
                "have happened, one per line (nothing recorded; approved but not sent; sent but not recorded).",
                text="\n".join(
                    [
                        decision_notice(Decision(None, Refusal.DATABASE, known=Known.NOTHING_RECORDED)),
                        database_notice(Known.APPROVED_NOT_SENT),
                        database_notice(Known.SENT_UNRECORDED, EXECUTING, ACCEPTED),
                    ]
                ),
            ),
            _notice(
                "Refused: already decided",
                "Only to the clicker, when someone else's click won first (here the request was already approved).",
                Refusal.ALREADY_DECIDED,
                EXECUTING,
            ),
            Preview(
                "Other refusals",
                "The remaining replies to a click that changed nothing, one per line: the requester rejecting, "
                "someone else cancelling, a stale approval, an unreadable online version, break-glass disabled, a "
                "channel not allowed, an expired request, an unknown request, and an already-finished, rejected, "
                "cancelled and expired one.",
                replies=(
                    refusal_notice(Refusal.REQUESTER_REJECT, PENDING),
                    refusal_notice(Refusal.NOT_REQUESTER, PENDING),
                    refusal_notice(Refusal.STALE, STALE),
                    refusal_notice(Refusal.UNVERIFIABLE, PENDING),
                    refusal_notice(Refusal.BREAK_GLASS_DISABLED, PENDING),
                    refusal_notice(Refusal.WRONG_CHANNEL, PENDING),
                    refusal_notice(Refusal.EXPIRED, EXPIRED),
                    refusal_notice(Refusal.UNKNOWN_REQUEST, None),
                    already_decided(SUCCEEDED),
                    already_decided(REJECTED),
                    already_decided(CANCELLED),
                    already_decided(EXPIRED),
                ),
            ),
        ),
    )


def break_glass_section() -> Part:
    """The requester approving alone."""
    return Part(
        "Break glass",
        (
            Preview(
                "Break-glass modal",
                "When the requester clicks *Break glass* and confirms: a written justification is required.",
                view=break_glass_modal(PENDING, REQUEST_REF, SHOP_NAME),
            ),
            Preview(
                "Break-glass announcement",
                "Posted in the channel when the justification is submitted, mentioning the approvers (or `@here` "
                "when anyone may approve).",
                text=break_glass_announcement(BREAK_GLASS_EXECUTING, POLICY, SHOP_NAME),
            ),
            _message(
                "Rolled back by break-glass",
                "The request message after a break-glass rollback: the bypass and its justification stay on it.",
                request_message(BREAK_GLASS, program=SHOP_NAME),
            ),
        ),
    )


def reading_section() -> Part:
    """status, history and the App Home."""
    shop_status = _shop_status()
    return Part(
        "Status, history and App Home",
        (
            _message(
                "Status",
                "`/miniprogram-rollback status`, only to the person who typed it.",
                status_message(shop_status, LINKS),
            ),
            _message(
                "History",
                "`/miniprogram-rollback history`, only to the person who typed it; each request links to its message. "
                "A request WeChat accepted reads *rolled back* (or *stopped*) only once read back; until then "
                "*accepted, not verified yet*.",
                history_message(SHOP_NAME, HISTORY, LINKS),
            ),
            Preview(
                "App Home",
                "The bot's Home tab, drawn afresh whenever someone opens it: one part per mini program (here the "
                "second one's WeChat could not be read).",
                view=home_view(
                    [
                        HomeEntry(SHOP, SHOP_APPID, shop_status, None, HISTORY),
                        HomeEntry(
                            REWARDS,
                            REWARDS_APPID,
                            None,
                            describe_problem(
                                WeChatUnavailable(Unavailable.UNREADABLE, what=WeChatPart.VERSION_LIST), ""
                            ),
                            [],
                        ),
                    ],
                    LINKS,
                ),
            ),
        ),
    )


def other_section() -> Part:
    """Mistakes and problems."""
    aliases = _aliases()
    return Part(
        "Mistakes and problems",
        (
            Preview(
                "Unknown subcommand",
                "`/miniprogram-rollback` followed by words it does not understand, only to the person who typed it.",
                text=unknown_text("undo", aliases),
            ),
            Preview(
                "Unknown mini program",
                "`/miniprogram-rollback` naming a mini program that is not configured.",
                text=unknown_program_text("checkout", aliases),
            ),
            Preview(
                "Channel not allowed",
                "`/miniprogram-rollback` in a channel outside `ALLOWED_CHANNEL_IDS`.",
                text=wrong_channel_notice(frozenset({CHANNEL})),
            ),
            _message(
                "Request not posted",
                "The channel did not take a new request (here: Slack's rate limit, still refusing after a few "
                'tries): it is withdrawn, and "Post again…" brings back the form with the reason typed. Other '
                "causes get their own words: the bot not in the channel, an archived channel, Slack down, no answer.",
                _unposted_preview(),
            ),
            Preview(
                "Asked in a direct message",
                "`/miniprogram-rollback` in a DM or a group DM, where nobody else could approve the request.",
                text=direct_message_notice(),
            ),
            Preview(
                "Problems",
                "Only to the person whose command, click or form failed, one per line: another request opened "
                "meanwhile, WeChat refusing, WeChat unreachable, a button from an old message, and an error on the "
                "bot's side.",
                replies=(
                    already_open_notice(PENDING, LINKS[PENDING.id], SHOP_NAME),
                    describe_problem(error_for(48001, "api unauthorized"), ""),
                    describe_problem(WeChatUnavailable(Unavailable.CONNECT_TIMEOUT, seconds=5), ""),
                    describe_problem(BadPayload("no such action"), ""),
                    describe_problem(RuntimeError("boom"), "3f9c2a1b"),
                ),
            ),
            Preview(
                "Requests and forms the rules did not take",
                "Only to the person who asked, one per line, from the refusal's facts (the workflow raises facts, "
                "never sentences): no reason, a reason too long, a justification too short, a version WeChat no "
                "longer lists, a phased release running, nothing left to stop, another phased release started, a "
                "request opened meanwhile, and a requester of another organisation.",
                replies=(
                    refused_words(RequestRefused(Refusal.NO_REASON)),
                    refused_words(RequestRefused(Refusal.REASON_TOO_LONG, limit=1000)),
                    refused_words(RequestRefused(Refusal.SHORT_JUSTIFICATION, minimum=20)),
                    refused_words(RequestRefused(Refusal.VERSION_GONE, app_version=412)),
                    refused_words(RequestRefused(Refusal.GRAY_BLOCKS)),
                    refused_words(RequestRefused(Refusal.NOTHING_TO_STOP, status=3)),
                    refused_words(RequestRefused(Refusal.GRAY_CHANGED)),
                    refused_words(RequestRefused(Refusal.JUST_OPENED)),
                    refused_words(RequestRefused(Refusal.REQUESTER_EXTERNAL)),
                ),
            ),
            Preview(
                "Sandbox note",
                "In sandbox mode, first in every message, modal and Home tab (and `[Sandbox] ` before every "
                "notification text), added when sending.",
                text=sandbox_note(),
            ),
            Preview(
                "While a command or form is handled",
                "Only to the person who asked: the holding line while WeChat is asked (the picker, then status), "
                "the confirmation once a request is posted, a button or form whose mini program is no longer "
                f"configured, and a form that is no longer valid. A stop's form names the plan {_stop_label()}.",
                replies=(
                    holding_text("pick", SHOP_NAME),
                    holding_text("status", SHOP_NAME),
                    posted_notice(PENDING.id, CHANNEL),
                    program_gone(REWARDS_APPID),
                    program_gone(),
                    form_expired(),
                ),
            ),
        ),
    )


def approvals_section() -> Part:
    """Paging, reminders and more than one approval."""
    return _approvals_part()


def phased_section() -> Part:
    """Phased releases and changes made outside the bot."""
    return _phased_part(_shop_options(), _shop_status())


SECTIONS = (
    asking_section,
    channel_section,
    thread_section,
    refusals_section,
    approvals_section,
    break_glass_section,
    phased_section,
    reading_section,
    other_section,
)


def previews() -> list[Part]:
    """Everything the bot sends, in the order a user meets it: each section built by its own function."""
    return [section() for section in SECTIONS]


def _unposted_preview() -> tuple[str, Blocks]:
    repost = Repost(PENDING.appid, PENDING.target.app_version, CHANNEL, PENDING.target.user_version, PENDING.reason)
    return unposted_notice(PENDING.id, PostRefused(PostCause.RATE_LIMITED, "ratelimited"), repost)


# --- rendering what the reader sees


def readable(mrkdwn: str) -> str:
    """Slack's markup tokens as a reader sees them; the rest of mrkdwn (*bold*, `code`, :emoji:) is kept."""

    def token(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("!date^"):
            return label
        if target.startswith("@"):
            return "@" + (label or NAMES.get(target[1:], target[1:]))
        if target.startswith("#"):
            return "#" + (label or NAMES.get(target[1:], target[1:]))
        if target.startswith("!subteam^"):
            return "@" + (label or NAMES.get(target.removeprefix("!subteam^"), "group"))
        if target.startswith("!"):
            return "@" + (label or target[1:])
        return label or target

    text = re.sub(r"<([^<>]+)>", token, mrkdwn)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text(obj: dict[str, Any]) -> str:
    return readable(str(obj["text"])) if obj.get("type") == "mrkdwn" else str(obj["text"])


def _button(element: dict[str, Any]) -> str:
    return f"[ {_text(element['text'])} ]"


def _confirm(element: dict[str, Any], indent: str, *, named: bool) -> list[str]:
    """The confirmation dialog a button opens before it acts, if it has one."""
    confirm = element.get("confirm")
    if not confirm:
        return []
    asker = f"{_button(element)} first asks" if named else "first asks"
    lines = [f"{indent}{asker}: {_text(confirm['title'])}"]
    lines += [indent + "  " + line for line in _text(confirm["text"]).splitlines()]
    lines.append(f"{indent}  [ {_text(confirm['deny'])} ]  [ {_text(confirm['confirm'])} ]")
    return lines


def render_block(block: dict[str, Any]) -> list[str]:
    kind = block["type"]
    if kind == "header":
        title = _text(block["text"])
        return [title, "=" * len(title)]
    if kind == "divider":
        return ["-" * 40]
    if kind == "context":
        return ["  " + line for element in block["elements"] for line in _text(element).splitlines()]
    if kind == "section":
        lines = _text(block["text"]).splitlines() if "text" in block else []
        for field in block.get("fields", []):
            lines += _text(field).splitlines()
        accessory = block.get("accessory")
        if accessory is not None:
            if accessory["type"] != "button":
                raise ValueError(f"no rendering for a {accessory['type']} accessory")
            lines += ["    " + _button(accessory), *_confirm(accessory, "      ", named=False)]
        return lines
    if kind == "actions":
        lines = ["  ".join(_button(element) for element in block["elements"])]
        for element in block["elements"]:
            lines += _confirm(element, "  ", named=True)
        return lines
    if kind == "input":
        element = block["element"]
        label = _text(block["label"]) + (" (optional)" if block.get("optional") else "")
        hint = _text(element["placeholder"]) if "placeholder" in element else ""
        rows = 3 if element.get("multiline") else 1
        width = max(60, len(hint) + 4)
        box = [f"| {hint}".ljust(width - 1) + "|"] + ["|".ljust(width - 1) + "|"] * (rows - 1)
        return [label, "+" + "-" * (width - 2) + "+", *box, "+" + "-" * (width - 2) + "+"]
    raise ValueError(f"no rendering for a {kind} block: add one to scripts/preview_messages.py")


def render_blocks(blocks: Blocks) -> str:
    return "\n\n".join("\n".join(render_block(block)) for block in blocks)


def render_view(view: dict[str, Any]) -> str:
    body = render_blocks(view["blocks"])
    if view["type"] == "home":
        return body
    title = _text(view["title"])
    buttons = "  ".join(f"[ {_text(view[key])} ]" for key in ("close", "submit") if key in view)
    return f"{title}\n{'=' * len(title)}\n\n{body}\n\n{buttons}"


def builder_payload(preview: Preview) -> dict[str, Any]:
    """What to open in Block Kit Builder: the view, the blocks, or each text as the mrkdwn section it reads as."""
    if preview.view is not None:
        return preview.view
    if preview.blocks is not None:
        return {"blocks": preview.blocks}
    texts = preview.replies or (preview.text,)
    return {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}} for text in texts]}


def builder_link(payload: dict[str, Any]) -> str:
    return BUILDER_URL + quote(json.dumps(payload, ensure_ascii=False, separators=(",", ":")), safe="")


def _fenced(text: str) -> str:
    fence = "````" if "```" in text else "```"
    return f"{fence}text\n{text}\n{fence}"


def _inline_code(text: str) -> str:
    ticks = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _anchor(title: str) -> str:
    # GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens.
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def shown(preview: Preview) -> str:
    """What a reader sees of a preview, as plain text."""
    if preview.view is not None:
        return render_view(preview.view)
    if preview.blocks is not None:
        return render_blocks(preview.blocks)
    if preview.replies:
        return "\n".join(readable(reply) for reply in preview.replies)
    return readable(preview.text)


def render_preview(preview: Preview, chinese: Preview | None = None) -> str:
    """The preview in English, and the same built in Simplified Chinese (`BOT_LANGUAGE=zh`) below it."""
    parts = [f"### {preview.title}", preview.when, _fenced(shown(preview))]
    if preview.blocks is not None:
        parts.append(f"Notification text: {_inline_code(preview.text)}")
    kind = "text-only, shown as mrkdwn sections" if preview.view is None and preview.blocks is None else ""
    parts.append(
        f"[Open in Block Kit Builder]({builder_link(builder_payload(preview))})" + (f" ({kind})" if kind else "")
    )
    if chinese is not None:
        parts += ["简体中文 (`BOT_LANGUAGE=zh`):", _fenced(shown(chinese))]
        if chinese.blocks is not None:
            parts.append(f"通知文本 (notification text): {_inline_code(chinese.text)}")
    return "\n\n".join(parts)


INTRO = """\
# What the bot sends in Slack

Every message, modal and Home tab the bot sends, in the order people meet them. Generated by
`python scripts/preview_messages.py` from the builders in `bot/slack/messages/` with fixed sample data: do not edit
by hand. `python scripts/preview_messages.py --check` and `tests/test_message_previews.py` fail when it is out of date.
Each preview is shown in English, then as the bot says it with `BOT_LANGUAGE=zh` (简体中文); see the README's
Languages section. What the workflow recorded in words (a rollback's outcome) is shown to an English reader as
recorded, and to a Chinese reader from the request's facts.

How to read the previews: mrkdwn is kept as written (`*bold*`, `_italic_`, `` `code` ``, `:emoji:`, `>` quotes);
buttons are shown as `[ Label ]`, with the confirmation some of them ask for indented below; context lines (Slack's
small grey text) are indented; dates show their fallback text in UTC, where Slack shows each reader their own time
zone; links show their text, and people, groups and channels their names. Each *Open in Block Kit Builder* link
opens the exact JSON the bot sends; a text-only message or thread reply opens as a mrkdwn section, which is how Slack
shows it. In sandbox mode everything also carries a sandbox note, added when sending and not shown here.

The sample: mini programs `shop` (`wx8f3a2b1c4d5e6f70`) and `rewards`; @alice asks to roll `shop` back from 2.4.1 to
2.4.0 in #incidents; @bob and @carol are the approvers (@dave is not one).
"""


def render() -> str:
    with speaking("en"):
        parts = previews()
    with speaking("zh"):
        chinese = previews()
    contents = [
        f"- [{part.title}](#{_anchor(part.title)}): "
        + ", ".join(f"[{preview.title}](#{_anchor(preview.title)})" for preview in part.previews)
        for part in parts
    ]
    sections = [INTRO, "## Contents\n\n" + "\n".join(contents)]
    for part, in_chinese in zip(parts, chinese, strict=True):
        sections.append(f"## {part.title}")
        sections += [
            render_preview(preview, translated)
            for preview, translated in zip(part.previews, in_chinese.previews, strict=True)
        ]
    return "\n\n".join(sections) + "\n"


# --- which builders the previews exercise


def builder_functions() -> dict[str, FunctionType]:
    """Every public function defined in a module of bot/slack/messages/ (helper modules aside), by full name."""
    found: dict[str, FunctionType] = {}
    for info in pkgutil.iter_modules(bot.slack.messages.__path__, prefix="bot.slack.messages."):
        if info.name in HELPER_MODULES:
            continue
        module = importlib.import_module(info.name)
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("_") and function.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = function
    return found


def exercised_builders(build: Callable[[], object] = render) -> set[str]:
    """The builder functions (see builder_functions) that `build` calls, directly or not."""
    wanted: dict[CodeType, str] = {function.__code__: name for name, function in builder_functions().items()}
    called: set[str] = set()

    def profile(frame: FrameType, event: str, _arg: object) -> None:
        if event == "call" and frame.f_code in wanted:
            called.add(wanted[frame.f_code])

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        build()
    finally:
        sys.setprofile(previous)
    return called


def _by_heading(document: str) -> dict[str, str]:
    """The document's parts keyed by their heading ("" for what comes before the first one)."""
    parts: dict[str, str] = {}
    heading, lines, fenced = "", list[str](), False
    for line in [*document.splitlines(), "## (end)"]:
        fenced ^= line.startswith("```")
        if not fenced and re.match(r"#+ ", line):
            parts[heading] = "\n".join(lines)
            heading, lines = line.lstrip("# "), []
        else:
            lines.append(line)
    return parts


def stale_parts(expected: str, actual: str) -> list[str]:
    """The headings whose previews differ between the two documents, in the generated document's order."""
    old, new = _by_heading(actual), _by_heading(expected)
    changed = [heading or "(introduction)" for heading, text in new.items() if old.get(heading) != text]
    return changed + [f"{heading} (no longer generated)" for heading in old if heading not in new]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write docs/messages.md: a preview of every message the bot sends.")
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/messages.md is out of date")
    args = parser.parse_args(argv)
    expected = render()
    if args.check:
        actual = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if actual == expected:
            print("docs/messages.md is up to date")
            return 0
        print("docs/messages.md is out of date. Differing: " + "; ".join(stale_parts(expected, actual)))
        diff = difflib.unified_diff(
            actual.splitlines(), expected.splitlines(), "docs/messages.md", "generated", lineterm="", n=0
        )
        for line in itertools.islice(diff, 60):
            print(line if len(line) <= 200 else line[:200] + "…")
        print("Run `python scripts/preview_messages.py` and commit docs/messages.md.")
        return 1
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(expected, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


def _stop_label() -> str:
    """The label a stop's form shows, and the version name read back from a version button in each language."""
    label = plan_label(RUNNING_GRAY.created)
    button = picker_message(Options(SHOP, SHOP_APPID, ONLINE, VERSIONS, NO_GRAY))[1][-1]["accessory"]["text"]["text"]
    return f"({label}; a version button reads back as {version_from_button(button)})"


def _nobody_could_complete() -> RequestRefused:
    refused = ApprovalPolicy(approvers=frozenset({ALICE, BOB}), approvals_required=2).why_no_one_could_approve(ALICE)
    assert refused is not None
    return refused


if __name__ == "__main__":
    sys.exit(main())
