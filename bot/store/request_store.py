"""Queries for rollback requests. State changes are compare-and-set updates, each with its event."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.rollback.model import (
    Event,
    EventKind,
    NewRequest,
    RecordedEvent,
    RollbackRequest,
    State,
    Target,
)
from bot.store.audit import append_event
from bot.store.models import EventRow, RequestRow


class OpenRequestExists(Exception):
    """The database refused a second open request for the same mini program."""


class RequestStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def create(self, new: NewRequest, event: Event) -> RollbackRequest:
        try:
            return self._create(new, event)
        except IntegrityError:
            if self.open_request(new.appid) is None:
                raise  # not the one-open-request index: a real fault, not a refusal
            raise OpenRequestExists(new.appid) from None

    def _create(self, new: NewRequest, event: Event) -> RollbackRequest:
        with self._sessions.begin() as session:
            row = RequestRow(
                appid=new.appid,
                channel_id=new.channel_id,
                requester_id=new.requester_id,
                reason=new.reason,
                online_version=new.online_version,
                target_app_version=new.target.app_version,
                target_user_version=new.target.user_version,
                target_user_desc=new.target.user_desc,
                target_commit_time=new.target.commit_time,
                state=State.PENDING.value,
                created_at=new.created_at,
                expires_at=new.expires_at,
            )
            session.add(row)
            session.flush()
            append_event(session, _event_row(row, event))
            return _to_request(row)

    def get(self, request_id: int) -> RollbackRequest | None:
        with self._sessions() as session:
            row = session.get(RequestRow, request_id)
            return None if row is None else _to_request(row)

    def open_request(self, appid: str) -> RollbackRequest | None:
        with self._sessions() as session:
            row = session.scalars(
                select(RequestRow).where(
                    RequestRow.appid == appid, RequestRow.state.in_([State.PENDING.value, State.EXECUTING.value])
                )
            ).first()
            return None if row is None else _to_request(row)

    def recent(self, appid: str, limit: int, states: tuple[State, ...] = ()) -> list[RollbackRequest]:
        """The newest requests first; with `states`, only those in them."""
        query = select(RequestRow).where(RequestRow.appid == appid)
        if states:
            query = query.where(RequestRow.state.in_([state.value for state in states]))
        with self._sessions() as session:
            rows = session.scalars(query.order_by(RequestRow.id.desc()).limit(limit))
            return [_to_request(row) for row in rows]

    def due_for_expiry(self, appid: str, now: datetime) -> list[int]:
        return self._due(now, RequestRow.appid == appid)

    def due_for_expiry_elsewhere(self, appids: Collection[str], now: datetime) -> list[int]:
        """Pending past their deadline, of mini programs other than these (no longer configured, say)."""
        return self._due(now, RequestRow.appid.not_in(list(appids)))

    def _due(self, now: datetime, which: ColumnElement[bool]) -> list[int]:
        with self._sessions() as session:
            due = select(RequestRow.id).where(
                which, RequestRow.state == State.PENDING.value, RequestRow.expires_at <= now
            )
            return list(session.scalars(due))

    def stuck_executing(self, appid: str, decided_before: datetime) -> list[int]:
        """Requests approved before `decided_before` and still executing: their process stopped mid-way."""
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(RequestRow.id).where(
                        RequestRow.appid == appid,
                        RequestRow.state == State.EXECUTING.value,
                        RequestRow.decided_at < decided_before,
                    )
                )
            )

    def attach_message(self, request_id: int, channel_id: str, message_ts: str) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(RequestRow)
                .where(RequestRow.id == request_id)
                .values(channel_id=channel_id, message_ts=message_ts)
            )

    def transition(
        self,
        request_id: int,
        expected: State,
        new: State,
        event: Event,
        *,
        unexpired_at: datetime | None = None,
        **fields: Any,
    ) -> bool:
        """Move the request from `expected` to `new` and record `event`, or do nothing and return False.

        The WHERE clause is the compare-and-set: of any number of concurrent callers, across threads and
        processes, exactly one sees its update match a row.
        """
        statement = (
            update(RequestRow)
            .where(RequestRow.id == request_id, RequestRow.state == expected.value)
            .values(state=new.value, **fields)
        )
        if unexpired_at is not None:
            statement = statement.where(RequestRow.expires_at > unexpired_at)
        with self._sessions.begin() as session:
            result = session.execute(statement)
            assert isinstance(result, CursorResult)
            if result.rowcount != 1:
                return False
            row = session.get_one(RequestRow, request_id)
            append_event(session, _event_row(row, event))
            return True

    def record(self, request_id: int, event: Event) -> None:
        with self._sessions.begin() as session:
            row = session.get_one(RequestRow, request_id)
            append_event(session, _event_row(row, event))

    def events(self, request_id: int) -> list[RecordedEvent]:
        with self._sessions() as session:
            rows = session.scalars(
                select(EventRow).where(EventRow.request_id == request_id).order_by(EventRow.id)
            )
            return [_to_recorded(row) for row in rows]


def _event_row(request: RequestRow, event: Event) -> EventRow:
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


def _to_request(row: RequestRow) -> RollbackRequest:
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
    )


def _to_recorded(row: EventRow) -> RecordedEvent:
    return RecordedEvent(
        request_id=row.request_id,
        appid=row.appid,
        app_version=row.app_version,
        event=Event(
            kind=EventKind(row.kind),
            actor_id=row.actor_id,
            at=row.at,
            detail=row.detail,
            errcode=row.errcode,
            errmsg=row.errmsg,
        ),
    )
