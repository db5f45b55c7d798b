"""A simulated WeChat mini program for sandbox mode: the bot's whole flow without touching a real one.

It satisfies the WeChatGateway protocol in process, with believable sample versions, and keeps the rules
of ../shared/wechat-api.md: a running or paused phased release refuses a rollback (87011); a target that
is not offered, or a second rollback before the next release, is refused (87012); and after a rollback
`get_history_version` lists nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.samples import SANDBOX_APPID, SANDBOX_ONLINE, SANDBOX_TRIAL, SANDBOX_VERSIONS
from bot.wechat.errors import NotSent, error_for
from bot.wechat.types import GrayReleasePlan, HistoryVersion, Release, VersionInfo

DEFAULT_APPID = SANDBOX_APPID

# WeChat's own errmsg for each refusal, so the sandbox's errors read like the real ones.
_GRAY_RUNNING = (87011, "wxa has a gray release plan, forbid revert release")
_FORBIDDEN = (87012, "forbid revert this version release")
_NO_GRAY_PLAN = (40097, "invalid args")  # revertgrayrelease with nothing to stop: WeChat does not document the code


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SimulatedWeChat:
    """One sample mini program in memory. Thread-safe: Slack listener threads call it concurrently."""

    def __init__(
        self,
        latency_seconds: float = 0.0,
        clock: Callable[[], datetime] = _utc_now,
        appid: str = DEFAULT_APPID,
        release_after: timedelta | None = None,
    ) -> None:
        """`release_after`: this long after a rollback, the sample release ships again (as a team would ship
        a fix), so a sandbox can be tried more than once without a restart; None keeps the rolled-back state."""
        self.appid = appid
        self._release_after = release_after
        self._rolled_back_at: datetime | None = None
        self._latency = latency_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._online = Release("", "", None)
        self._experience: Release | None = None
        self._history: list[HistoryVersion] = []
        self._rolled_back = False
        self._gray = GrayReleasePlan(status=0, percentage=0)
        self.reset()

    def reset(self) -> None:
        """Back to the sample state: 2.4.1 released a few hours ago, three versions to roll back to."""
        now = self._clock()

        def ago(age: timedelta) -> int:
            return int((now - age).timestamp())

        with self._lock:
            self._online = Release(*SANDBOX_ONLINE[:2], ago(SANDBOX_ONLINE[2]))
            self._experience = Release(*SANDBOX_TRIAL[:2], ago(SANDBOX_TRIAL[2]))
            # Most recently released first; list_history answers oldest first, as WeChat does.
            self._history = [
                HistoryVersion(app_version, version, description, ago(age))
                for app_version, version, description, age in SANDBOX_VERSIONS
            ]
            self._rolled_back = False
            self._rolled_back_at = None
            self._gray = GrayReleasePlan(status=0, percentage=0)

    def set_gray_release(self, status: int, percentage: int = 10) -> None:
        """Simulate a phased release (1 running, 2 paused: both make WeChat refuse a rollback)."""
        with self._lock:
            self._gray = GrayReleasePlan(status=status, percentage=percentage, created=int(self._clock().timestamp()))

    # --- WeChatGateway

    def list_history(self) -> list[HistoryVersion]:
        self._network()
        with self._lock:
            # Reported WeChat behaviour: after a rollback the list is empty until the next release. Otherwise
            # oldest first by commit_time, as the get_history_version page's example answer lists them.
            if self._rolled_back:
                return []
            return sorted(self._history, key=lambda version: (version.commit_time, version.app_version))

    def version_info(self) -> VersionInfo:
        self._network()
        with self._lock:
            return VersionInfo(online=self._online, experience=self._experience)

    def gray_release_plan(self) -> GrayReleasePlan:
        self._network()
        with self._lock:
            return self._gray

    def rollback(self, app_version: int, may_send: Callable[[], bool] = lambda: True) -> None:
        if not may_send():
            raise NotSent()
        self._network()
        with self._lock:  # check and change together: of concurrent rollbacks exactly one wins
            if self._gray.blocks_rollback:
                raise error_for(*_GRAY_RUNNING)
            target = next((v for v in self._history if v.app_version == app_version), None)
            if self._rolled_back or target is None:
                raise error_for(*_FORBIDDEN)
            self._online = Release(target.user_version, target.user_desc, int(self._clock().timestamp()))
            self._history = [v for v in self._history if v.app_version != app_version]
            self._rolled_back = True
            self._rolled_back_at = self._clock()

    def revert_gray_release(self, may_send: Callable[[], bool] = lambda: True) -> None:
        if not may_send():
            raise NotSent()
        self._network()
        with self._lock:
            if not self._gray.in_progress:
                raise error_for(*_NO_GRAY_PLAN)
            self._gray = GrayReleasePlan(status=4, percentage=self._gray.percentage, created=self._gray.created)

    def _network(self) -> None:
        # Outside the lock, as a real network wait would be: concurrent callers wait in parallel.
        if self._latency > 0:
            time.sleep(self._latency)
        with self._lock:
            rolled_back_at = self._rolled_back_at
        if self._release_after and rolled_back_at and self._clock() - rolled_back_at >= self._release_after:
            self.reset()
