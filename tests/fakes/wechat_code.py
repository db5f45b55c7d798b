"""The code-management side of the fake WeChat: one mini program's versions and phased release.

Sources: revertCodeRelease (doc/oplatform/en/openApi/OpenApiDoc/miniprogram-management/code-management/
revertCodeRelease.html) and get_history_version (doc/oplatform/Third-party_Platforms/2.0/api/code/
get_history_version.html): five versions kept, one rollback per release, the list OLDEST FIRST by commit_time
as the page's example answer shows; getversioninfo as ../shared/wechat-api.md describes it.

Phased (gray) releases, from getgrayreleaseplan (doc/oplatform/Third-party_Platforms/2.0/api/code/
getgrayreleaseplan.html; miniprogram/dev/server/API/operation/api_getgrayreleaseplan.html): the plan's `status`
is 0 initial, 1 running, 2 paused, 3 done, 4 deleted, with `create_timestamp`, `gray_percentage`,
`support_experiencer_first` and `support_debuger_first`. revertgrayrelease (.../api/code/revertgrayrelease.html)
cancels it "at any time during the phased release", and the users it reached return to the version released
before it: here status 4, and the phased version never goes online. While one runs or is paused, a rollback is
refused with 87011 ("wxa has a gray release plan, forbid revert release").

Where the documentation is silent the fake chooses, and says so: getversioninfo's release_info keeps showing the
version released before the phased one until the plan is done (status 3), when the phased version is released to
everyone.

What getgrayreleaseplan answers after revertgrayrelease is not documented (checked 2026-12-06: the getgrayreleaseplan
pages of the platform and server API documentation, in Chinese and English, list the statuses 0-4 with one example
answer at status 1; revertgrayrelease's page says only that it cancels the plan; no public SDK or forum thread shows
an answer read after a revert). Status 4 ("deleted") is the natural reading, but 0 ("initial": no plan), or no
`gray_release_plan` at all, are as plausible; `after_revert` picks one ("deleted" by default, "initial", "absent"),
and the bot must take any of them for a stopped plan. `create_timestamp` is listed but not marked required: a
plan started with `created=0` answers without it.

Test controls for what people do in the admin console, outside the bot: `release`, `rollback_outside`,
`start_phased_release`, `pause_phased_release`, `resume_phased_release` and `finish_phased_release`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from tests.fakes.wechat_errors import error

REVERT = "/wxa/revertcoderelease"

KEPT_VERSIONS = 5
DAILY_LIMIT = 1000
# revertgrayrelease with no phased release running or paused is an error, but neither its page (which lists
# only -1, 0 and 40001) nor public code or issues show the errcode: this one is the fake's choice, not WeChat's.
NO_GRAY_PLAN = 40097


@dataclass
class FakeVersion:
    app_version: int
    user_version: str
    user_desc: str
    commit_time: int


class FakeMiniProgram:
    """State and answers of the code-management APIs; the fake WeChat routes HTTP calls here."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.online: FakeVersion | None = None
        self.history: list[FakeVersion] = []  # rollback-eligible, most recently released or rolled back first
        self.rolled_back = False  # the online version came from a rollback: no second one
        self.gray_status = 0
        self.gray_percentage = 0
        self.gray_created = 0
        self.gray_experiencer_first = False
        self.gray_debuger_first = False
        self.gray_version: FakeVersion | None = None  # what the phased release ships, until done or deleted
        self.after_revert = "deleted"  # what getgrayreleaseplan answers after a revert: "deleted", "initial", "absent"
        self._next_app_version = 100

    def release(self, user_version: str, user_desc: str = "", commit_time: int | None = None) -> FakeVersion:
        """A full release, as from the admin console (outside the bot)."""
        with self._lock:
            when = int(time.time()) if commit_time is None else commit_time
            version = FakeVersion(self._next_app_version, user_version, user_desc, when)
            self._next_app_version += 1
            self._go_online(version)
            return version

    def _go_online(self, version: FakeVersion) -> None:
        # Called with the lock held.
        if self.online is not None:
            # WeChat keeps the most recently released or rolled-back versions.
            self.history = [self.online, *(v for v in self.history if v.app_version != self.online.app_version)]
        del self.history[KEPT_VERSIONS:]
        self.online = version
        self.rolled_back = False

    def set_gray_release(self, status: int, percentage: int = 10) -> None:
        """Put the plan straight into `status` (0-4), a new plan created now (no phased version behind it)."""
        with self._lock:
            self.gray_status, self.gray_percentage = status, percentage
            self.gray_created = int(time.time())

    def start_phased_release(
        self,
        user_version: str,
        percentage: int = 10,
        *,
        experiencer_first: bool = False,
        debuger_first: bool = False,
        created: int | None = None,
    ) -> FakeVersion:
        """A phased release started from the admin console: running (status 1) at `percentage`."""
        with self._lock:
            when = int(time.time()) if created is None else created
            version = FakeVersion(self._next_app_version, user_version, "", when)
            self._next_app_version += 1
            self.gray_version = version
            self.gray_status, self.gray_percentage, self.gray_created = 1, percentage, when
            self.gray_experiencer_first, self.gray_debuger_first = experiencer_first, debuger_first
            return version

    def pause_phased_release(self) -> None:
        with self._lock:
            if self.gray_status == 1:
                self.gray_status = 2

    def resume_phased_release(self, percentage: int | None = None) -> None:
        with self._lock:
            if self.gray_status in (1, 2):
                self.gray_status = 1
                self.gray_percentage = self.gray_percentage if percentage is None else percentage

    def finish_phased_release(self) -> None:
        """The plan reaches everyone (status 3): its version is released."""
        with self._lock:
            if self.gray_status not in (1, 2):
                return
            self.gray_status, self.gray_percentage = 3, 100
            if self.gray_version is not None:
                self._go_online(self.gray_version)
                self.gray_version = None

    def rollback_outside(self, app_version: int | None = None) -> dict[str, Any]:
        """A rollback from the admin console, with WeChat's rules (87011, 87012): WeChat's answer."""
        with self._lock:
            return self._rollback(None if app_version is None else str(app_version))

    # --- answers
    def revert(self, query: dict[str, str]) -> dict[str, Any]:
        action = query.get("action")
        with self._lock:
            if action == "get_history_version":  # action wins over app_version: nothing is rolled back
                versions = [] if self.rolled_back else self.history
                # Oldest first by commit_time, as the API page's example answer lists them.
                oldest_first = sorted(versions, key=lambda v: (v.commit_time, v.app_version))
                return {
                    "errcode": 0,
                    "errmsg": "ok",
                    "version_list": [
                        {
                            "app_version": v.app_version,
                            "user_version": v.user_version,
                            "user_desc": v.user_desc,
                            "commit_time": v.commit_time,
                        }
                        for v in oldest_first
                    ],
                }
            if action is not None:
                return error(40097)
            return self._rollback(query.get("app_version"))

    def _rollback(self, app_version: str | None) -> dict[str, Any]:
        # Called with the lock held.
        wanted: int | None = None
        if app_version is not None:
            try:
                wanted = int(app_version)
            except ValueError:
                return error(40097)
        if self.gray_status in (1, 2):
            return error(87011)
        if self.online is None or not self.history or self.rolled_back:
            return error(87012)
        found = [v for v in self.history if wanted is None or v.app_version == wanted]
        if not found:
            return error(87012)
        target = found[0]
        # The version rolled away from is dropped; the target is online now, so no longer eligible history.
        self.history = [v for v in self.history if v.app_version != target.app_version]
        self.online = target
        self.rolled_back = True
        return error(0)

    def version_info(self, raw: bytes) -> dict[str, Any]:
        if not raw:
            return error(44002)
        with self._lock:
            answer: dict[str, Any] = {"errcode": 0, "errmsg": "ok"}
            if self.online is not None:
                answer["release_info"] = {
                    "release_time": self.online.commit_time,
                    "release_version": self.online.user_version,
                    "release_desc": self.online.user_desc,
                }
            return answer

    def gray_plan(self) -> dict[str, Any]:
        with self._lock:
            if self.gray_status == 4 and self.after_revert == "absent":
                return {"errcode": 0, "errmsg": "ok"}
            status = 0 if self.gray_status == 4 and self.after_revert == "initial" else self.gray_status
            plan: dict[str, Any] = {
                "status": status,
                "gray_percentage": self.gray_percentage if status else 0,
                "support_experiencer_first": self.gray_experiencer_first,
                "support_debuger_first": self.gray_debuger_first,
            }
            if self.gray_created and status:  # a plan without one (created=0), or none left: no create_timestamp
                plan["create_timestamp"] = self.gray_created
            return {"errcode": 0, "errmsg": "ok", "gray_release_plan": plan}

    def revert_gray(self) -> dict[str, Any]:
        with self._lock:
            if self.gray_status not in (1, 2):  # nothing running or paused to cancel
                return error(NO_GRAY_PLAN)
            # The users the phased release reached go back to the version before it, which stays online.
            self.gray_status = 4
            self.gray_version = None
        return error(0)

    def quota(self, body: Any, rollback_calls: int) -> dict[str, Any]:
        path = body.get("cgi_path") if isinstance(body, dict) else None
        if not isinstance(path, str) or not path:
            return error(40097)
        used = rollback_calls if path == REVERT else 0
        quota = {"daily_limit": DAILY_LIMIT, "used": used, "remain": DAILY_LIMIT - used}
        return {"errcode": 0, "errmsg": "ok", "quota": quota}
