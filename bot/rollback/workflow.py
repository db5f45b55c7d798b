"""One mini program's rollback requests: what can be asked for, asking, and the record; deciding is in
decisions.py, behind the same door."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.rollback.changes import SeenChange
from bot.rollback.decisions import Decisions
from bot.rollback.execution import RollbackExecutor
from bot.rollback.model import (
    MAX_REASON_LENGTH,
    Event,
    EventKind,
    NewRequest,
    OpenRequestExists,
    Refusal,
    RequestKind,
    RequestRefused,
    RollbackRequest,
    State,
    Target,
    program_name,
)
from bot.rollback.policy import ApprovalPolicy
from bot.rollback.ports import RequestRecords, WatchRecords, WeChatGateway
from bot.rollback.publishing import UNPOSTED
from bot.rollback.reminders import ReminderRules, Reminders
from bot.rollback.settle import Settler
from bot.rollback.watch import ReleaseWatch
from bot.wechat.types import GrayReleasePlan, HistoryVersion, Release


class AlreadyOpen(RequestRefused):
    def __init__(self, existing: RollbackRequest) -> None:
        self.existing = existing
        super().__init__(Refusal.ALREADY_OPEN, request=existing.id)


@dataclass(frozen=True)
class Options:
    """What the requester chooses from."""

    alias: str
    appid: str
    online: Release | None
    versions: list[HistoryVersion]
    gray: GrayReleasePlan
    open_request: RollbackRequest | None = None


@dataclass(frozen=True)
class Status:
    alias: str
    appid: str
    online: Release | None
    experience: Release | None
    gray: GrayReleasePlan
    open_request: RollbackRequest | None
    last_rollback: RollbackRequest | None
    last_change: str | None = None  # the last change the version watch saw (made by the bot or not), in English
    last_change_at: datetime | None = None
    last_seen: SeenChange | None = None  # the same as facts (None: recorded before they were kept)
    watching: bool = True  # whether the version watch reads WeChat for this mini program
    notices_waiting: int = 0  # the watch's notices not posted yet
    notices_refused: str | None = None  # Slack's error code (and channel) refusing the oldest, if it does


# The checks before a rollback run side by side; a handful of approvals at once is already a lot.
_POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="rollback")


class RollbackWorkflow:
    """One mini program: asking and reading here; deciding in `decisions`; what happens without a click in
    `settler`."""

    def __init__(
        self,
        appid: str,
        store: RequestRecords,
        wechat: WeChatGateway,
        policy: ApprovalPolicy,
        ttl: timedelta,
        clock: Callable[[], datetime],
        lease: timedelta = timedelta(seconds=60),
        alias: str | None = None,
        reminders: ReminderRules | None = None,
        watch: WatchRecords | None = None,
        watch_every: timedelta | None = None,
        notify_channel: str | None = None,
    ) -> None:
        """`lease`: how long an approval's claim holds before another replica may settle it (the approving
        process renews it once, when it moves to sending); `alias`: the name people use for the mini program
        (its appid when it has none); `reminders`: when to remind and escalate (none by default); `watch`,
        `watch_every`, `notify_channel`: the version watch's records, how often it reads WeChat (None: never) and
        where it posts a change made outside the bot."""
        self.appid = appid
        self.alias = alias or appid
        self.policy = policy
        self._store = store
        self._wechat = wechat
        self._ttl = ttl
        self._clock = clock
        executor = RollbackExecutor(store, wechat, clock, lease, _POOL)
        self.decisions = Decisions(appid, store, executor, policy, clock)
        self.reminders = Reminders(appid, store, reminders or ReminderRules(remind_after=None), clock)
        self.settler = Settler(appid, store, executor, clock, self.reminders)
        self.watch = (
            None
            if watch is None
            else ReleaseWatch(appid, self.name, watch, store, wechat, watch_every, lease=lease, channel=notify_channel)
        )

    @property
    def name(self) -> str:
        return program_name(self.alias, self.appid)

    # --- asking

    def options(self) -> Options:
        return Options(
            alias=self.alias,
            appid=self.appid,
            online=self._wechat.version_info().online,
            versions=self._wechat.list_history(),
            gray=self._wechat.gray_release_plan(),
            open_request=self._store.open_request(self.appid),
        )

    def open_request(self, requester_id: str, channel_id: str, app_version: int, reason: str) -> RollbackRequest:
        reason = self._check_asking(channel_id, reason, requester_id)
        # Re-read WeChat rather than trust what the picker showed: time has passed since.
        options = self.options()
        target = next((v for v in options.versions if v.app_version == app_version), None)
        if target is None:
            raise RequestRefused(Refusal.VERSION_GONE, app_version=app_version)
        if options.gray.blocks_rollback:
            raise RequestRefused(Refusal.GRAY_BLOCKS)
        target_of = Target(target.app_version, target.user_version, target.user_desc, target.commit_time)
        return self._create(requester_id, channel_id, reason, options.online, target_of, RequestKind.ROLLBACK)

    def open_stop_request(self, requester_id: str, channel_id: str, plan_created: int, reason: str) -> RollbackRequest:
        """A request to stop the phased release the requester was shown (`plan_created`: its create_timestamp),
        under the same rules as a rollback's."""
        reason = self._check_asking(channel_id, reason, requester_id)
        online = self._wechat.version_info().online
        plan = self._wechat.gray_release_plan()
        if not plan.in_progress:
            raise RequestRefused(Refusal.NOTHING_TO_STOP, status=plan.status)
        if plan.created != plan_created:
            raise RequestRefused(Refusal.GRAY_CHANGED)
        target = Target(0, plan.traits, plan.summary, plan.created, plan.status, plan.percentage)
        return self._create(requester_id, channel_id, reason, online, target, RequestKind.STOP_GRAY)

    def _check_asking(self, channel_id: str, reason: str, requester_id: str) -> str:
        """The reason, checked, once the channel, the requester and the one-open-request rule allow asking here."""
        reason = reason.strip()
        if not reason:
            raise RequestRefused(Refusal.NO_REASON)
        if len(reason) > MAX_REASON_LENGTH:
            raise RequestRefused(Refusal.REASON_TOO_LONG, limit=MAX_REASON_LENGTH)
        if self.policy.why_not_here(channel_id):
            raise RequestRefused(Refusal.WRONG_CHANNEL)
        if refused := self.policy.why_no_one_could_approve(requester_id):
            raise refused
        if self.policy.why_not_request(requester_id):
            raise RequestRefused(Refusal.REQUESTER_EXTERNAL)
        self._refuse_if_open()
        return reason

    def _create(
        self,
        requester_id: str,
        channel_id: str,
        reason: str,
        online: Release | None,
        target: Target,
        kind: RequestKind,
    ) -> RollbackRequest:
        now = self._clock()
        new = NewRequest(
            appid=self.appid,
            channel_id=channel_id,
            requester_id=requester_id,
            reason=reason,
            online_version=online.version if online else None,
            target=target,
            created_at=now,
            expires_at=now + self._ttl,
            approvals_required=self.policy.approvals_required,
            paged=self.policy.paged(),
            kind=kind,
        )
        try:
            return self._store.create(new, Event(EventKind.REQUESTED, requester_id, now, detail=reason))
        except OpenRequestExists:  # another request was opened between the check and the insert
            self._refuse_if_open()
            raise RequestRefused(Refusal.JUST_OPENED) from None

    def attach_message(self, request: RollbackRequest, channel_id: str, message_ts: str) -> None:
        self._store.attach_message(request.id, channel_id, message_ts)

    def withdraw_unposted(self, request: RollbackRequest, why: str) -> None:
        """The request message could not be posted: nobody can approve it, so close it."""
        now = self._clock()
        self._store.transition(
            request.id,
            State.PENDING,
            State.CANCELLED,
            Event(EventKind.CANCELLED, None, now, detail=f"{UNPOSTED}{why}"),
            finished_at=now,
        )

    # --- reading

    def status(self) -> Status:
        """What is online, in trial and in phased release, the open request and the last rollback."""
        info = self._wechat.version_info()
        finished = self._store.recent(self.appid, 10, (State.SUCCEEDED, State.FAILED, State.UNKNOWN))
        last = [request for request in finished if request.kind is RequestKind.ROLLBACK][:1]
        watched = self.watch.last() if self.watch is not None else None
        waiting = self.watch.notices.waiting() if self.watch is not None else []
        refused = waiting[0].last_error if waiting and waiting[0].failures else None  # the oldest holds the rest
        return Status(
            alias=self.alias,
            appid=self.appid,
            online=info.online,
            experience=info.experience,
            gray=self._wechat.gray_release_plan(),
            open_request=self._store.open_request(self.appid),
            last_rollback=last[0] if last else None,
            last_change=watched.last_change if watched else None,
            last_change_at=watched.last_change_at if watched else None,
            last_seen=watched.last_seen if watched else None,
            watching=self.watch is not None and self.watch.interval is not None,
            notices_waiting=len(waiting),
            notices_refused=refused,
        )

    def history(self, limit: int = 10) -> list[RollbackRequest]:
        return self._store.recent(self.appid, limit)

    def get(self, request_id: int) -> RollbackRequest | None:
        return self._store.get(request_id)

    def events(self, request_id: int) -> list[Event]:
        return [recorded.event for recorded in self._store.events(request_id)]

    def _refuse_if_open(self) -> None:
        existing = self._store.open_request(self.appid)
        if existing is not None:
            raise AlreadyOpen(existing)
