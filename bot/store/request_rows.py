"""A request's and an event's rows, to and from the workflow's own types (bot/rollback/model.py)."""

from __future__ import annotations

import re

from bot.rollback.model import (
    Event,
    EventKind,
    OutcomeCause,
    RecordedEvent,
    RequestKind,
    RollbackRequest,
    State,
    Target,
)
from bot.rollback.staleness import Staleness
from bot.store.models import EventRow, RequestRow
from bot.wechat.types import GRAY_STATUS_WORDS


def event_row(request: RequestRow, event: Event) -> EventRow:
    """The event's row, not yet added: `append_event` gives it its id and hashes and adds it to the chain."""
    return EventRow(
        request_id=request.id,
        kind=event.kind.value,
        actor_id=event.actor_id,
        at=event.at,
        appid=request.appid,
        app_version=request.target_app_version,
        detail=event.detail,
        errcode=event.errcode,
        errmsg=event.errmsg,
    )


def to_request(row: RequestRow) -> RollbackRequest:
    return RollbackRequest(
        id=row.id,
        appid=row.appid,
        channel_id=row.channel_id,
        message_ts=row.message_ts,
        requester_id=row.requester_id,
        reason=row.reason,
        online_version=row.online_version,
        target=Target(
            app_version=row.target_app_version,
            user_version=row.target_user_version,
            user_desc=row.target_user_desc,
            commit_time=row.target_commit_time,
            **_plan_facts(row),
        ),
        state=State(row.state),
        created_at=row.created_at,
        expires_at=row.expires_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        finished_at=row.finished_at,
        wechat_errcode=row.wechat_errcode,
        wechat_errmsg=row.wechat_errmsg,
        outcome=row.outcome,
        verified=row.verified,
        decision_note=row.decision_note,
        policy_bypass=row.policy_bypass,
        owner=row.owner,
        lease_until=row.lease_until,
        recheck_at=row.recheck_at,
        rechecks=row.rechecks or 0,
        approvals_required=row.approvals_required or 1,
        approvals=tuple((row.approvals or "").split()),
        paged=tuple((row.paged or "").split()),
        reminders=row.reminders or 0,
        reminded_at=row.reminded_at,
        escalated_to=row.escalated_to,
        kind=RequestKind(row.kind or RequestKind.ROLLBACK.value),
        stale=Staleness.from_json(row.stale),
        cause=OutcomeCause.load(row.outcome_cause),
    )


# GrayReleasePlan.summary, as a stop request recorded its plan before revision 0012 kept the facts beside it:
# "running at 5%, started 2026-05-14 09:12 UTC". Read back for those rows only, so they read as before the upgrade.
_SUMMARY = re.compile(r"(?P<status>[a-z]+(?: [a-z]+)*|status (?P<code>-?\d+)) at (?P<percentage>\d+)%, started .+")
_STATUS_CODES = {words: code for code, words in GRAY_STATUS_WORDS.items()}


def _plan_facts(row: RequestRow) -> dict[str, int | None]:
    status, percentage = row.target_plan_status, row.target_plan_percentage
    if status is None and row.kind == RequestKind.STOP_GRAY.value:
        recorded = _SUMMARY.fullmatch(row.target_user_desc)
        if recorded is not None:
            code = recorded["code"]
            status = int(code) if code is not None else _STATUS_CODES.get(recorded["status"])
            percentage = int(recorded["percentage"]) if status is not None else None
    return {"plan_status": status, "plan_percentage": percentage}


def to_recorded(row: EventRow) -> RecordedEvent:
    assert row.request_id is not None, "only a request's own events are read here"
    return RecordedEvent(request_id=row.request_id, appid=row.appid, app_version=row.app_version, event=to_event(row))


def to_event(row: EventRow) -> Event:
    return Event(
        kind=EventKind(row.kind),
        actor_id=row.actor_id,
        at=row.at,
        detail=row.detail,
        errcode=row.errcode,
        errmsg=row.errmsg,
    )
