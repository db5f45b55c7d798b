"""The channel converges to the database: each request's message and thread are brought up to what is recorded.

Delivery is durable work, not a side effect of a click: whatever a listener or the sweeper could not show (Slack
down, rate-limited past its retries, a dropped connection), the repair pass of any replica's sweeper shows later,
in order. One replica at a time delivers a request (a lease in the database), each event is posted once, as one
reply, and the watermark moves only after Slack took it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.rollback.programs import Programs
from bot.slack.messages.request import request_message
from bot.slack.messages.timeline import timeline_lines
from bot.slack.pacing import CHANNELS, ChannelPacer
from bot.store.delivery_store import Behind, DeliveryStore

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)  # longer than a delivery takes, retries after Retry-After included


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Delivery:
    def __init__(
        self,
        store: DeliveryStore,
        client: WebClient,
        programs: Programs,
        clock: Callable[[], datetime] = _utc_now,
        pacer: ChannelPacer = CHANNELS,
    ) -> None:
        """`clock`: real time by default: leases are compared across replicas."""
        self._pacer = pacer
        self._store = store
        self._client = client
        self._programs = programs
        self._clock = clock

    def deliver(self, request_id: int) -> bool:
        """Bring one request's message and thread up to date; False when Slack (or the database) failed, in which
        case the repair pass tries again. Never raises."""
        try:
            for _ in range(3):  # a change recorded just as the lease was let go is not left for the next sweep
                now = self._clock()
                if not self._store.claim(request_id, now, now + LEASE):
                    return True  # another thread or replica is delivering it, and re-reads before letting go
                try:
                    while (behind := self._store.behind_for(request_id)) is not None:
                        self._deliver(behind)
                finally:
                    self._store.release(request_id)
                if self._store.behind_for(request_id) is None:
                    break
        except Exception:
            log.warning("could not deliver request %d to Slack yet; the repair pass retries", request_id, exc_info=True)
            return False
        return True

    def repair(self) -> int:
        """Every request whose message or thread is behind, delivered again: what a failure left behind."""
        behind = self._store.behind(self._clock())
        return sum(self.deliver(request_id) for request_id in behind)

    def _deliver(self, behind: Behind) -> None:
        request = behind.request
        assert request.message_ts is not None
        workflow = self._programs.by_appid(request.appid)
        if behind.stale_message:
            text, blocks = request_message(
                request,
                break_glass=workflow.policy.break_glass if workflow else False,
                program=workflow.name if workflow else None,
            )
            with _unless_gone(request.id):
                self._client.chat_update(channel=request.channel_id, ts=request.message_ts, text=text, blocks=blocks)
            self._store.shown(request.id, behind.revision)
        for event_id, event in behind.unposted:
            text = "\n".join(timeline_lines(event, request))
            self._pacer.wait_turn(request.channel_id)
            with _unless_gone(request.id):
                self._client.chat_postMessage(channel=request.channel_id, thread_ts=request.message_ts, text=text)
            self._store.posted(request.id, event_id)


# Slack's answers that no retry can change: the message or channel is gone, or the bot was removed from it.
GONE = frozenset(
    {
        "message_not_found",
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "cant_update_message",
        "thread_not_found",
    }
)


@contextmanager
def _unless_gone(request_id: int) -> Iterator[None]:
    """Slack failing for good for this message is logged and passed over; any other failure stops the delivery,
    for the repair pass to retry."""
    try:
        yield
    except SlackApiError as error:
        code = error.response.get("error")
        if code not in GONE:
            raise
        log.error("request %d's message can no longer be changed in Slack (%s)", request_id, code)
