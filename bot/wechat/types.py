"""Plain data returned by the WeChat client; free of HTTP so the workflow can use it."""

from __future__ import annotations

from dataclasses import dataclass


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


@dataclass(frozen=True)
class GrayReleasePlan:
    status: int  # 0 initial, 1 running, 2 paused, 3 done, 4 deleted
    percentage: int

    @property
    def blocks_rollback(self) -> bool:
        # WeChat refuses a rollback (87011) while a phased release is running or paused.
        return self.status in (1, 2)


@dataclass(frozen=True)
class Quota:
    daily_limit: int
    used: int
    remain: int
