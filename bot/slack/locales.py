"""A person's own Slack language (USER_LOCALE=true), for what is said to them alone: ephemeral replies, modals,
their App Home. Channel messages keep the mini program's language.

users.info with include_locale=true answers the user's `locale` ("zh-CN", "en-US": docs.slack.dev/reference/
methods/users.info, "include_locale"), cached a while: a changed preference counts within the hour. It is read
before the listener acknowledges Slack (whose deadline is 3 seconds), so on a client of its own that waits at most
LOOKUP_TIMEOUT seconds and never retries: a slow or failing Slack costs that once a minute per person at most, and
the reply is then in the mini program's language.
"""

from __future__ import annotations

import logging
import threading
import time

from slack_sdk import WebClient

from bot.i18n import language_code

CACHE_SECONDS = 3600.0
LOOKUP_TIMEOUT = 1  # seconds
RETRY_AFTER_SECONDS = 60.0  # after a failed read, the program's language until then

log = logging.getLogger(__name__)


class SlackLocales:
    def __init__(self, client: WebClient, cache_seconds: float = CACHE_SECONDS) -> None:
        self._client = WebClient(token=client.token, base_url=client.base_url, timeout=LOOKUP_TIMEOUT)
        self._cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, str | None]] = {}

    def language(self, user_id: str) -> str | None:
        """The bot's language nearest the person's Slack locale; None when theirs is neither, or Slack cannot say
        (then the program's language is used: a reply is never held up for this)."""
        with self._lock:
            cached = self._cache.get(user_id)
        if cached is not None and time.monotonic() < cached[0] + self._cache_seconds:
            return cached[1]
        try:
            user = self._client.users_info(user=user_id, include_locale=True)["user"]
        except Exception as error:
            log.info("could not read the locale of %s (%s); answering in the program's language", user_id, error)
            known = cached[1] if cached is not None else None
            with self._lock:  # tried again after a minute, not at every click meanwhile
                self._cache[user_id] = (time.monotonic() - self._cache_seconds + RETRY_AFTER_SECONDS, known)
            return known
        locale = user.get("locale") if isinstance(user, dict) else None
        language = language_code(locale) if isinstance(locale, str) else None
        with self._lock:
            self._cache[user_id] = (time.monotonic(), language)
        return language
