"""Queries for rollback requests. State changes are compare-and-set updates, each with its event, returning the
row they wrote (`UPDATE … RETURNING`), so nobody re-reads what was just written."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from bot.rollback.model import (
    OPEN_STATES,
    Event,
    NewRequest,
    OpenRequestExists,
    RecordedEvent,
    RollbackRequest,
    State,
    StoreUnavailable,
)
from bot.store.audit import append_event
from bot.store.models import EventRow, RequestRow
from bot.store.request_audit import AUDITED_FIELDS
from bot.store.request_rows import event_row, to_recorded, to_request

log = logging.getLogger(__name__)


@contextmanager
def database_unit(sessions: sessionmaker[Session], write: bool = False) -> Iterator[Session]:
    """One short unit of work; a database that fails to answer becomes StoreUnavailable."""
    try:
        with sessions.begin() if write else sessions() as session:
            yield session
    except IntegrityError:
        raise
    except DBAPIError as error:
        log.warning("the database failed: %s", type(error.orig).__name__ if error.orig else type(error).__name__)
        raise StoreUnavailable(type(error.orig or error).__name__) from error
    except PoolTimeout as error:  # every pooled connection busy for the whole timeout: as good as down
        log.warning("no database connection became free in time")
        raise StoreUnavailable("no database connection became free in time") from error


Observer = Callable[[tuple[State, ...], RollbackRequest], None]


class RequestStore:
    def __init__(self, sessions: sessionmaker[Session], observe: Observer | None = None) -> None:
        """`observe`: told of each state change once it is committed (the operator's metrics)."""
        self._sessions = sessions
        self._observe = observe

    def _unit(self, write: bool = False) -> AbstractContextManager[Session]:
        return database_unit(self._sessions, write)

    def create(self, new: NewRequest, event: Event) -> RollbackRequest:
        try:
            return self._create(new, event)
        except IntegrityError:
            if self.open_request(new.appid) is None:
                raise  # not the one-open-request index: a real fault, not a refusal
            raise OpenRequestExists(new.appid) from None

    def _create(self, new: NewRequest, event: Event) -> RollbackRequest:
        with self._unit(write=True) as session:
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
                target_plan_status=new.target.plan_status,
                target_plan_percentage=new.target.plan_percentage,
                state=State.PENDING.value,
                created_at=new.created_at,
                expires_at=new.expires_at,
                approvals_required=new.approvals_required,
                paged=_joined(new.paged),
                kind=new.kind.value,
            )
            session.add(row)
            session.flush()
            row.last_event_id = append_event(session, event_row(row, event), row).id
            return to_request(row)

    def get(self, request_id: int) -> RollbackRequest | None:
        with self._unit() as session:
            row = session.get(RequestRow, request_id)
            return None if row is None else to_request(row)

    def open_request(self, appid: str) -> RollbackRequest | None:
        with self._unit() as session:
            row = session.scalars(
                select(RequestRow).where(RequestRow.appid == appid, RequestRow.state.in_(_values(OPEN_STATES)))
            ).first()
            return None if row is None else to_request(row)

    def recent(self, appid: str, limit: int, states: tuple[State, ...] = ()) -> list[RollbackRequest]:
        """The newest requests first; with `states`, only those in them."""
        query = select(RequestRow).where(RequestRow.appid == appid)
        if states:
            query = query.where(RequestRow.state.in_(_values(states)))
        with self._unit() as session:
            rows = session.scalars(query.order_by(RequestRow.id.desc()).limit(limit))
            return [to_request(row) for row in rows]

    def latest(self, limit: int, appid: str | None = None) -> list[RollbackRequest]:
        """The newest requests first, of every mini program or of `appid` (the command line's history)."""
        query = select(RequestRow).order_by(RequestRow.id.desc()).limit(limit)
        if appid is not None:
            query = query.where(RequestRow.appid == appid)
        with self._unit() as session:
            return [to_request(row) for row in session.scalars(query)]

    def due_for_expiry(self, appid: str, now: datetime) -> list[int]:
        pending = RequestRow.state == State.PENDING.value
        return self._ids(RequestRow.appid == appid, pending, RequestRow.expires_at <= now)

    def due_for_expiry_elsewhere(self, appids: Collection[str], now: datetime) -> list[int]:
        """Pending past their deadline, of mini programs other than these (no longer configured, say)."""
        return self._ids(
            RequestRow.appid.not_in(list(appids)), RequestRow.state == State.PENDING.value, RequestRow.expires_at <= now
        )

    def lease_expired(self, appid: str, now: datetime) -> list[int]:
        return self._ids(
            RequestRow.appid == appid,
            RequestRow.state.in_(_values((State.APPROVING, State.SENDING))),
            RequestRow.lease_until < now,
        )

    def due_rechecks(self, appid: str, now: datetime) -> list[int]:
        return self._ids(RequestRow.appid == appid, RequestRow.recheck_at <= now)

    def due_reminders(
        self, appid: str, now: datetime, quiet_since: datetime | None, escalate_made_before: datetime | None = None
    ) -> list[int]:
        due: ColumnElement[bool] = false()
        if quiet_since is not None:
            due = func.coalesce(RequestRow.reminded_at, RequestRow.created_at) <= quiet_since
        if escalate_made_before is not None:
            due = or_(due, and_(RequestRow.escalated_to.is_(None), RequestRow.created_at <= escalate_made_before))
        return self._ids(
            RequestRow.appid == appid, RequestRow.state == State.PENDING.value, RequestRow.expires_at > now, due
        )

    def _ids(self, *where: ColumnElement[bool]) -> list[int]:
        with self._unit() as session:
            return list(session.scalars(select(RequestRow.id).where(*where).order_by(RequestRow.id)))

    def attach_message(self, request_id: int, channel_id: str, message_ts: str) -> None:
        """A request's message, once: it shows the request as created (revision 0), whatever happened since."""
        with self._unit(write=True) as session:
            session.execute(
                update(RequestRow)
                .where(RequestRow.id == request_id, RequestRow.message_ts.is_(None))
                .values(channel_id=channel_id, message_ts=message_ts, shown_revision=0)
                .execution_options(synchronize_session=False)
            )

    def transition(
        self,
        request_id: int,
        expected: State | tuple[State, ...],
        new: State,
        event: Event | None,
        *,
        unexpired_at: datetime | None = None,
        owned_by: str | None = None,
        lease_held_at: datetime | None = None,
        lease_lost_at: datetime | None = None,
        recheck_was: datetime | None = None,
        approvals_were: tuple[str, ...] | None = None,
        reminders_were: int | None = None,
        **fields: Any,
    ) -> RollbackRequest | None:
        """Move the request from `expected` to `new` and record `event`, returning the row written; or do nothing
        and return None.

        The WHERE clause is the compare-and-set: of any number of concurrent callers, across threads and
        processes, exactly one sees its update match a row.
        """
        states = expected if isinstance(expected, tuple) else (expected,)
        if event is None and (states != (new,) or set(fields) & set(AUDITED_FIELDS)):
            # The audit chain vouches for these fields (bot.store.request_audit): they change only with an event.
            raise ValueError(f"a change to {sorted(set(fields) & set(AUDITED_FIELDS)) or 'the state'} needs an event")
        where: list[ColumnElement[bool]] = [RequestRow.id == request_id, RequestRow.state.in_(_values(states))]
        if unexpired_at is not None:
            where.append(RequestRow.expires_at > unexpired_at)
        if owned_by is not None:
            where.append(RequestRow.owner == owned_by)
        if lease_held_at is not None:
            where.append(RequestRow.lease_until > lease_held_at)
        if lease_lost_at is not None:
            where.append(RequestRow.lease_until < lease_lost_at)
        if recheck_was is not None:
            where.append(RequestRow.recheck_at == recheck_was)
        if approvals_were is not None:
            where.append(RequestRow.approvals == _joined(approvals_were))
        if reminders_were is not None:
            where.append(RequestRow.reminders == reminders_were)
        for listed in ("approvals", "paged"):  # tuples of Slack IDs are kept space-separated
            if listed in fields:
                fields[listed] = _joined(fields[listed])
        statement = (
            update(RequestRow)
            .where(*where)
            .values(state=new.value, revision=RequestRow.revision + 1, **fields)
            .returning(RequestRow)
            .execution_options(synchronize_session=False)
        )
        with self._unit(write=True) as session:
            was = states
            if self._observe is not None and len(states) > 1 and State.UNKNOWN in states:
                # An answer landing over an `unknown` another replica wrote is not a second outcome to count: the
                # observer is told which state the row left (locked until this write commits).
                locked = select(RequestRow.state).where(RequestRow.id == request_id).with_for_update()
                before = session.scalar(locked)
                was = (State(before),) if before in _values(states) else states
            row = session.scalars(statement).one_or_none()
            if row is None:
                return None
            if event is not None:
                _note_event(session, row.id, append_event(session, event_row(row, event), row).id)
            written = to_request(row)
        if self._observe is not None:
            try:
                self._observe(was, written)
            except Exception:  # a number not counted must not fail a recorded change
                log.exception("observing request %d's change failed", written.id)
        return written

    def open_counts(self) -> dict[State, int]:
        """How many requests are in each open state, across every mini program and replica."""
        with self._unit() as session:
            query = select(RequestRow.state, func.count()).where(RequestRow.state.in_(_values(OPEN_STATES)))
            return {State(state): int(count) for state, count in session.execute(query.group_by(RequestRow.state))}

    def record(self, request_id: int, event: Event) -> None:
        with self._unit(write=True) as session:
            row = session.get_one(RequestRow, request_id)
            _note_event(session, row.id, append_event(session, event_row(row, event), row).id)

    def events(self, request_id: int) -> list[RecordedEvent]:
        with self._unit() as session:
            rows = session.scalars(select(EventRow).where(EventRow.request_id == request_id).order_by(EventRow.id))
            return [to_recorded(row) for row in rows]


def _note_event(session: Session, request_id: int, event_id: int) -> None:
    """The request's newest event, for delivery to its thread."""
    session.execute(
        update(RequestRow)
        .where(RequestRow.id == request_id)
        .values(last_event_id=event_id)
        .execution_options(synchronize_session=False)
    )


def _joined(ids: tuple[str, ...]) -> str:
    return " ".join(ids)


def _values(states: tuple[State, ...]) -> list[str]:
    return [state.value for state in states]
