"""The rollback request lifecycle: list, request, approve (then roll back exactly once), reject, cancel."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.rollback.model import (
    Decision,
    Event,
    EventKind,
    NewRequest,
    Refusal,
    RollbackRequest,
    State,
    Target,
)
from bot.rollback.outcome import (
    Outcome,
    judge_accepted,
    judge_blocked_by_gray_release,
    judge_refused,
    judge_unanswered,
)
from bot.rollback.policy import ApprovalPolicy
from bot.rollback.ports import WeChatGateway
from bot.store.request_store import RequestStore
from bot.wechat.errors import CATALOGUE, OutcomeUnknown, WeChatError, WeChatUnavailable
from bot.wechat.types import GrayReleasePlan, HistoryVersion, Release

log = logging.getLogger(__name__)

MAX_REASON_LENGTH = 1000


class RequestRefused(Exception):
    """The requester's input cannot become a request; the message is meant for them."""


@dataclass(frozen=True)
class Options:
    """What the requester chooses from."""

    appid: str
    online: Release | None
    versions: list[HistoryVersion]
    gray: GrayReleasePlan


class RollbackWorkflow:
    def __init__(
        self,
        appid: str,
        store: RequestStore,
        wechat: WeChatGateway,
        policy: ApprovalPolicy,
        ttl: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self.appid = appid
        self._store = store
        self._wechat = wechat
        self._policy = policy
        self._ttl = ttl
        self._clock = clock

    def options(self) -> Options:
        return Options(
            appid=self.appid,
            online=self._wechat.version_info().online,
            versions=self._wechat.list_history(),
            gray=self._wechat.gray_release_plan(),
        )

    def open_request(self, requester_id: str, channel_id: str, app_version: int, reason: str) -> RollbackRequest:
        reason = reason.strip()
        if not reason:
            raise RequestRefused("Please give a reason: it goes on the record of this incident.")
        if len(reason) > MAX_REASON_LENGTH:
            raise RequestRefused(f"Please keep the reason under {MAX_REASON_LENGTH} characters.")
        # Re-read WeChat rather than trust what the picker showed: time has passed since.
        options = self.options()
        target = next((v for v in options.versions if v.app_version == app_version), None)
        if target is None:
            raise RequestRefused(
                f"WeChat no longer offers app_version {app_version} as a rollback target. "
                "Run the command again to see the current list."
            )
        if options.gray.blocks_rollback:
            raise RequestRefused(CATALOGUE[87011].meaning + " " + CATALOGUE[87011].next_step)
        now = self._clock()
        return self._store.create(
            NewRequest(
                appid=self.appid,
                channel_id=channel_id,
                requester_id=requester_id,
                reason=reason,
                online_version=options.online.version if options.online else None,
                target=Target(target.app_version, target.user_version, target.user_desc, target.commit_time),
                created_at=now,
                expires_at=now + self._ttl,
            ),
            Event(EventKind.REQUESTED, requester_id, now, detail=reason),
        )

    def attach_message(self, request: RollbackRequest, channel_id: str, message_ts: str) -> None:
        self._store.attach_message(request.id, channel_id, message_ts)

    def withdraw_unposted(self, request: RollbackRequest, why: str) -> None:
        """The request message could not be posted: nobody can approve it, so close it."""
        now = self._clock()
        self._store.transition(
            request.id,
            State.PENDING,
            State.CANCELLED,
            Event(EventKind.CANCELLED, None, now, detail=f"request message not posted: {why}"),
            finished_at=now,
        )

    def approve(
        self, request_id: int, user_id: str, on_approved: Callable[[RollbackRequest], None]
    ) -> Decision:
        """Approve and, if this call wins the compare-and-set, roll back exactly once.

        `on_approved` runs between approval and the WeChat call, to show the approval before a slow call.
        """
        request, now, refusal = self._check(request_id, user_id, "approve", self._policy.why_not_approve)
        if refusal is not None or request is None:
            return self._refuse(request, refusal, user_id, now, "approve")
        won = self._store.transition(
            request.id,
            State.PENDING,
            State.EXECUTING,
            Event(EventKind.APPROVED, user_id, now),
            unexpired_at=now,
            decided_by=user_id,
            decided_at=now,
        )
        if not won:
            return self._lost_race(request.id, user_id, now)
        approved = self._reload(request.id)
        try:
            on_approved(approved)
        except Exception:
            log.exception("showing the approval of request %d failed; rolling back regardless", request.id)
        return Decision(self._execute(approved), message_changed=True)

    def reject(self, request_id: int, user_id: str) -> Decision:
        return self._close(request_id, user_id, "reject", State.REJECTED, EventKind.REJECTED)

    def cancel(self, request_id: int, user_id: str) -> Decision:
        return self._close(request_id, user_id, "cancel", State.CANCELLED, EventKind.CANCELLED)

    def get(self, request_id: int) -> RollbackRequest | None:
        return self._store.get(request_id)

    def events(self, request_id: int) -> list[Event]:
        return [recorded.event for recorded in self._store.events(request_id)]

    def _close(self, request_id: int, user_id: str, action: str, state: State, kind: EventKind) -> Decision:
        rule = self._policy.why_not_reject if state is State.REJECTED else self._policy.why_not_cancel
        request, now, refusal = self._check(request_id, user_id, action, rule)
        if refusal is not None or request is None:
            return self._refuse(request, refusal, user_id, now, action)
        won = self._store.transition(
            request.id,
            State.PENDING,
            state,
            Event(kind, user_id, now),
            unexpired_at=now,
            decided_by=user_id,
            decided_at=now,
            finished_at=now,
        )
        if not won:
            return self._lost_race(request.id, user_id, now)
        return Decision(self._reload(request.id), message_changed=True)

    def _check(
        self,
        request_id: int,
        user_id: str,
        action: str,
        rule: Callable[[RollbackRequest, str], Refusal | None],
    ) -> tuple[RollbackRequest | None, datetime, Refusal | None]:
        now = self._clock()
        request = self._store.get(request_id)
        if request is None or request.appid != self.appid:
            return None, now, Refusal.UNKNOWN_REQUEST
        if request.state is not State.PENDING:
            return request, now, Refusal.ALREADY_DECIDED
        if now >= request.expires_at:
            return request, now, Refusal.EXPIRED
        return request, now, rule(request, user_id)

    def _refuse(
        self, request: RollbackRequest | None, refusal: Refusal | None, user_id: str, now: datetime, action: str
    ) -> Decision:
        assert refusal is not None
        if request is None:
            return Decision(None, refusal)
        if refusal is Refusal.EXPIRED:
            return self._expire(request, user_id, now, action)
        if refusal is not Refusal.ALREADY_DECIDED:
            self._store.record(request.id, Event(EventKind.REFUSED, user_id, now, detail=f"{action}: {refusal}"))
        return Decision(request, refusal)

    def _expire(self, request: RollbackRequest, user_id: str, now: datetime, action: str) -> Decision:
        expired = self._store.transition(
            request.id,
            State.PENDING,
            State.EXPIRED,
            Event(EventKind.EXPIRED, None, now, detail=f"noticed when {user_id} tried to {action}"),
            finished_at=now,
        )
        return Decision(self._reload(request.id), Refusal.EXPIRED, message_changed=expired)

    def _lost_race(self, request_id: int, user_id: str, now: datetime) -> Decision:
        request = self._reload(request_id)
        if request.state is State.PENDING:  # still pending, so the update failed on the expiry condition
            return self._expire(request, user_id, now, "act")
        refusal = Refusal.EXPIRED if request.state is State.EXPIRED else Refusal.ALREADY_DECIDED
        return Decision(request, refusal)

    def _execute(self, request: RollbackRequest) -> RollbackRequest:
        outcome = self._call_rollback(request)
        now = self._clock()
        kind = {State.SUCCEEDED: EventKind.EXECUTED, State.FAILED: EventKind.FAILED}.get(
            outcome.state, EventKind.UNKNOWN
        )
        recorded = self._store.transition(
            request.id,
            State.EXECUTING,
            outcome.state,
            Event(kind, None, now, detail=outcome.words, errcode=outcome.errcode, errmsg=outcome.errmsg),
            finished_at=now,
            wechat_errcode=outcome.errcode,
            wechat_errmsg=outcome.errmsg,
            outcome=outcome.words,
            verified=outcome.verified,
        )
        if not recorded:  # only the approval winner reaches here, so this is a bug, not a race
            log.error("request %d left 'executing' before its outcome was recorded", request.id)
        return self._reload(request.id)

    def _call_rollback(self, request: RollbackRequest) -> Outcome:
        if self._gray_release_running():
            return judge_blocked_by_gray_release(request)
        try:
            self._wechat.rollback(request.target.app_version)
        except WeChatError as error:
            return judge_refused(request, error)
        except OutcomeUnknown as unknown:
            return judge_unanswered(request, unknown, self._read_online())
        except WeChatUnavailable as error:  # raised before sending: getting a token failed
            return Outcome(State.FAILED, f"Not applied: the rollback was not sent. {error.describe()}")
        except Exception:
            log.exception("unexpected failure around the rollback call of request %d", request.id)
            return judge_unanswered(request, OutcomeUnknown("an internal error"), self._read_online())
        return judge_accepted(request, self._read_online())

    def _gray_release_running(self) -> bool:
        # A courtesy check: WeChat refuses anyway (87011), but then the refusal costs a rollback call.
        try:
            return self._wechat.gray_release_plan().blocks_rollback
        except Exception as error:
            log.warning("could not read the phased-release plan before rolling back: %s", error)
            return False

    def _read_online(self) -> str | None:
        try:
            online = self._wechat.version_info().online
        except Exception as error:
            log.warning("reading the online version to verify a rollback failed: %s", error)
            return None
        return online.version if online else None

    def _reload(self, request_id: int) -> RollbackRequest:
        request = self._store.get(request_id)
        assert request is not None, f"request {request_id} vanished"
        return request
