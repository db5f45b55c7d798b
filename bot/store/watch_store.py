"""The version watch's records: what was last seen of each mini program, under a lease that lets one replica at a
time read WeChat for it. Every write is a compare-and-set on the lease's owner."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.rollback.model import Event
from bot.rollback.sightings import Sighting, Watched
from bot.store.audit import append_event
from bot.store.models import EventRow, ReleaseWatchRow
from bot.store.request_store import database_unit, to_event
from bot.wechat.types import GrayReleasePlan


class WatchStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def get(self, appid: str) -> Watched | None:
        with database_unit(self._sessions) as session:
            row = session.get(ReleaseWatchRow, appid)
            return None if row is None else _watched(row)

    def take(self, appid: str, owner: str, now: datetime, lease_until: datetime) -> Watched | None:
        """The lease on this mini program's watch, when a check is due and no other replica holds it: what was last
        recorded; None otherwise."""
        try:
            with database_unit(self._sessions, write=True) as session:
                if session.get(ReleaseWatchRow, appid) is None:
                    session.add(ReleaseWatchRow(appid=appid))
        except IntegrityError:
            pass  # another replica added it first
        statement = (
            update(ReleaseWatchRow)
            .where(
                ReleaseWatchRow.appid == appid,
                or_(ReleaseWatchRow.next_check_at.is_(None), ReleaseWatchRow.next_check_at <= now),
                or_(ReleaseWatchRow.lease_until.is_(None), ReleaseWatchRow.lease_until < now),
            )
            .values(lease_owner=owner, lease_until=lease_until)
            .returning(ReleaseWatchRow)
            .execution_options(synchronize_session=False)
        )
        with database_unit(self._sessions, write=True) as session:
            row = session.scalars(statement).one_or_none()
            return None if row is None else _watched(row)

    def record(
        self,
        appid: str,
        owner: str,
        now: datetime,
        seen: Sighting,
        next_check_at: datetime,
        *,
        change: str | None = None,
        notice: str | None = None,
        event: Event | None = None,
    ) -> bool:
        """What was seen, with the change (and its notice and audit event) if any, only while the lease holds.
        The lease is kept while a notice waits to be posted (`posted` lets it go)."""
        values: dict[str, object] = {
            "checked_at": now,
            "online_version": seen.online_version,
            "online_time": seen.online_time,
            "gray_status": seen.gray.status,
            "gray_percentage": seen.gray.percentage,
            "gray_created": seen.gray.created,
            "next_check_at": next_check_at,
        }
        if change is not None:
            values.update(last_change=change, last_change_at=now)
        if notice is not None:
            values["notice"] = notice
        else:
            values.update(lease_owner=None, lease_until=None)
        with database_unit(self._sessions, write=True) as session:
            written = session.execute(
                update(ReleaseWatchRow)
                .where(*_held(appid, owner, now))
                .values(**values)
                .returning(ReleaseWatchRow.appid)
                .execution_options(synchronize_session=False)
            ).first()
            if written is None:
                return False
            if event is not None:
                append_event(session, _event_row(appid, event), None)
            return True

    def posted(self, appid: str, owner: str, now: datetime) -> bool:
        """The notice is in Slack: forget it and let the lease go."""
        return self._let_go(appid, owner, now, notice=None)

    def let_go(self, appid: str, owner: str, now: datetime, next_check_at: datetime) -> bool:
        """Nothing recorded (WeChat did not answer): the next check is due at `next_check_at`."""
        return self._let_go(appid, owner, now, next_check_at=next_check_at)

    def _let_go(self, appid: str, owner: str, now: datetime, **values: object) -> bool:
        with database_unit(self._sessions, write=True) as session:
            written = session.execute(
                update(ReleaseWatchRow)
                .where(*_held(appid, owner, now))
                .values(lease_owner=None, lease_until=None, **values)
                .returning(ReleaseWatchRow.appid)
                .execution_options(synchronize_session=False)
            ).first()
            return written is not None

    def outside_events(self, appid: str) -> list[Event]:
        """The changes seen outside the bot, oldest first."""
        with database_unit(self._sessions) as session:
            rows = session.scalars(
                select(EventRow).where(EventRow.appid == appid, EventRow.request_id.is_(None)).order_by(EventRow.id)
            )
            return [to_event(row) for row in rows]


def _held(appid: str, owner: str, now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (ReleaseWatchRow.appid == appid, ReleaseWatchRow.lease_owner == owner, ReleaseWatchRow.lease_until > now)


def _event_row(appid: str, event: Event) -> EventRow:
    return EventRow(
        request_id=None,
        kind=event.kind.value,
        actor_id=event.actor_id,
        at=event.at,
        appid=appid,
        app_version=0,
        detail=event.detail,
        errcode=event.errcode,
        errmsg=event.errmsg,
    )


def _watched(row: ReleaseWatchRow) -> Watched:
    seen = None
    if row.checked_at is not None:
        gray = GrayReleasePlan(status=row.gray_status, percentage=row.gray_percentage, created=row.gray_created)
        seen = Sighting(row.online_version, row.online_time, gray)
    return Watched(row.appid, row.checked_at, seen, row.last_change, row.last_change_at, row.notice)
