"""What the workflow needs from WeChat and from the database, as protocols the client and the store satisfy."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any, Protocol

from bot.rollback.changes import SeenChange
from bot.rollback.model import Event, NewRequest, Person, RecordedEvent, RollbackRequest, State
from bot.rollback.sightings import Notice, Sighting, Watched
from bot.wechat.types import GrayReleasePlan, HistoryVersion, VersionInfo

Fence = Callable[[], bool]  # asked right before the rollback goes out: False means "do not send"


class WeChatGateway(Protocol):
    def list_history(self) -> list[HistoryVersion]: ...

    def version_info(self) -> VersionInfo: ...

    def gray_release_plan(self) -> GrayReleasePlan: ...

    def rollback(self, app_version: int, may_send: Fence = ...) -> None:
        """Send the rollback, asking `may_send` immediately before each request that goes out (a re-send after
        a token error included); when it says no, nothing is sent and WeChatUnavailable is raised."""
        ...

    def revert_gray_release(self, may_send: Fence = ...) -> None:
        """Stop the running or paused phased release (revertgrayrelease), fenced and never retried, like the
        rollback."""
        ...


class ApproverDirectory(Protocol):
    """Who belongs to a user group (Slack's, behind this protocol so the rules stay free of Slack)."""

    def members(self, group_id: str) -> frozenset[str]: ...


class RequestPublisher(Protocol):
    """Posts a request's message in its channel (Slack's, behind this protocol)."""

    def post(self, request: RollbackRequest) -> tuple[str, str]:
        """The channel and ts of the posted message; `publishing.PostRefused` when the channel did not take it."""
        ...


class PeopleDirectory(Protocol):
    """Whether a user is a guest or of another organisation (Slack's users.info, behind this protocol)."""

    def person(self, user_id: str) -> Person:
        """Raises when it cannot be told: the rules then refuse, to be safe."""
        ...


class RequestRecords(Protocol):
    """The requests and their events. Every state change is a compare-and-set that records its event in the
    same transaction and returns the row as written, or None when the request was not in an expected state.

    Any database failure is raised as `StoreUnavailable`."""

    def create(self, new: NewRequest, event: Event) -> RollbackRequest:
        """Raises OpenRequestExists when the mini program already has an open request."""
        ...

    def get(self, request_id: int) -> RollbackRequest | None: ...

    def open_request(self, appid: str) -> RollbackRequest | None: ...

    def recent(self, appid: str, limit: int, states: tuple[State, ...] = ()) -> list[RollbackRequest]: ...

    def due_for_expiry(self, appid: str, now: datetime) -> list[int]: ...

    def due_for_expiry_elsewhere(self, appids: Collection[str], now: datetime) -> list[int]: ...

    def lease_expired(self, appid: str, now: datetime) -> list[int]:
        """Approving or sending, with the owner's lease run out: its process stopped, paused or stalled."""
        ...

    def due_rechecks(self, appid: str, now: datetime) -> list[int]: ...

    def due_reminders(
        self, appid: str, now: datetime, quiet_since: datetime | None, escalate_made_before: datetime | None = None
    ) -> list[int]:
        """Pending and unexpired at `now`, with no reminder (nor the request itself) since `quiet_since` if given,
        or, given `escalate_made_before`, not escalated yet and made before then."""
        ...

    def attach_message(self, request_id: int, channel_id: str, message_ts: str) -> None: ...

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
        """`unexpired_at`: only if not expired then; `owned_by`: only if this process owns the claim;
        `lease_held_at` / `lease_lost_at`: only if the lease holds / has run out then; `recheck_was`: only if
        that re-check is still the one due (so two replicas do not both make it); `approvals_were`: only if the
        approvals are still those (so two approvals at once do not both count as the same one);
        `reminders_were`: only if no other replica reminded since (one reminder, from one replica)."""
        ...

    def record(self, request_id: int, event: Event) -> None: ...

    def events(self, request_id: int) -> list[RecordedEvent]: ...


class WatchRecords(Protocol):
    """What the version watch last saw of each mini program, under a lease (one replica at a time reads WeChat for
    it); every write holds only while the lease does. Database failures are raised as `StoreUnavailable`."""

    def get(self, appid: str) -> Watched | None: ...

    def take(self, appid: str, owner: str, now: datetime, lease_until: datetime) -> Watched | None:
        """The lease, when a check is due and nobody holds it: what was last recorded; None otherwise."""
        ...

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
        """What was seen, the change (with `notice`, to be posted too) and its audit event."""
        ...

    def let_go(self, appid: str, owner: str, now: datetime, next_check_at: datetime) -> bool: ...

    def renew(self, appid: str, owner: str, now: datetime, lease_until: datetime) -> bool:
        """The lease held longer, if `owner` still holds it; whether it does."""
        ...

    # Each change's notice is a record of its own, claimed by one replica at a time (compare-and-set), so that the
    # watch keeps reading WeChat whatever becomes of a post, and a post is never made twice.

    def claim_notice(self, appid: str, owner: str, now: datetime, until: datetime) -> Notice | None:
        """The oldest notice not yet posted (nor given up), when it is due and nobody holds it; None otherwise."""
        ...

    def notice_sending(self, notice_id: int, owner: str, now: datetime, until: datetime) -> bool:
        """Right before the post: the claim renewed and the notice marked in doubt, only while the claim holds."""
        ...

    def notice_posted(self, notice_id: int, owner: str, now: datetime, message_ts: str) -> bool:
        """In Slack: done, unless another replica took the notice over meanwhile."""
        ...

    def notice_failed(
        self, notice_id: int, owner: str, *, in_doubt: bool, error: str, retry_at: datetime, given_up: datetime | None
    ) -> bool:
        """Not posted (or not known to be): tried again at `retry_at`, or never again from `given_up`."""
        ...

    def notice(self, notice_id: int) -> tuple[Notice, str | None] | None:
        """A notice and its message's ts (None while not posted)."""
        ...

    def waiting_notices(self, appid: str) -> list[Notice]:
        """The notices not yet posted nor given up, oldest first."""
        ...
