"""Carrying out an approved rollback: one call to WeChat, then the outcome judged and recorded."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bot.rollback.model import Event, EventKind, RollbackRequest, State
from bot.rollback.outcome import (
    Outcome,
    judge_accepted,
    judge_blocked_by_gray_release,
    judge_refused,
    judge_unanswered,
)
from bot.rollback.ports import WeChatGateway
from bot.store.request_store import RequestStore
from bot.wechat.errors import OutcomeUnknown, WeChatError, WeChatUnavailable

log = logging.getLogger(__name__)


class RollbackExecutor:
    def __init__(self, store: RequestStore, wechat: WeChatGateway, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._wechat = wechat
        self._clock = clock

    def execute(self, request: RollbackRequest) -> tuple[RollbackRequest, tuple[Event, ...]]:
        """Roll back a request this process has just moved to `executing`, and record how it ended.

        Returns the request as it ended and the events recorded on the way.
        """
        called: list[Event] = []
        outcome = self._call_rollback(request, called)
        event = self._outcome_event(outcome)
        if not self._record(request, outcome, event):  # only the approval winner gets here: a bug, not a race
            log.error("request %d left 'executing' before its outcome was recorded", request.id)
        latest = self._store.get(request.id)
        assert latest is not None
        return latest, (*called, event)

    def reconcile(self, request: RollbackRequest) -> tuple[RollbackRequest, tuple[Event, ...]] | None:
        """Settle a request left `executing` by a process that stopped mid-way, without ever re-sending.

        Returns None when another replica settled it first.
        """
        sent = any(recorded.event.kind is EventKind.WECHAT_CALLED for recorded in self._store.events(request.id))
        if sent:
            lost = OutcomeUnknown("the bot stopped before recording WeChat's answer")
            outcome = judge_unanswered(request, lost, self._read_online())
        else:
            outcome = Outcome(State.FAILED, "Not applied: the bot stopped before sending the rollback. Ask again.")
        event = self._outcome_event(outcome)
        if not self._record(request, outcome, event):
            return None
        latest = self._store.get(request.id)
        assert latest is not None
        return latest, (event,)

    def online_version(self) -> str | None:
        """The version online now, or None when WeChat reports none; WeChat's errors propagate."""
        online = self._wechat.version_info().online
        return online.version if online else None

    def _outcome_event(self, outcome: Outcome) -> Event:
        kind = {State.SUCCEEDED: EventKind.EXECUTED, State.FAILED: EventKind.FAILED}.get(
            outcome.state, EventKind.UNKNOWN
        )
        return Event(kind, None, self._clock(), detail=outcome.words, errcode=outcome.errcode, errmsg=outcome.errmsg)

    def _record(self, request: RollbackRequest, outcome: Outcome, event: Event) -> bool:
        return self._store.transition(
            request.id,
            State.EXECUTING,
            outcome.state,
            event,
            finished_at=event.at,
            wechat_errcode=outcome.errcode,
            wechat_errmsg=outcome.errmsg,
            outcome=outcome.words,
            verified=outcome.verified,
        )

    def _call_rollback(self, request: RollbackRequest, called: list[Event]) -> Outcome:
        if self._gray_release_running():
            return judge_blocked_by_gray_release(request)
        # On the record before it goes out: after a crash, this says WeChat may have been asked.
        sending = Event(
            EventKind.WECHAT_CALLED,
            None,
            self._clock(),
            detail=f"revertcoderelease app_version={request.target.app_version}",
        )
        self._store.record(request.id, sending)
        called.append(sending)
        try:
            self._wechat.rollback(request.target.app_version)
        except WeChatError as error:
            return judge_refused(request, error)
        except OutcomeUnknown as unknown:
            return judge_unanswered(request, unknown, self._read_online())
        except WeChatUnavailable as error:  # raised before sending: no token, or no host reachable
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
            return self.online_version()
        except Exception as error:
            log.warning("reading the online version to verify a rollback failed: %s", error)
            return None
