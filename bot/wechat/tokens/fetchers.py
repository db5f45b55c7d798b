"""One fetch of a new access token from wherever the configured source keeps it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from bot.wechat.errors import Unavailable, WeChatUnavailable, error_for
from bot.wechat.http import Transport


@dataclass(frozen=True)
class FetchedToken:
    value: str
    expires_in: int  # seconds


class TokenFetcher(Protocol):
    key: str  # names the token in the shared cache, e.g. "stable:wx123"

    def fetch(self, rejected: str | None) -> FetchedToken:
        """A token; when `rejected` is given WeChat has just refused it, so it must not be returned again."""
        ...


class StableTokenFetcher:
    """`POST /cgi-bin/stable_token` with the mini program's own AppID and AppSecret.

    Unlike `cgi-bin/token`, a normal-mode call does not invalidate tokens other processes hold.
    """

    def __init__(self, transport: Transport, appid: str, secret: str) -> None:
        self.key = f"stable:{appid}"
        self._transport = transport
        self._appid = appid
        self._secret = secret

    def fetch(self, rejected: str | None) -> FetchedToken:
        fetched = self._call(force_refresh=False)
        if rejected is not None and fetched.value == rejected:
            # WeChat still hands out the token it just refused: only a forced refresh (20 a day) gets a new one.
            fetched = self._call(force_refresh=True)
            if fetched.value == rejected:
                # A forced refresh within 30 s of the last one refreshes nothing (getStableAccessToken's page).
                raise error_for(40001, "WeChat kept the refused token: a forced refresh within 30 s refreshes nothing")
        return fetched

    def _call(self, *, force_refresh: bool) -> FetchedToken:
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
        return token_from(body, "access_token")


def token_from(body: dict[str, Any], field: str) -> FetchedToken:
    """Read `{field, expires_in}` from a token endpoint's answer, or raise WeChat's error."""
    value = body.get(field)
    if isinstance(value, str) and value:
        try:
            expires_in = int(body.get("expires_in", 7200))
        except (TypeError, ValueError):
            raise WeChatUnavailable(Unavailable.TOKEN_EXPIRES_IN) from None
        return FetchedToken(value, expires_in)
    errcode = body.get("errcode")
    if isinstance(errcode, int) and errcode != 0:
        raise error_for(errcode, str(body.get("errmsg", "")))
    raise WeChatUnavailable(Unavailable.TOKEN_MISSING, field=field)
