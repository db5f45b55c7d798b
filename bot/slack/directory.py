"""Members of Slack user groups, for approver policies, cached briefly to spare the Web API."""

from __future__ import annotations

import threading
import time

from slack_sdk import WebClient

CACHE_SECONDS = 60.0


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
