"""Plain data returned by the WeChat client; free of HTTP so the workflow can use it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class HistoryVersion:
    """A version WeChat says the online version can be rolled back to."""

    app_version: int
    user_version: str
    user_desc: str
    commit_time: int


@dataclass(frozen=True)
class Release:
    version: str
    description: str
    time: int | None


@dataclass(frozen=True)
class VersionInfo:
    """What is online now and what is in the experience (trial) slot; WeChat may omit either."""

    online: Release | None
    experience: Release | None


GRAY_STATUS_WORDS = {0: "not started", 1: "running", 2: "paused", 3: "finished", 4: "stopped"}


@dataclass(frozen=True)
class GrayReleasePlan:
    """getgrayreleaseplan's `gray_release_plan` (developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/
    api/code/getgrayreleaseplan.html)."""

    status: int  # 0 initial, 1 running, 2 paused, 3 done, 4 deleted
    percentage: int
    created: int = 0  # create_timestamp: with the status, it tells one plan from the next
    experiencer_first: bool = False  # support_experiencer_first: testers (experience members) get it first
    debuger_first: bool = False  # support_debuger_first: project members get it first

    @property
    def blocks_rollback(self) -> bool:
        # WeChat refuses a rollback (87011) while a phased release is running or paused.
        return self.status in (1, 2)

    @property
    def in_progress(self) -> bool:
        """Running or paused: the only time revertgrayrelease has something to stop."""
        return self.status in (1, 2)

    @property
    def stopped(self) -> bool:
        """No plan running, paused or finished: deleted (4), or in its initial state (0), which is also what a
        missing plan reads as. What WeChat answers after revertgrayrelease is undocumented: any of these."""
        return self.status in (0, 4)

    @property
    def status_words(self) -> str:
        return GRAY_STATUS_WORDS.get(self.status, f"status {self.status}")

    @property
    def traits(self) -> str:
        """What may tell a plan without create_timestamp from the next: its percentage and who gets it first."""
        return f"{self.percentage}% experiencer_first={self.experiencer_first} debuger_first={self.debuger_first}"

    @property
    def summary(self) -> str:
        """Its state, percentage and start, in words (UTC: kept on the record as it was shown)."""
        started = datetime.fromtimestamp(self.created, UTC).strftime("%Y-%m-%d %H:%M UTC") if self.created else "?"
        return f"{self.status_words} at {self.percentage}%, started {started}"


@dataclass(frozen=True)
class Quota:
    daily_limit: int
    used: int
    remain: int
