"""The version watch: every so often one replica reads each mini program's online version and phased-release plan,
compares them with what it saw last, and notices a change the bot did not make (a release, a rollback or a phased
release started, paused or stopped in the admin console). WeChat cannot say later who changed what, or when: the
bot's record and channel are the only place that can.

A change made outside the bot is recorded in the audit chain, kept to be posted (the Slack side posts it, once:
bot/rollback/notices.py), and every pending request it made stale is withdrawn at once. One replica at a time holds
the watch of a mini program (a lease in the database); each write holds only while the lease does, so a change is
recorded once.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from bot.rollback.attribution import Explained, explain
from bot.rollback.changes import Change, ChangeKind, SeenChange
from bot.rollback.model import Decision, Event, EventKind, RequestKind, RollbackRequest, State
from bot.rollback.notices import NoticeQueue
from bot.rollback.ports import RequestRecords, WatchRecords, WeChatGateway
from bot.rollback.sightings import Sighting, Watched
from bot.rollback.staleness import StaleCause, Staleness
from bot.wechat.types import GrayReleasePlan

log = logging.getLogger(__name__)

R = TypeVar("R")

DONE_BY_THE_BOT = (State.SENDING, State.SUCCEEDED, State.UNKNOWN)  # a change the bot may have made
# The watch's own lease, renewed between its two reads of WeChat: one read takes at most about 18 s (connect 3.05 s,
# read 15 s: bot/wechat/http.py). A replica killed mid-check holds the watch this long at most, not the approval
# lease; one that overruns it only makes a check another replica makes too (every write is a compare-and-set).
WATCH_LEASE = timedelta(seconds=20)


@dataclass(frozen=True)
class Noticed:
    """What one check found: the notice it recorded to be posted, and the pending requests it withdrew."""

    change: SeenChange | None  # a change made outside the bot (None: none seen now)
    withdrawn: list[Decision]

    @property
    def notice(self) -> str | None:
        """The change in English words, as recorded."""
        return None if self.change is None else f"{self.change.words}."


class ReleaseWatch:
    def __init__(
        self,
        appid: str,
        name: str,
        watch: WatchRecords,
        requests: RequestRecords,
        wechat: WeChatGateway,
        interval: timedelta | None,
        *,
        lease: timedelta = timedelta(seconds=60),
        channel: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """`interval`: how often WeChat is read (None: never); `lease`: how long a claim on a notice holds (renewed
        right before the post), and a check's lease if shorter than WATCH_LEASE;
        `channel`: where a change made outside the bot is posted (None: recorded only); `clock`: the real time by
        default, since the schedule and the lease are compared across replicas."""
        self.appid = appid
        self.interval = interval
        self.channel = channel
        self._name = name
        self._watch = watch
        self._requests = requests
        self._wechat = wechat
        self._clock = clock
        self._lease = lease
        self._owner = f"{os.getpid()}-{secrets.token_hex(8)}"
        self.notices = NoticeQueue(appid, watch, interval or timedelta(seconds=60), lease, clock)

    def last(self) -> Watched | None:
        return self._watch.get(self.appid)

    def check(self) -> Noticed | None:
        """One check, if one is due and no other replica is making it; None when there was nothing to do here."""
        if self.interval is None:
            return None
        now = self._clock()
        lease = min(self._lease, WATCH_LEASE)
        taken = self._watch.take(self.appid, self._owner, now, now + lease)
        if taken is None:
            return None
        # A notice not posted yet has no hold on the reading: it is posted on its own (bot/rollback/notices.py).
        # The reading is of this moment, not of when it is recorded: a rollback of the bot's that finishes while
        # WeChat is read must count as after it, or the next check would take it for somebody else's.
        read_at = self._clock()
        info = self._read(self._wechat.version_info)
        renewed = self._clock()
        if info is None or not self._watch.renew(self.appid, self._owner, renewed, renewed + lease):
            return None  # WeChat did not answer, or the read overran the lease: another replica may check now
        plan = self._read(self._wechat.gray_release_plan)
        if plan is None:
            return None
        online = info.online
        seen = Sighting(online.version if online else None, online.time if online else None, plan)
        return self._compare(taken, seen, read_at)

    def _read(self, read: Callable[[], R]) -> R | None:
        """One read of WeChat; None when it failed (the lease is let go, the next check due after the interval)."""
        assert self.interval is not None
        try:
            return read()
        except Exception as error:
            log.warning("the version watch could not read WeChat for %s: %s", self.appid, error)
            self._watch.let_go(self.appid, self._owner, self._clock(), self._clock() + self.interval)
            return None

    def _compare(self, taken: Watched, seen: Sighting, now: datetime) -> Noticed | None:
        assert self.interval is not None
        next_check = now + self.interval
        changes = [] if taken.seen is None else describe(taken.seen, seen)  # the first reading: nothing to compare
        if taken.seen is None or not changes:
            self._watch.record(self.appid, self._owner, now, seen, next_check)
            return self._withdraw_left_stale(seen, now)
        by_bot = self._made_by_the_bot(taken.seen, seen, taken.checked_at)
        outside = describe(by_bot.replayed, seen) if by_bot.requests else changes
        if not outside:
            change = SeenChange(tuple(changes), tuple(request.id for request in by_bot.requests))
            self._watch.record(self.appid, self._owner, now, seen, next_check, change=change)
            return self._withdraw_left_stale(seen, now)
        change = SeenChange(tuple(outside))  # only what the bot's own requests do not explain
        event = Event(EventKind.CHANGED_OUTSIDE, None, now, detail=change.words)
        # Without a notify channel there is nothing to post: the change is recorded only.
        to_post = self.channel is not None
        if not self._watch.record(
            self.appid, self._owner, now, seen, next_check, change=change, notice=to_post, event=event
        ):
            return None  # the lease ran out meanwhile: another replica checks again
        log.info("the version watch saw a change made outside the bot for %s: %s", self.appid, change.words)
        return Noticed(change, self._withdraw_stale(seen, change, now))

    def _withdraw_left_stale(self, seen: Sighting, now: datetime) -> Noticed | None:
        """A pending request this reading shows stale though no change was seen now: a replica that recorded the
        change stopped before withdrawing it. Withdrawing is a compare-and-set, so doing it again is harmless."""
        withdrawn = self._withdraw_stale(seen, None, now)
        return Noticed(None, withdrawn) if withdrawn else None

    def _made_by_the_bot(self, before: Sighting, after: Sighting, since: datetime | None) -> Explained:
        """The bot's requests not finished before the last check (`since`) that made part of the change, taken
        together in the order they were made (bot/rollback/attribution.py)."""
        recent = [
            request
            for request in self._requests.recent(self.appid, 5, DONE_BY_THE_BOT)
            # An older change of the bot's was in the last reading already.
            if since is None or request.finished_at is None or request.finished_at >= since
        ]
        return explain(before, after, recent, describe)

    def _withdraw_stale(self, seen: Sighting, change: SeenChange | None, now: datetime) -> list[Decision]:
        """The pending request the reading `seen` (taken at `now`) shows stale, withdrawn at once (approving it could
        only fail); `change`: the change seen now, if any."""
        request = self._requests.open_request(self.appid)
        if request is None or request.state is not State.PENDING or request.created_at >= now:
            return []  # a request asked for after the reading may be of what it did not see yet
        why = _made_stale(request, seen)
        if why is None:
            return []
        note = f"changed outside the bot: {change.words if change is not None else why.words}"
        stale = Event(EventKind.STALE, None, now, detail=note)
        withdrawn = self._requests.transition(
            request.id,
            State.PENDING,
            State.CANCELLED,
            stale,
            finished_at=now,
            decision_note=note,
            outcome=f"Withdrawn as stale: {note}. Nothing was changed by the bot; request again if still needed.",
            stale=why.to_json(),
        )
        return [] if withdrawn is None else [Decision(withdrawn, message_changed=True, events=(stale,))]


def _made_stale(request: RollbackRequest, seen: Sighting) -> Staleness | None:
    """Why the reading `seen` makes the pending `request` stale (None: it does not)."""
    gray = seen.gray
    if request.kind is RequestKind.STOP_GRAY:
        if gray.stopped:  # status 4, 0 or no plan (no create_timestamp then): nothing replaced it
            return Staleness(StaleCause.GRAY_STOPPED)
        if gray.created != request.target.commit_time:
            return Staleness(StaleCause.GRAY_REPLACED)
        return None if gray.in_progress else Staleness(StaleCause.GRAY_ENDED, status=gray.status)
    # A rollback is bound to the online version it was asked from, and WeChat refuses it during a phased release
    # (none ran when it was asked for: the bot refuses to open one then).
    if seen.online_version != request.online_version:
        return Staleness(StaleCause.ONLINE_CHANGED, before=request.online_version, after=seen.online_version)
    return Staleness(StaleCause.GRAY_BLOCKS, status=gray.status) if gray.blocks_rollback else None


def describe(before: Sighting, after: Sighting) -> list[Change]:
    """Each difference between two readings."""
    changes = []
    if after.online_version != before.online_version:
        older = (
            after.online_time is not None and before.online_time is not None and after.online_time < before.online_time
        )
        kind = ChangeKind.ROLLED_BACK if older else ChangeKind.RELEASED
        changes.append(Change(kind, version=after.online_version, before=before.online_version))
    changes += _gray_changes(before.gray, after.gray)
    return changes


def _gray_changes(before: GrayReleasePlan, after: GrayReleasePlan) -> list[Change]:
    if after.in_progress and (after.created != before.created or not before.in_progress):
        return [Change(ChangeKind.GRAY_STARTED, status=after.status, percentage=after.percentage)]
    if after.status == before.status:
        if after.in_progress and after.percentage != before.percentage:
            return [Change(ChangeKind.GRAY_MOVED, percentage=after.percentage, from_percentage=before.percentage)]
        return []
    if after.status == 2:
        return [Change(ChangeKind.GRAY_PAUSED, percentage=after.percentage)]
    if after.status == 1:
        return [Change(ChangeKind.GRAY_RESUMED, percentage=after.percentage)]
    if after.status == 3:
        return [Change(ChangeKind.GRAY_FINISHED)]
    if after.stopped and before.in_progress:
        return [Change(ChangeKind.GRAY_STOPPED, percentage=before.percentage)]
    return []
