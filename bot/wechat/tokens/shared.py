"""Access tokens cached in the database every replica shares, refreshed by one replica at a time.

Several processes each fetching their own token invalidate each other (the classic multi-instance bug);
here a replica fetches only while it holds the row's lease, taken by compare-and-set, and everyone else
waits for the token it saves.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.store.token_store import StoredToken, TokenStore
from bot.wechat.errors import Unavailable, WeChatUnavailable
from bot.wechat.tokens.fetchers import TokenFetcher

log = logging.getLogger(__name__)

# Refresh this long before WeChat's stated expiry, so no call races the deadline; short-lived tokens (from a
# central service, say) are refreshed after half their life instead.
REFRESH_MARGIN = timedelta(minutes=5)
# A replica that dies holding the lease blocks the others at most this long.
LEASE = timedelta(seconds=30)
WAIT_POLL_SECONDS = 0.05


class SharedTokenCache:
    def __init__(
        self,
        fetcher: TokenFetcher,
        store: TokenStore,
        clock: Callable[[], datetime],
        sleep: Callable[[float], None] = time.sleep,
        observe: Callable[[str, bool], None] | None = None,
    ) -> None:
        """`observe(key, ok)`: told of each fetch from the source, for the metrics."""
        self._observe = observe
        self._fetcher = fetcher
        self._store = store
        self._clock = clock
        self._sleep = sleep
        self._owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._memo: StoredToken | None = None
        self._memo_lock = threading.Lock()
        # One thread per replica goes to the database for a token; the others wait here, then find it in memory.
        self._obtaining = threading.Lock()
        self._store.ensure(fetcher.key)

    @property
    def key(self) -> str:
        return self._fetcher.key

    def token(self) -> str:
        fresh = self._fresh_memo(rejected=None)
        if fresh is not None:
            return fresh
        with self._obtaining:
            return self._fresh_memo(rejected=None) or self._obtain(rejected=None)

    def replace(self, rejected: str) -> str:
        with self._obtaining:
            fresh = self._fresh_memo(rejected)  # another thread here may have replaced it already
            if fresh is not None:
                return fresh
            log.info("WeChat refused the token for %s; getting a new one", self.key)
            return self._obtain(rejected=rejected)

    def _fresh_memo(self, rejected: str | None) -> str | None:
        with self._memo_lock:
            memo = self._memo
        if memo is not None and self._fresh(memo) and memo.value != rejected:
            return memo.value
        return None

    def _obtain(self, rejected: str | None) -> str:
        deadline = time.monotonic() + LEASE.total_seconds()
        while True:
            stored = self._store.get(self.key)
            if stored is not None and self._fresh(stored) and stored.value != rejected:
                return self._remember(stored)
            now = self._clock()
            if self._store.take_lease(self.key, self._owner, now, now + LEASE, rejected=rejected):
                return self._refresh(rejected)
            if time.monotonic() >= deadline:
                raise WeChatUnavailable(Unavailable.TOKEN_WAIT)
            self._sleep(WAIT_POLL_SECONDS)  # another replica is refreshing: wait for its token

    def _refresh(self, rejected: str | None) -> str:
        try:
            fetched = self._fetcher.fetch(rejected)
        except BaseException:
            self._fetched(ok=False)
            self._store.release(self.key, self._owner)
            raise
        self._fetched(ok=True)
        now = self._clock()
        lifetime = timedelta(seconds=fetched.expires_in)
        stored = StoredToken(fetched.value, now + lifetime, now + max(lifetime - REFRESH_MARGIN, lifetime / 2))
        self._store.save(self.key, self._owner, stored, now)
        log.info("fetched a new access token for %s (valid %d s)", self.key, fetched.expires_in)
        return self._remember(stored)

    def _fetched(self, ok: bool) -> None:
        if self._observe is not None:
            self._observe(self.key, ok)

    def _remember(self, stored: StoredToken) -> str:
        with self._memo_lock:
            self._memo = stored
        return stored.value

    def _fresh(self, stored: StoredToken) -> bool:
        return self._clock() < stored.refresh_after
