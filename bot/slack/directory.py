"""Members of Slack user groups, and whether a user is a guest, for approver policies, cached briefly to spare the
Web API."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.rollback.model import Person

CACHE_SECONDS = 60.0

log = logging.getLogger(__name__)


class SlackUserGroups:
    def __init__(self, client: WebClient, cache_seconds: float = CACHE_SECONDS) -> None:
        self._client = client
        self._cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}

    def members(self, group_id: str) -> frozenset[str]:
        with self._lock:
            cached = self._cache.get(group_id)
        if cached is not None and time.monotonic() < cached[0]:
            return cached[1]
        users = self._client.usergroups_users_list(usergroup=group_id)["users"]
        members = frozenset(str(user) for user in users)
        with self._lock:
            self._cache[group_id] = (time.monotonic() + self._cache_seconds, members)
        return members


STALE_FALLBACK_SECONDS = 24 * 3600.0  # a known answer older than the cache still stands in while Slack is down


class PersonUnknown(Exception):
    """Slack did not answer users.info and nothing recent is known of the user: the rules refuse the click."""


READ_AHEAD_SECONDS = 30 * 60.0  # how often the approvers named by the policies are read ahead of any click


class SlackPeople:
    """Whether a user is a guest or of another organisation, from users.info, cached briefly (a guest made a full
    member, or the reverse, counts within a minute).

    A refusal by Slack (`user_not_found`, a missing `users:read` scope) raises: the rules refuse the click. When
    Slack does not answer at all (an outage: no connection, HTTP 5xx, rate-limited past the retries), the last
    answer known for that user (up to a day old) stands in; for someone not seen in that time it raises too, so a
    guest is never let through unchecked. So that an outage does not lock the approvers out, the approvers the
    policies name (listed, or members of the approver group) are read ahead every half hour by the sweeper."""

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

    def read_ahead(self, user_ids: Iterable[str]) -> None:
        """Read, at most every READ_AHEAD_SECONDS, the people who may need to approve during a Slack outage."""
        with self._lock:
            now = time.monotonic()
            if self._ahead_at is not None and now < self._ahead_at + READ_AHEAD_SECONDS:
                return
            self._ahead_at = now
        for user_id in sorted(set(user_ids)):
            try:
                self.person(user_id)
            except Exception as error:  # only a head start: the click reads again
                log.warning("could not read %s ahead of a click: %s", user_id, type(error).__name__)

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


def _unanswered(error: Exception) -> bool:
    """Slack did not answer the question (down, unreachable, rate-limited): not a refusal of it."""
    if isinstance(error, SlackApiError):
        status = error.response.status_code
        return status >= 500 or status == 429 or error.response.get("error") in ("ratelimited", "service_unavailable")
    return isinstance(error, OSError | TimeoutError)
