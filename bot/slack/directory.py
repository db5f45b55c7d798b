"""Members of Slack user groups, and whether a user is a guest, for approver policies, cached briefly to spare the
Web API."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.rollback.model import Person

CACHE_SECONDS = 60.0
STALE_FALLBACK_SECONDS = 24 * 3600.0  # a known answer older than the cache still stands in while Slack is down

log = logging.getLogger(__name__)


class SlackUserGroups:
    def __init__(self, client: WebClient, cache_seconds: float = CACHE_SECONDS) -> None:
        self._client = client
        self._cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}

    def members(self, group_id: str) -> frozenset[str]:
        """The group's members, read at most every `cache_seconds`; while Slack does not answer, the members last
        read (up to a day ago) stand in, as for users.info."""
        with self._lock:
            cached = self._cache.get(group_id)
        if cached is not None and time.monotonic() < cached[0] + self._cache_seconds:
            return cached[1]
        try:
            users = self._client.usergroups_users_list(usergroup=group_id)["users"]
        except Exception as error:
            if cached is None or not _unanswered(error) or time.monotonic() >= cached[0] + STALE_FALLBACK_SECONDS:
                raise
            log.warning("usergroups.users.list did not answer (%s); using the members last read", _why(error))
            return cached[1]
        members = frozenset(str(user) for user in users)
        with self._lock:
            self._cache[group_id] = (time.monotonic(), members)
        return members


class PersonUnknown(Exception):
    """Slack did not answer users.info and nothing recent is known of the user: the rules refuse the click."""


READ_AHEAD_SECONDS = 30 * 60.0  # how often the approvers named by the policies are read ahead of any click
READ_AHEAD_PACE = 1.0  # seconds between two of those reads


class SlackPeople:
    """Whether a user is a guest or of another organisation, from users.info, cached briefly (a guest made a full
        member, or the reverse, counts within a minute).

        A refusal by Slack (`user_not_found`, a missing `users:read` scope) raises: the rules refuse the click. When
        Slack does not answer at all (an outage: no connection, HTTP 5xx, rate-limited past the retries), the last
        answer known for that user (up to a day old) stands in; for someone not seen in that time it raises too, so a
        guest is never let through unchecked. So that an outage does not lock the approvers out, the approvers the
        policies name (listed, or members of the approver group) are read ahead every half hour, in a thread of its
    own (bot.slack.sweeper), paced so as not to take the clicks' share of Slack's rate limit."""

    def __init__(self, client: WebClient, cache_seconds: float = CACHE_SECONDS) -> None:
        self._client = client
        self._cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, Person]] = {}  # by user: when it was read (monotonic), and the answer
        self._home: tuple[str, str | None] | None = None  # this workspace's team and enterprise IDs
        self._ahead_at: float | None = None  # when the approvers were last read ahead (monotonic)

    def person(self, user_id: str) -> Person:
        with self._lock:
            cached = self._cache.get(user_id)
        if cached is not None and time.monotonic() < cached[0] + self._cache_seconds:
            return cached[1]
        try:
            user = self._client.users_info(user=user_id)["user"]
            external = self._external(user)
        except Exception as error:
            if not _unanswered(error):
                raise
            return self._without_slack(user_id, cached, error)
        person = Person(
            user_id, guest=bool(user.get("is_restricted") or user.get("is_ultra_restricted")), external=external
        )
        with self._lock:
            self._cache[user_id] = (time.monotonic(), person)
        return person

    def _without_slack(self, user_id: str, cached: tuple[float, Person] | None, error: Exception) -> Person:
        if cached is not None and time.monotonic() < cached[0] + STALE_FALLBACK_SECONDS:
            log.warning("users.info did not answer (%s); using what was known of %s", type(error).__name__, user_id)
            return cached[1]
        raise PersonUnknown(f"users.info did not answer ({type(error).__name__}) and {user_id} is not known")

    def read_ahead_due(self) -> bool:
        """Whether READ_AHEAD_SECONDS have passed since the last read-ahead began; if so, it begins now."""
        with self._lock:
            now = time.monotonic()
            if self._ahead_at is not None and now < self._ahead_at + READ_AHEAD_SECONDS:
                return False
            self._ahead_at = now
            return True

    def read_ahead(self, user_ids: Iterable[str], stopped: Callable[[float], bool] = lambda _: False) -> None:
        """Read the people who may need to approve during a Slack outage, one every READ_AHEAD_PACE seconds
        (users.info allows about 100 calls a minute to the app, clicks included); `stopped(seconds)` waits that
        long between reads and says whether to give up."""
        for number, user_id in enumerate(sorted(set(user_ids))):
            if number and stopped(READ_AHEAD_PACE):
                return
            with self._lock:
                cached = self._cache.get(user_id)
            if cached is not None and time.monotonic() < cached[0] + self._cache_seconds:
                continue
            try:
                self.person(user_id)
            except Exception as error:  # only a head start: the click reads again
                log.warning("could not read %s ahead of a click: %s", user_id, _why(error))

    def _external(self, user: dict[str, Any]) -> bool:
        """Of another organisation: Slack says so (`is_stranger`), or the user's team is neither this workspace
        nor another workspace of the same Enterprise Grid organisation."""
        if user.get("is_stranger"):
            return True
        team, enterprise = self._workspace()
        if not user.get("team_id") or user.get("team_id") == team:
            return False
        theirs = (user.get("enterprise_user") or {}).get("enterprise_id") or user.get("enterprise_id")
        return not (enterprise and theirs == enterprise)

    def _workspace(self) -> tuple[str, str | None]:
        if self._home is None:
            answer = self._client.auth_test()
            self._home = (str(answer["team_id"]), answer.get("enterprise_id") or None)
        return self._home


# Slack's common errors that say it failed, not that the question was wrong (api.slack.com/web#errors).
_SLACK_FAILED = ("ratelimited", "service_unavailable", "internal_error", "fatal_error", "request_timeout")


def _unanswered(error: Exception) -> bool:
    """Slack did not answer the question (down, unreachable, rate-limited, failing): not a refusal of it."""
    if isinstance(error, SlackApiError):
        status = error.response.status_code
        return status >= 500 or status == 429 or error.response.get("error") in _SLACK_FAILED
    return isinstance(error, OSError | TimeoutError)


def _why(error: Exception) -> str:
    code = error.response.get("error") if isinstance(error, SlackApiError) else None
    return str(code or type(error).__name__)
