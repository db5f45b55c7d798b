"""The token side of the fake WeChat: credentials, tickets and every kind of token, on a clock tests can move.

Kept true to these pages of developers.weixin.qq.com (and WeChat staff's answers in its forum where a page is
silent):
- getStableAccessToken (doc/service/api/base/api_getstableaccesstoken;
  minigame/dev/api-backend/open-api/access-token/auth.getStableAccessToken.html): normal mode hands back the
  same token while it is valid and a new one in its last 5 minutes, both valid meanwhile, so `expires_in` is
  the lifetime LEFT, at least 300; `force_refresh=true` invalidates the token issued before and returns a new
  one, at most 20 times a day; calls in that mode must be at least 30 s apart, "否则不会刷新" (else nothing is
  refreshed): within 30 s of the last forced refresh the current token comes back, as in normal mode. The page names the
  daily limit but not its errcode; the fake answers 45009, WeChat's daily-quota code.
- getAccessToken (cgi-bin/token; doc/service/guide/dev/api): each fetch replaces the previous token, and for
  5 minutes "新老access_token都可用" (old and new both work). It is independent of stable_token.
- component_access_token and authorizer_access_token (doc/oplatform/openApi/ticket-token/
  api_getcomponentaccesstoken and api_getauthorizeraccesstoken; staff: "旧的component_access_token还有5分钟的
  过渡期"): valid 2 h, each fetch makes a new one and the old one works 5 more minutes.
- authorizer_refresh_token (doc/knowledge/07e2d7fc2d6a1edf): valid as long as the mini program does not revoke
  the authorization ("一直有效"), and changes only when it authorizes the platform again, after which the old one works
  5 more minutes (staff); so a fetch returns the same refresh token. `reauthorize` changes it.

Time: `clock.advance(seconds)` moves the fake's clock, so tests reach expiry or the end of a grace period
without waiting. `expire_tokens` and friends remain as shortcuts.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from tests.fakes import configured, issued
from tests.fakes.wechat_errors import error

LIFETIME = 7200.0  # seconds, for every kind of token
GRACE = 300.0  # a replaced token keeps working this long
STABLE_RENEWS_WITHIN = 300.0  # normal-mode stable_token hands out a new token in its last 5 minutes
FORCE_INTERVAL = 30.0  # a forced refresh within this long of the last one refreshes nothing
FORCE_PER_DAY = 20
DAY = 86_400.0

STABLE, PLAIN, SERVICE, COMPONENT = "stable", "plain", "service", "component"


class FakeClock:
    """Real monotonic time plus however far tests have moved it."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds


@dataclass
class _Token:
    kind: str  # STABLE, PLAIN, SERVICE, COMPONENT, or "authorizer:<appid>"
    expires_at: float
    dead_at: float | None = None  # replaced or invalidated: refused with 40001 from then on

    def errcode(self, now: float) -> int:
        if self.dead_at is not None and now >= self.dead_at:
            return 40001  # "invalid or not latest"
        return 42001 if now >= self.expires_at else 0


class FakeTokenIssuer:
    def __init__(self, appid: str, secret: str, component_appid: str, component_secret: str) -> None:
        self.appid = appid
        self.secret = configured(secret)
        self.component_appid = component_appid
        self.component_secret = configured(component_secret)
        self.clock = FakeClock()
        self.verify_ticket = issued(f"ticket@@@{secrets.token_urlsafe(24)}")  # the one WeChat pushed last
        self._expired_tickets: set[str] = set()
        # authorizer AppID -> its refresh token; assigning one here is a re-authorization whose old token is dead.
        self.authorizer_refresh_tokens: dict[str, str] = {appid: configured(f"refresh-{secrets.token_urlsafe(24)}")}
        self._retired_refresh: dict[str, tuple[str, float]] = {}  # appid -> (old refresh token, accepted until)
        self.token_fetches = 0  # access tokens issued, of any kind
        self.component_token_fetches = 0
        self.authorizer_token_fetches = 0
        self._tokens: dict[str, _Token] = {}  # access tokens
        self._component_tokens: dict[str, _Token] = {}
        self._stable: str | None = None  # what normal-mode stable_token hands out
        self._forced_at: list[float] = []  # when forced refreshes refreshed
        self._lock = threading.Lock()

    # --- test controls
    def issue_token(self) -> str:
        """A new access token, as a central token service would get; it replaces nothing."""
        with self._lock:
            return self._issue(SERVICE)

    def expire_tokens(self) -> None:
        with self._lock:
            now = self.clock.now()
            for token in self._tokens.values():
                token.expires_at = min(token.expires_at, now)

    def expire_component_tokens(self) -> None:
        with self._lock:
            now = self.clock.now()
            for token in self._component_tokens.values():
                token.expires_at = min(token.expires_at, now)

    def expire_ticket(self) -> str:
        """WeChat pushes a new ticket; the old one now answers 61005. Returns the new one."""
        with self._lock:
            self._expired_tickets.add(self.verify_ticket)
            self.verify_ticket = issued(f"ticket@@@{secrets.token_urlsafe(24)}")
            return self.verify_ticket

    def reauthorize(self, appid: str | None = None) -> str:
        """The mini program authorizes the platform again: a new refresh token, the old one good for GRACE more."""
        appid = appid or self.appid
        with self._lock:
            self._retired_refresh[appid] = (self.authorizer_refresh_tokens[appid], self.clock.now() + GRACE)
            fresh = issued(f"refresh-{secrets.token_urlsafe(24)}")
            self.authorizer_refresh_tokens[appid] = fresh
            return fresh

    # --- inspection
    @property
    def valid_tokens(self) -> set[str]:
        with self._lock:
            now = self.clock.now()
            return {value for value, token in self._tokens.items() if token.errcode(now) == 0}

    @property
    def valid_component_tokens(self) -> set[str]:
        with self._lock:
            now = self.clock.now()
            return {value for value, token in self._component_tokens.items() if token.errcode(now) == 0}

    def issued(self, token: str | None) -> bool:
        with self._lock:
            return token in self._tokens

    def check_access_token(self, token: str | None) -> dict[str, Any] | None:
        """None when `token` may call the /wxa/ APIs, else WeChat's refusal."""
        if not token:
            return error(41001)
        with self._lock:
            known = self._tokens.get(token)
            errcode = known.errcode(self.clock.now()) if known else 40001
        return error(errcode) if errcode else None

    # --- endpoints
    def stable_token(self, body: dict[str, Any]) -> dict[str, Any]:
        refused = self._credentials_error(body.get("appid"), body.get("secret"), body.get("grant_type"))
        if refused:
            return refused
        with self._lock:
            now = self.clock.now()
            current = self._tokens.get(self._stable) if self._stable else None
            usable = current is not None and current.errcode(now) == 0
            if body.get("force_refresh") is True and not self._within_force_interval(now):
                if len([at for at in self._forced_at if now - at < DAY]) >= FORCE_PER_DAY:
                    return error(45009)
                self._forced_at.append(now)
                if current is not None:
                    current.dead_at = now  # "会导致上次获取的 access_token 失效": at once, no overlap
                return self._new_stable(now)
            if not usable or current is None or current.expires_at - now <= STABLE_RENEWS_WITHIN:
                return self._new_stable(now)  # the old one, if any, stays valid until it expires
            return {"access_token": self._stable, "expires_in": int(current.expires_at - now)}

    def plain_token(self, query: dict[str, str]) -> dict[str, Any]:
        refused = self._credentials_error(query.get("appid"), query.get("secret"), query.get("grant_type"))
        if refused:
            return refused
        with self._lock:
            return {"access_token": self._replace(self._tokens, PLAIN), "expires_in": int(LIFETIME)}

    def component_token(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if body.get("component_appid") != self.component_appid:
                return error(40013)
            if body.get("component_appsecret") != self.component_secret:
                return error(40125)
            ticket = body.get("component_verify_ticket")
            if ticket in self._expired_tickets:
                return error(61005)
            if ticket != self.verify_ticket:
                return error(61006)
            self.component_token_fetches += 1
            token = self._replace(self._component_tokens, COMPONENT)
            return {"component_access_token": token, "expires_in": int(LIFETIME)}

    def authorizer_token(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            now = self.clock.now()
            component = query.get("component_access_token")
            if not component:
                return error(41001)
            known = self._component_tokens.get(component)
            errcode = known.errcode(now) if known else 40001
            if errcode:
                return error(errcode)
            if body.get("component_appid") != self.component_appid:
                return error(40013)
            authorizer = body.get("authorizer_appid")
            if not isinstance(authorizer, str) or authorizer not in self.authorizer_refresh_tokens:
                return error(61003)
            if not self._accepts_refresh(authorizer, body.get("authorizer_refresh_token"), now):
                return error(61023)
            self.authorizer_token_fetches += 1
            token = self._replace(self._tokens, f"authorizer:{authorizer}")
            # Not rotated: the refresh token WeChat holds now, the same one unless re-authorized.
            refresh = self.authorizer_refresh_tokens[authorizer]
            return {"authorizer_access_token": token, "expires_in": int(LIFETIME), "authorizer_refresh_token": refresh}

    # --- internals (called with the lock held)
    def _credentials_error(self, appid: Any, secret: Any, grant_type: Any) -> dict[str, Any] | None:
        if grant_type != "client_credential":
            return error(40002)
        if appid != self.appid:
            return error(40013)
        if secret != self.secret:
            return error(40125)
        return None

    def _within_force_interval(self, now: float) -> bool:
        return bool(self._forced_at) and now - self._forced_at[-1] < FORCE_INTERVAL

    def _new_stable(self, now: float) -> dict[str, Any]:
        self._stable = self._issue(STABLE)
        return {"access_token": self._stable, "expires_in": int(self._tokens[self._stable].expires_at - now)}

    def _issue(self, kind: str) -> str:
        value = issued(secrets.token_urlsafe(48))  # 64 characters, like WeChat's long opaque tokens
        self._tokens[value] = _Token(kind, self.clock.now() + LIFETIME)
        self.token_fetches += 1
        return value

    def _replace(self, tokens: dict[str, _Token], kind: str) -> str:
        """A new token of `kind`; the earlier ones of that kind stop working after GRACE."""
        now = self.clock.now()
        for token in tokens.values():
            if token.kind == kind and token.dead_at is None:
                token.dead_at = now + GRACE
        if tokens is self._tokens:
            return self._issue(kind)
        value = issued(secrets.token_urlsafe(48))
        tokens[value] = _Token(kind, now + LIFETIME)
        return value

    def _accepts_refresh(self, authorizer: str, refresh: Any, now: float) -> bool:
        if refresh == self.authorizer_refresh_tokens[authorizer]:
            return True
        retired, until = self._retired_refresh.get(authorizer, ("", 0.0))
        return bool(retired) and refresh == retired and now < until
