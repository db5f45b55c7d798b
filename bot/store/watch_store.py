"""The version watch's records: what was last seen of each mini program, under a lease that lets one replica at a
time read WeChat for it, and the notices of changes to post, each claimed by one replica at a time. Every write is a
compare-and-set on the lease's (or the claim's) owner."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.rollback.changes import SeenChange
from bot.rollback.model import Event
from bot.rollback.sightings import Notice, Sighting, Watched
from bot.store.audit import append_event
from bot.store.models import EventRow, ReleaseWatchRow, WatchNoticeRow
from bot.store.request_rows import to_event
from bot.store.request_store import database_unit
from bot.wechat.types import GrayReleasePlan


class WatchStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def get(self, appid: str) -> Watched | None:
        with database_unit(self._sessions) as session:
            row = session.get(ReleaseWatchRow, appid)
            if row is None:
                return None
            waiting = session.scalars(
                select(WatchNoticeRow.text).where(*_waiting(appid)).order_by(WatchNoticeRow.id).limit(1)
            ).first()
            return _watched(row, waiting)

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
        change: SeenChange | None = None,
        notice: bool = False,
        event: Event | None = None,
    ) -> bool:
        """What was seen, with the change (and, with `notice`, a notice of it to post, and its audit event) if any,
        only while the lease holds; the lease is let go."""
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
            values.update(last_change=change.words, last_change_facts=change.to_json(), last_change_at=now)
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
            if notice and change is not None:  # in the same transaction: a change recorded is a change to be posted
                session.add(WatchNoticeRow(appid=appid, text=f"{change.words}.", facts=change.to_json(), seen_at=now))
            return True

    def renew(self, appid: str, owner: str, now: datetime, lease_until: datetime) -> bool:
        with database_unit(self._sessions, write=True) as session:
            written = session.execute(
                update(ReleaseWatchRow)
                .where(*_held(appid, owner, now))
                .values(lease_until=lease_until)
                .returning(ReleaseWatchRow.appid)
                .execution_options(synchronize_session=False)
            ).first()
            return written is not None

    def let_go(self, appid: str, owner: str, now: datetime, next_check_at: datetime) -> bool:
        """Nothing recorded (WeChat did not answer): the next check is due at `next_check_at`."""
        with database_unit(self._sessions, write=True) as session:
            written = session.execute(
                update(ReleaseWatchRow)
                .where(*_held(appid, owner, now))
                .values(lease_owner=None, lease_until=None, next_check_at=next_check_at)
                .returning(ReleaseWatchRow.appid)
                .execution_options(synchronize_session=False)
            ).first()
            return written is not None

    def claim_notice(self, appid: str, owner: str, now: datetime, until: datetime) -> Notice | None:
        with database_unit(self._sessions) as session:
            oldest = session.scalars(
                select(WatchNoticeRow.id).where(*_waiting(appid)).order_by(WatchNoticeRow.id).limit(1)
            ).first()
        if oldest is None:
            return None  # notices go out in order: a later one waits while the oldest is retried later
        claimed = (
            update(WatchNoticeRow)
            .where(
                WatchNoticeRow.id == oldest,
                *_waiting(appid),
                or_(WatchNoticeRow.next_attempt_at.is_(None), WatchNoticeRow.next_attempt_at <= now),
                or_(WatchNoticeRow.claim_until.is_(None), WatchNoticeRow.claim_until < now),
            )
            .values(claim_owner=owner, claim_until=until)
            .returning(WatchNoticeRow)
            .execution_options(synchronize_session=False)
        )
        with database_unit(self._sessions, write=True) as session:
            row = session.scalars(claimed).one_or_none()
            return None if row is None else _notice(row)

    def notice_sending(self, notice_id: int, owner: str, now: datetime, until: datetime) -> bool:
        return self._notice_update(notice_id, owner, now, in_doubt=True, claim_until=until)

    def notice_posted(self, notice_id: int, owner: str, now: datetime, message_ts: str) -> bool:
        # Whose claim ran out but nobody took over may still say so: the post is its own.
        return self._notice_update(
            notice_id, owner, None, posted_at=now, message_ts=message_ts, in_doubt=False, **_UNCLAIMED
        )

    def notice_failed(
        self, notice_id: int, owner: str, *, in_doubt: bool, error: str, retry_at: datetime, given_up: datetime | None
    ) -> bool:
        return self._notice_update(
            notice_id,
            owner,
            None,
            in_doubt=in_doubt,
            last_error=error[:200],
            failures=WatchNoticeRow.failures + 1,
            next_attempt_at=retry_at,
            given_up_at=given_up,
            **_UNCLAIMED,
        )

    def notice(self, notice_id: int) -> tuple[Notice, str | None] | None:
        with database_unit(self._sessions) as session:
            row = session.get(WatchNoticeRow, notice_id)
            return None if row is None else (_notice(row), row.message_ts)

    def waiting_notices(self, appid: str) -> list[Notice]:
        with database_unit(self._sessions) as session:
            rows = session.scalars(select(WatchNoticeRow).where(*_waiting(appid)).order_by(WatchNoticeRow.id))
            return [_notice(row) for row in rows]

    def _notice_update(self, notice_id: int, owner: str, now: datetime | None, **values: object) -> bool:
        """A write on a claimed notice, only by its claimant (and, with `now`, only while the claim holds)."""
        held = [WatchNoticeRow.id == notice_id, WatchNoticeRow.claim_owner == owner, WatchNoticeRow.posted_at.is_(None)]
        if now is not None:
            held.append(WatchNoticeRow.claim_until > now)
        with database_unit(self._sessions, write=True) as session:
            written = session.execute(
                update(WatchNoticeRow)
                .where(*held)
                .values(**values)
                .returning(WatchNoticeRow.id)
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


_UNCLAIMED: dict[str, object] = {"claim_owner": None, "claim_until": None}


def _waiting(appid: str) -> tuple[ColumnElement[bool], ...]:
    return (WatchNoticeRow.appid == appid, WatchNoticeRow.posted_at.is_(None), WatchNoticeRow.given_up_at.is_(None))


def _notice(row: WatchNoticeRow) -> Notice:
    change = SeenChange.from_json(row.facts)
    return Notice(row.id, row.appid, row.text, row.seen_at, row.in_doubt, row.failures, row.last_error, change)


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


def _watched(row: ReleaseWatchRow, notice: str | None = None) -> Watched:
    seen = None
    if row.checked_at is not None:
        gray = GrayReleasePlan(status=row.gray_status, percentage=row.gray_percentage, created=row.gray_created)
        seen = Sighting(row.online_version, row.online_time, gray)
    last_seen = SeenChange.from_json(row.last_change_facts)
    return Watched(row.appid, row.checked_at, seen, row.last_change, row.last_change_at, notice, last_seen)
