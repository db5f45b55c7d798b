"""The rollback request, its states and the events recorded for it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.rollback.verdict import Outcome

from bot.rollback.staleness import Staleness
from bot.wechat.types import GrayReleasePlan


class State(StrEnum):
    """pending -> approving (claimed by one approver, nothing sent) -> sending (the claimer may send) -> an outcome.

    `succeeded` with `verified` False and `unknown` are amended by later reads of the online version
    (`recheck_at`); every other outcome is final.
    """

    PENDING = "pending"
    APPROVING = "approving"
    SENDING = "sending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"  # the rollback may have been sent and its effect could not be established
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def is_final(self) -> bool:
        return self not in OPEN_STATES


OPEN_STATES = (State.PENDING, State.APPROVING, State.SENDING)


class RequestKind(StrEnum):
    """What a request asks WeChat for, on the same state machine and under the same approval rules."""

    ROLLBACK = "rollback"  # revertcoderelease to the target version
    STOP_GRAY = "stop_gray"  # revertgrayrelease: stop the running or paused phased release (the target names it)


class EventKind(StrEnum):
    REQUESTED = "requested"
    REFUSED = "refused"  # an approve/reject/cancel attempt the rules did not allow
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    STALE = "stale"  # the online version changed since the request: withdrawn
    BREAK_GLASS = "break_glass"  # the requester approved their own request with a justification
    WECHAT_CALLED = "wechat_called"  # recorded with the move to `sending`, before the rollback request goes out
    NOT_SENT = "not_sent"  # the approver's process gave up before sending (lease lost, database gone)
    EXECUTED = "executed"
    FAILED = "failed"
    UNKNOWN = "unknown"
    VERIFIED = "verified"  # a later read of the online version settled or confirmed the outcome
    APPROVAL_COUNTED = "approval_counted"  # one approval of several required; the last one is APPROVED
    REMINDED = "reminded"  # nobody decided yet: the approvers paged again in the thread (detail: who)
    ESCALATED = "escalated"  # a reminder that also paged the escalation group
    CHANGED_OUTSIDE = "changed_outside"  # the version watch saw a change the bot did not make (no request)


@dataclass(frozen=True)
class Target:
    """The version to roll back to, as WeChat listed it. For stopping a phased release, the plan as shown to the
    requester: `commit_time` is its create_timestamp (which tells one plan from the next), `user_desc` its state in
    words (English, as it was shown), `app_version` 0, `user_version` its traits (GrayReleasePlan.traits: what tells
    it from the next when WeChat gives no create_timestamp; empty on requests recorded before they were kept), and
    its status and percentage as facts (for a stop recorded before revision 0012, read back from its words by
    bot.store.request_rows; None when they are of another form)."""

    app_version: int
    user_version: str
    user_desc: str
    commit_time: int
    plan_status: int | None = None
    plan_percentage: int | None = None


class NotSentCause(StrEnum):
    """Why a request ended without being sent, or why its outcome is not known: recorded with the outcome, worded
    for each reader by bot/slack/messages/outcome.py."""

    GRAY_RELEASE = "gray_release"  # a phased release runs, and WeChat refuses a rollback while it does (87011)
    LEASE_RAN_OUT = "lease_ran_out"  # the approval took longer than the approving replica's lease
    DATABASE = "database"  # the database stopped answering before the request went out
    ABANDONED = "abandoned"  # taken over: the replica that took the approval did not send it within its lease
    WECHAT_UNAVAILABLE = "wechat_unavailable"  # no token, no host reachable (facts: WeChatUnavailable.record())
    # Outcomes left unknown (the request may have reached WeChat):
    ANSWER_UNRECORDED = "answer_unrecorded"  # the sending replica did not record WeChat's answer within its lease
    NOT_SHOWN = "not_shown"  # WeChat accepted, yet the online version never showed it (facts: minutes, online)


Fact = int | float | str


@dataclass(frozen=True)
class OutcomeCause:
    """What the outcome's words say beyond WeChat's errcode: the cause and its data, as facts."""

    cause: NotSentCause
    facts: tuple[tuple[str, Fact], ...] = ()

    def stored(self) -> str:
        return json.dumps({**dict(self.facts), "cause": self.cause.value}, sort_keys=True, ensure_ascii=True)

    @classmethod
    def load(cls, stored: str | None) -> OutcomeCause | None:
        """None for rows recorded before causes were kept, or a cause this bot does not know."""
        try:
            facts = json.loads(stored) if stored else None
            if not isinstance(facts, dict):
                return None
            cause = NotSentCause(facts.pop("cause", None))
        except ValueError:
            return None
        return cls(cause, tuple(sorted((str(k), v) for k, v in facts.items() if isinstance(v, int | float | str))))


@dataclass(frozen=True)
class NewRequest:
    appid: str
    channel_id: str
    requester_id: str
    reason: str
    online_version: str | None
    target: Target
    created_at: datetime
    expires_at: datetime
    approvals_required: int = 1
    paged: tuple[str, ...] = ()  # who the request pages: user IDs, user group IDs (S...), "here" or "channel"
    kind: RequestKind = RequestKind.ROLLBACK


@dataclass(frozen=True)
class RollbackRequest:
    id: int
    appid: str
    channel_id: str
    message_ts: str | None
    requester_id: str
    reason: str
    online_version: str | None
    target: Target
    state: State
    created_at: datetime
    expires_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    finished_at: datetime | None
    wechat_errcode: int | None
    wechat_errmsg: str | None
    outcome: str | None  # the result in words, for the channel
    verified: bool | None  # whether the online version was read back after the rollback
    decision_note: str | None = None  # a reject reason, a break-glass justification, why it went stale
    policy_bypass: bool = False  # approved by the requester through break-glass
    owner: str | None = None  # the process that claimed the approval and alone may send the rollback
    lease_until: datetime | None = None  # the owner's claim holds until then
    recheck_at: datetime | None = None  # when the online version is next read to settle the outcome
    rechecks: int = 0  # reads of the online version made after the rollback so far
    approvals_required: int = 1  # distinct approvers needed, bound to the request when it was made
    approvals: tuple[str, ...] = ()  # who approved so far, in order; the last approval (decided_by) included
    paged: tuple[str, ...] = ()  # who the request pages (see NewRequest), the escalation group once escalated
    reminders: int = 0  # reminders posted in its thread so far
    reminded_at: datetime | None = None  # the latest reminder
    escalated_to: str | None = None  # the user group the reminders escalated to
    kind: RequestKind = RequestKind.ROLLBACK
    stale: Staleness | None = None  # why it was withdrawn as stale (None: it was not, or recorded before kept)
    cause: OutcomeCause | None = None  # why it was not sent, for an outcome that says so (None before 0011)

    @property
    def stops_gray(self) -> bool:
        return self.kind is RequestKind.STOP_GRAY

    @property
    def awaited(self) -> tuple[str, ...]:
        """Who it still pages: those it paged who have not approved it yet (two-person rules: one may have)."""
        return tuple(who for who in self.paged if who not in self.approvals)

    @property
    def plan(self) -> GrayReleasePlan | None:
        """For a stop, the plan as the requester saw it: its status, percentage and start; None for a rollback, or
        a stop whose plan is known only in words (bot.store.request_rows reads back the bot's own summary for rows
        from before revision 0012)."""
        target = self.target
        if not self.stops_gray or target.plan_status is None or target.plan_percentage is None:
            return None
        return GrayReleasePlan(target.plan_status, target.plan_percentage, target.commit_time)


@dataclass(frozen=True)
class Person:
    """Who clicked, as the workspace knows them: guests and people of another organisation never approve."""

    user_id: str
    guest: bool  # a single- or multi-channel guest of this workspace
    external: bool  # of another organisation (a Slack Connect channel's members)


@dataclass(frozen=True)
class Event:
    kind: EventKind
    actor_id: str | None
    at: datetime
    detail: str = ""
    errcode: int | None = None
    errmsg: str | None = None


@dataclass(frozen=True)
class RecordedEvent:
    request_id: int
    appid: str
    app_version: int
    event: Event


class Refusal(StrEnum):
    """Why a click changed nothing; the Slack layer turns each into words for the person who clicked."""

    UNKNOWN_REQUEST = "unknown_request"
    SELF_APPROVAL = "self_approval"
    NOT_APPROVER = "not_approver"
    REQUESTER_REJECT = "requester_reject"
    NOT_REQUESTER = "not_requester"
    EXPIRED = "expired"
    ALREADY_DECIDED = "already_decided"
    STALE = "stale"
    UNVERIFIABLE = "unverifiable"  # the online version could not be read to check the request is current
    DATABASE = "database"  # the database did not answer: see the decision's `known` for what happened
    WRONG_CHANNEL = "wrong_channel"
    BREAK_GLASS_DISABLED = "break_glass_disabled"
    REPEAT_APPROVAL = "repeat_approval"  # the same person's second approval: it does not count twice
    GUEST = "guest"  # a guest of the workspace, where guests may not approve
    EXTERNAL = "external"  # of another organisation, in a Slack Connect channel
    UNKNOWN_PERSON = "unknown_person"  # Slack could not say whether the person is a guest: refused, to be safe
    UNKNOWN_MEMBERSHIP = "unknown_membership"  # Slack could not say who is in the approver group: refused
    # Why a request or a decision's form could not be taken (RequestRefused, with its facts).
    NO_REASON = "no_reason"
    REASON_TOO_LONG = "reason_too_long"  # facts: limit
    SHORT_JUSTIFICATION = "short_justification"  # facts: minimum
    VERSION_GONE = "version_gone"  # facts: app_version, no longer listed by WeChat
    GRAY_BLOCKS = "gray_blocks"  # a phased release runs: WeChat refuses rollbacks (87011)
    NOTHING_TO_STOP = "nothing_to_stop"  # facts: status, the plan's status code now
    GRAY_CHANGED = "gray_changed"  # another phased release started since the list was shown
    ALREADY_OPEN = "already_open"  # see workflow.AlreadyOpen, which carries the open request
    JUST_OPENED = "just_opened"  # another request was opened between the check and the insert
    REQUESTER_EXTERNAL = "requester_external"  # of another organisation: never requests
    NO_ONE_COULD_APPROVE = "no_one_could_approve"  # facts: required, others (approvers besides the requester)


def program_name(alias: str, appid: str) -> str:
    """How people know a mini program: its alias, with the appid when the two differ."""
    return appid if alias == appid else f"{alias} ({appid})"


MAX_REASON_LENGTH = 1000
MIN_JUSTIFICATION_LENGTH = 20


class RequestRefused(Exception):
    """Input that cannot become a request or a decision: the rule (`refusal`) and the facts that word it for the
    person who sent it (bot.slack.messages.notices.refused_words); never a sentence."""

    def __init__(self, refusal: Refusal, **facts: int | str) -> None:
        super().__init__(refusal, facts)
        self.refusal = refusal
        self.facts = facts

    def __str__(self) -> str:  # for the logs
        return self.refusal.value + "".join(f" {name}={value}" for name, value in sorted(self.facts.items()))


class OpenRequestExists(Exception):
    """The database refused a second open request for the same mini program."""


class StoreUnavailable(Exception):
    """The database did not answer (refused, timed out, lost the connection): what was asked may or may not
    have been written."""


class Known(StrEnum):
    """What a click that met a database failure knows happened, for the person who clicked."""

    NOTHING_RECORDED = "nothing_recorded"  # the approval may not be recorded; nothing was sent
    APPROVED_NOT_SENT = "approved_not_sent"  # the approval is recorded; the rollback was not sent
    SENT_UNRECORDED = "sent_unrecorded"  # WeChat was asked; its answer could not be recorded yet


@dataclass(frozen=True)
class Decision:
    """What a click did: the request as it now stands, and whether the channel message must be rewritten."""

    request: RollbackRequest | None
    refusal: Refusal | None = None
    message_changed: bool = False
    events: tuple[Event, ...] = ()  # the steps this click recorded, in order, for the request's thread
    known: Known | None = None  # with Refusal.DATABASE: how far the click got
    wechat_answer: Outcome | None = None  # with Known.SENT_UNRECORDED: WeChat's answer, as judged
