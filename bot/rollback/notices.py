"""The notices of changes seen outside the bot, posted once each, in order, whatever Slack does.

A notice is claimed by one replica at a time (a compare-and-set in the database) and marked in doubt right before
its post, so that a post whose answer was lost, or whose replica stalled past its claim, is looked for in the channel
(by the metadata it was posted with) before anyone posts it again. A notice Slack refuses is tried again later, each
time twice as late (from the watch interval up to an hour), and given up a day after the change was seen: an
archived or unknown channel, a bot removed from it, are for an operator to fix (logged, and shown by /readyz).
Meanwhile the watch keeps reading WeChat and withdrawing stale requests: a post has no hold on it.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.rollback.ports import WatchRecords
from bot.rollback.sightings import Notice

log = logging.getLogger(__name__)

LONGEST_WAIT = timedelta(hours=1)  # between two tries of a notice Slack refuses
GIVE_UP_AFTER = timedelta(days=1)  # a change this old is no news: logged and given up


class NoticeQueue:
    """One mini program's notices, for the Slack side to post."""

    def __init__(
        self,
        appid: str,
        records: WatchRecords,
        interval: timedelta,
        lease: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        """`interval`: the watch's, the first wait after a failure; `lease`: how long a claim holds (renewed right
        before the post, so it need only outlast one call to Slack)."""
        self.appid = appid
        self._records = records
        self._interval = interval
        self._lease = lease
        self._clock = clock
        self._owner = f"{os.getpid()}-{secrets.token_hex(8)}"

    def claim(self) -> Notice | None:
        """The oldest notice to post, claimed for this replica; None when there is none, it waits for a retry, or
        another replica holds it."""
        now = self._clock()
        return self._records.claim_notice(self.appid, self._owner, now, now + self._lease)

    def sending(self, notice: Notice) -> bool:
        """Right before the post: False when the claim ran out (another replica may be posting it: leave it)."""
        now = self._clock()
        return self._records.notice_sending(notice.id, self._owner, now, now + self._lease)

    def posted(self, notice: Notice, message_ts: str) -> bool:
        """In the channel; False when another replica took the notice over meanwhile (it looks before posting)."""
        return self._records.notice_posted(notice.id, self._owner, self._clock(), message_ts)

    def refused(self, notice: Notice, error: str, wait: float | None = None) -> None:
        """Slack answered with a refusal: nothing was posted. Tried again later, or given up when it is old."""
        self._failed(notice, error, in_doubt=False, wait=wait)

    def unanswered(self, notice: Notice, error: str) -> None:
        """Slack's answer never came (or the lookup failed): posted or not, it is looked for before the next try."""
        self._failed(notice, error, in_doubt=True, wait=None)

    def taken_over(self, notice: Notice) -> str | None:
        """After a post whose claim was lost: the ts under which the notice is recorded as posted, if it is."""
        found = self._records.notice(notice.id)
        return None if found is None else found[1]

    def waiting(self) -> list[Notice]:
        return self._records.waiting_notices(self.appid)

    def _failed(self, notice: Notice, error: str, *, in_doubt: bool, wait: float | None) -> None:
        now = self._clock()
        backoff = min(self._interval * 2**notice.failures, LONGEST_WAIT)
        retry_at = now + max(backoff, timedelta(seconds=wait or 0))
        given_up = now if now - notice.seen_at >= GIVE_UP_AFTER else None
        if not self._records.notice_failed(
            notice.id, self._owner, in_doubt=in_doubt, error=error, retry_at=retry_at, given_up=given_up
        ):
            return  # another replica took it over meanwhile, and carries on
        if given_up is not None:
            log.error(
                "the notice of %s's change seen at %s (%s) was not posted for a day (last: %s): given up",
                self.appid,
                notice.seen_at.isoformat(timespec="seconds"),
                notice.text,
                error,
            )
            return
        log.warning(
            "the notice of %s's change seen at %s was not posted (%s, try %d); tried again at %s",
            self.appid,
            notice.seen_at.isoformat(timespec="seconds"),
            error,
            notice.failures + 1,
            retry_at.isoformat(timespec="seconds"),
        )
