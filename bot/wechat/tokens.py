"""Access tokens from WeChat's stable_token endpoint, which does not invalidate other replicas' tokens."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.wechat.errors import WeChatError
from bot.wechat.http import Transport

# Refresh this long before WeChat's stated expiry so no call races the deadline.
_REFRESH_MARGIN_SECONDS = 300


class TokenSource(Protocol):
    def token(self) -> str: ...

    def replace(self, rejected: str) -> str:
        """Return a token other than `rejected`, which WeChat has just refused."""
        ...


@dataclass
class _Cached:
    value: str
    expires_at: float


class StableTokenSource:
    """`POST /cgi-bin/stable_token` with the mini program's own AppID and AppSecret, cached in-process."""

    def __init__(
        self, transport: Transport, appid: str, secret: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._transport = transport
        self._appid = appid
        self._secret = secret
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: _Cached | None = None

    def token(self) -> str:
        with self._lock:
            if self._cached is None or self._clock() >= self._cached.expires_at:
                self._cached = self._fetch(force_refresh=False)
            return self._cached.value

    def replace(self, rejected: str) -> str:
        with self._lock:
            if self._cached is not None and self._cached.value != rejected:
                return self._cached.value  # another thread already replaced it
            fresh = self._fetch(force_refresh=False)
            if fresh.value == rejected:
                # WeChat still hands out the token it just refused: only a forced refresh gets a new one.
                fresh = self._fetch(force_refresh=True)
            self._cached = fresh
            return fresh.value

    def _fetch(self, *, force_refresh: bool) -> _Cached:
        body = self._transport.post_json(
            "/cgi-bin/stable_token",
            params={},
            payload={
                "grant_type": "client_credential",
                "appid": self._appid,
                "secret": self._secret,
                "force_refresh": force_refresh,
            },
        )
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise WeChatError(int(body.get("errcode", -1)), str(body.get("errmsg", "no access_token")))
        expires_in = int(body.get("expires_in", 7200))
        return _Cached(token, self._clock() + max(expires_in - _REFRESH_MARGIN_SECONDS, 60))
