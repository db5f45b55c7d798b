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
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot.i18n import program_language, speaking
from bot.rollback.model import Event, EventKind, RollbackRequest, State, StoreUnavailable
from bot.rollback.programs import Programs
from bot.slack.identity import posted_by_this_bot
from bot.slack.messages.break_glass import break_glass_announcement
from bot.slack.messages.request import request_message
from bot.slack.messages.timeline import anchor_line, timeline_lines
from bot.slack.pacing import CHANNELS, ChannelPacer
from bot.slack.publisher import SlackPublisher
from bot.slack.retries import RATE_LIMITS, RateLimits, limit_key
from bot.store.delivery_store import Behind, DeliveryStore

log = logging.getLogger(__name__)

# Renewed before each call to Slack, so it need only outlast one call: its timeout (CLIENT_TIMEOUT), a repeat after
# a dropped connection, and the short Retry-After waits the client makes itself (bot.slack.retries).
LEASE = timedelta(seconds=60)
STRANDED_AFTER = timedelta(minutes=2)  # longer than any publishing takes, its retries included
STEP = "miniprogram_rollback_step"  # the metadata on each thread reply: its request's and its event's ids


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
        limits: RateLimits = RATE_LIMITS,
    ) -> None:
        """`clock`: real time by default: leases are compared across replicas."""
        self._pacer = pacer
        self._limits = limits
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
                lease = _Lease(request_id, now + LEASE)
                if not self._store.claim(request_id, now, lease.held):
                    return True  # another thread or replica is delivering it, and re-reads before letting go
                if not self._deliver_held(lease):
                    return False
                if self._store.behind_for(request_id) is None:
                    break
        except Exception as error:
            # Slack or the database failing for a while is expected and retried: a line, not a traceback.
            expected = isinstance(error, (SlackApiError, OSError, SQLAlchemyError, StoreUnavailable))
            why = f"{type(error).__name__}: {error.response.get('error')}" if isinstance(error, SlackApiError) else ""
            log.warning(
                "could not deliver request %d to Slack yet (%s); the repair pass retries",
                request_id,
                why or type(error).__name__,
                exc_info=not expected,
            )
            return False
        return True

    def repair(self) -> int:
        """Every request whose message or thread is behind, delivered again: what a failure left behind; and any
        request stranded before its message was recorded, found in its channel or withdrawn."""
        for request in self._store.stranded(self._clock() - STRANDED_AFTER):
            try:
                self._rescue(request)
            except Exception:
                log.warning("could not settle stranded request %d yet", request.id, exc_info=True)
        behind = self._store.behind(self._clock())
        return sum(self.deliver(request_id) for request_id in behind)

    def _rescue(self, request: RollbackRequest) -> None:
        workflow = self._programs.by_appid(request.appid)
        if workflow is None:
            return  # left to the sweep of requests whose mini program is no longer configured
        ts = SlackPublisher(self._client, workflow).find(request)
        if ts is not None:
            workflow.attach_message(request, request.channel_id, ts)
            log.info("request %d's message found in its channel and attached", request.id)
            return
        # Nobody can approve what nobody sees; left pending, it would block the mini program until it expires.
        workflow.withdraw_unposted(request, "never posted (the bot stopped before posting it)")
        log.warning("request %d was never posted: withdrawn", request.id)

    def _deliver_held(self, lease: _Lease) -> bool:
        """Deliver under `lease` until nothing is behind, then let go; False when it stopped before that."""
        try:
            while (behind := self._store.behind_for(lease.request_id)) is not None:
                self._deliver(behind, lease)
        except _Later as later:
            # Slack asked to wait, or cannot take this message now: nobody tries again before then.
            self._store.defer(lease.request_id, lease.held, self._clock() + later.wait)
            log.info("delivery of request %d waits %s: %s", lease.request_id, later.wait, later.why)
            return False
        except _LeaseLost:
            # Held up past the lease (a long stall): another replica took over, and re-reads what is behind.
            log.warning("delivery of request %d was taken over by another replica", lease.request_id)
            return False
        except BaseException:
            self._store.release(lease.request_id, lease.held)
            raise
        self._store.release(lease.request_id, lease.held)
        return True

    def _deliver(self, behind: Behind, lease: _Lease) -> None:
        with speaking(program_language(behind.request.appid)):  # channel messages: the program's language
            self._deliver_in_language(behind, lease)

    def _deliver_in_language(self, behind: Behind, lease: _Lease) -> None:
        request = behind.request
        assert request.message_ts is not None
        workflow = self._programs.by_appid(request.appid)
        if behind.stale_message:
            text, blocks = request_message(
                request,
                break_glass=workflow.policy.break_glass if workflow else False,
                program=workflow.name if workflow else None,
            )
            self._before_call("chat.update", lease)
            with _unless_gone(request.id):
                self._client.chat_update(channel=request.channel_id, ts=request.message_ts, text=text, blocks=blocks)
            if not self._store.shown(request.id, behind.revision, lease.held):
                raise _LeaseLost
        folded = 0  # reminders overtaken by a later one, shown only as a count in it: no burst after an outage
        for event_id, event in behind.unposted:
            in_thread = event_id == behind.in_doubt and self._in_thread(request, event_id, lease)
            if in_thread or _reminded_again(event_id, event, behind):
                if not self._store.posted(request.id, event_id, lease.held):
                    raise _LeaseLost
                folded += not in_thread
                continue
            overtaken = _overtaken(event_id, event, behind)
            text = "\n".join(timeline_lines(event, request, overtaken=overtaken, folded=folded))
            if request.state.is_final and event_id == behind.unposted[-1][0] and event_id in behind.hashes:
                text += "\n" + anchor_line(behind.hashes[event_id])  # the chain's head, kept in Slack's history
            # A bypass of the second person is said in the channel too, to the approvers: as durably as the rest.
            loud = event.kind is EventKind.BREAK_GLASS and workflow is not None
            if loud and workflow is not None:
                text = break_glass_announcement(request, workflow.policy, workflow.name)
            self._pacer.wait_turn(request.channel_id)
            self._before_call("chat.postMessage", lease, request.channel_id)
            if not self._store.posting(request.id, event_id, lease.held):
                raise _LeaseLost
            with _unless_gone(request.id):
                self._client.chat_postMessage(
                    channel=request.channel_id,
                    thread_ts=request.message_ts,
                    text=text,
                    reply_broadcast=loud,
                    metadata={"event_type": STEP, "event_payload": {"request_id": request.id, "event_id": event_id}},
                )
            if not self._store.posted(request.id, event_id, lease.held):
                raise _LeaseLost

    def _in_thread(self, request: RollbackRequest, event_id: int, lease: _Lease) -> bool:
        """Whether the reply sent for `event_id` without an answer reached the thread after all (its metadata says)."""
        assert request.message_ts is not None
        self._before_call("conversations.replies", lease)
        messages: list[dict[str, Any]] = []
        try:
            with _unless_gone(request.id):  # a channel shut to the bot defers; a thread gone has nothing to find
                cursor = None
                for _ in range(20):  # pages of a thread far longer than any request's
                    page = self._client.conversations_replies(
                        channel=request.channel_id,
                        ts=request.message_ts,
                        include_all_metadata=True,
                        limit=200,
                        cursor=cursor,
                    )
                    messages += page.get("messages") or []
                    cursor = (page.get("response_metadata") or {}).get("next_cursor")
                    if not page.get("has_more") or not cursor:
                        break
        except SlackApiError as error:
            code = error.response.get("error")
            if code not in ("missing_scope", "not_allowed_token_type"):
                raise
            # An install without the history scopes cannot look: posting again risks a double, never a loss.
            log.error("cannot read request %d's thread (%s): its reply in doubt is posted again", request.id, code)
            return False
        return any(
            posted_by_this_bot(self._client, message)
            and (message.get("metadata") or {}).get("event_type") == STEP
            and (message.get("metadata") or {}).get("event_payload") == {"request_id": request.id, "event_id": event_id}
            for message in messages
        )

    def _before_call(self, method: str, lease: _Lease, channel: str | None = None) -> None:
        """Right before each call to Slack: not while Slack asked to leave the method alone, and only while the
        lease still holds (renewed, so a slow call cannot outlast it unnoticed)."""
        wait = self._limits.wait_for(limit_key(method, channel))
        if wait > 0:
            raise _Later(timedelta(seconds=wait), f"{method} is rate-limited")
        held = max(lease.held, self._clock() + LEASE)  # a clock stepped back does not shorten it for others
        if not self._store.renew(lease.request_id, lease.held, held):
            raise _LeaseLost
        lease.held = held


class _Lease:
    def __init__(self, request_id: int, held: datetime) -> None:
        self.request_id = request_id
        self.held = held  # the lease's end as written: the holder's token


class _LeaseLost(Exception):
    pass


class _Later(Exception):
    def __init__(self, wait: timedelta, why: str) -> None:
        super().__init__(why)
        self.wait = wait
        self.why = why


# Slack's answers that no retry can change: the message is gone, or can no longer be changed.
GONE = frozenset({"message_not_found", "cant_update_message", "thread_not_found"})
# The channel cannot take the message now, and may again (the bot invited back, the channel unarchived).
SHUT_OUT = frozenset({"channel_not_found", "is_archived", "not_in_channel"})
SHUT_OUT_WAIT = timedelta(seconds=60)  # a repair a minute: cheap, and soon after the bot is back


@contextmanager
def _unless_gone(request_id: int) -> Iterator[None]:
    """Slack failing for good for this message is logged and passed over; a channel shut to the bot, or a long
    rate limit, defers the request; any other failure stops the delivery, for the repair pass to retry."""
    try:
        yield
    except SlackApiError as error:
        code = error.response.get("error")
        if error.response.status_code == 429:
            raise _Later(timedelta(seconds=retry_after_of(error)), "rate-limited") from None
        if code in SHUT_OUT:
            log.warning("request %d's channel does not take the bot's messages now (%s)", request_id, code)
            raise _Later(SHUT_OUT_WAIT, str(code)) from None
        if code not in GONE:
            raise
        log.error("request %d's message can no longer be changed in Slack (%s)", request_id, code)


def retry_after_of(error: SlackApiError) -> float:
    value = error.response.headers.get("Retry-After") or error.response.headers.get("retry-after")
    return float(value) if value is not None and str(value).isdigit() else 1.0


def _reminded_again(event_id: int, event: Event, behind: Behind) -> bool:
    """A reminder still unposted when a later one was recorded (Slack was down meanwhile)."""
    return event.kind in _REMINDERS and any(i > event_id and e.kind in _REMINDERS for i, e in behind.unposted)


def _overtaken(event_id: int, event: Event, behind: Behind) -> bool:
    """A reminder still unposted when the request was decided or a later reminder was recorded: paging for it now
    would only be noise."""
    if event.kind not in _REMINDERS:
        return False
    return _reminded_again(event_id, event, behind) or behind.request.state is not State.PENDING


_REMINDERS = (EventKind.REMINDED, EventKind.ESCALATED)
