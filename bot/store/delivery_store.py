"""What each request's channel message and thread still lack, and the lease under which one replica delivers it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.rollback.model import Event, RollbackRequest, State
from bot.store.models import EventRow, RequestRow
from bot.store.request_rows import to_event, to_request


@dataclass(frozen=True)
class Behind:
    """A request as recorded, and what its channel message and thread do not show yet."""

    request: RollbackRequest
    revision: int
    stale_message: bool  # the message shows an older revision
    unposted: list[tuple[int, Event]]  # events not in the thread yet, oldest first, with their ids
    in_doubt: int | None = None  # the event whose reply was sent last without an answer: maybe in the thread
    hashes: dict[int, str] = field(default_factory=dict)  # each unposted event's audit chain hash (the head after it)


class DeliveryStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def behind(self, now: datetime) -> list[int]:
        """Requests with a message whose headline or thread is behind, that no replica is delivering."""
        with self._sessions() as session:
            lagging = or_(
                RequestRow.shown_revision < RequestRow.revision, RequestRow.posted_through < RequestRow.last_event_id
            )
            query = select(RequestRow.id).where(
                RequestRow.message_ts.is_not(None),
                lagging,
                or_(RequestRow.delivery_until.is_(None), RequestRow.delivery_until < now),
            )
            return list(session.scalars(query.order_by(RequestRow.id)))

    def backlog(self) -> int:
        """Requests whose message's headline or thread is behind what is recorded, leased or not."""
        with self._sessions() as session:
            lagging = or_(
                RequestRow.shown_revision < RequestRow.revision, RequestRow.posted_through < RequestRow.last_event_id
            )
            query = select(func.count()).select_from(RequestRow).where(RequestRow.message_ts.is_not(None), lagging)
            return int(session.scalar(query) or 0)

    def stranded(self, created_before: datetime) -> list[RollbackRequest]:
        """Pending requests whose message was never recorded, made before `created_before`: the bot stopped
        between recording one and posting it, or lost the answer and could not find the message."""
        with self._sessions() as session:
            query = select(RequestRow).where(
                RequestRow.message_ts.is_(None),
                RequestRow.state == State.PENDING.value,
                RequestRow.created_at < created_before,
            )
            return [to_request(row) for row in session.scalars(query.order_by(RequestRow.id))]

    def claim(self, request_id: int, now: datetime, until: datetime) -> bool:
        """One replica at a time delivers a request, so no reply is posted twice. The lease's end, `until`, is
        also its holder's token: each later write names it, and none lands once another replica took over."""
        return self._move_lease(
            request_id, or_(RequestRow.delivery_until.is_(None), RequestRow.delivery_until < now), until
        )

    def renew(self, request_id: int, held: datetime, until: datetime) -> bool:
        """False when the lease is no longer `held`: another replica took it over, and nothing more is sent."""
        return self._move_lease(request_id, RequestRow.delivery_until == held, until)

    def release(self, request_id: int, held: datetime) -> None:
        self._move_lease(request_id, RequestRow.delivery_until == held, None)

    def defer(self, request_id: int, held: datetime, until: datetime) -> None:
        """Let go, and let nobody deliver the request before `until` (Slack asked to wait, or cannot take it now)."""
        self._move_lease(request_id, RequestRow.delivery_until == held, until)

    def _move_lease(self, request_id: int, condition: ColumnElement[bool], until: datetime | None) -> bool:
        with self._sessions.begin() as session:
            moved = session.execute(
                update(RequestRow)
                .where(RequestRow.id == request_id, condition)
                .values(delivery_until=until)
                .returning(RequestRow.id)
            ).first()
            return moved is not None

    def behind_for(self, request_id: int) -> Behind | None:
        with self._sessions() as session:
            row = session.get(RequestRow, request_id)
            if row is None or row.message_ts is None:
                return None
            events = session.scalars(
                select(EventRow)
                .where(EventRow.request_id == request_id, EventRow.id > row.posted_through)
                .order_by(EventRow.id)
            )
            rows = list(events)
            unposted = [(event.id, to_event(event)) for event in rows]
            if row.shown_revision >= row.revision and not unposted:
                return None
            stale = row.shown_revision < row.revision
            hashes = {event.id: event.hash for event in rows}
            return Behind(to_request(row), row.revision, stale, unposted, row.posting_event_id, hashes)

    def shown(self, request_id: int, revision: int, held: datetime) -> bool:
        """Recorded only under the lease that showed it; False when it was lost meanwhile."""
        with self._sessions.begin() as session:
            session.execute(
                update(RequestRow)
                .where(
                    RequestRow.id == request_id, RequestRow.shown_revision < revision, RequestRow.delivery_until == held
                )
                .values(shown_revision=revision)
            )
            return self._holds(session, request_id, held)

    def posting(self, request_id: int, event_id: int, held: datetime) -> bool:
        """Before a reply goes out: should its answer never come, the next delivery looks in the thread first."""
        with self._sessions.begin() as session:
            session.execute(
                update(RequestRow)
                .where(RequestRow.id == request_id, RequestRow.delivery_until == held)
                .values(posting_event_id=event_id)
            )
            return self._holds(session, request_id, held)

    def posted(self, request_id: int, event_id: int, held: datetime) -> bool:
        with self._sessions.begin() as session:
            session.execute(
                update(RequestRow)
                .where(
                    RequestRow.id == request_id, RequestRow.posted_through < event_id, RequestRow.delivery_until == held
                )
                .values(posted_through=event_id, posting_event_id=None)
            )
            return self._holds(session, request_id, held)

    @staticmethod
    def _holds(session: Session, request_id: int, held: datetime) -> bool:
        query = select(RequestRow.id).where(RequestRow.id == request_id, RequestRow.delivery_until == held)
        return session.scalars(query).first() is not None
