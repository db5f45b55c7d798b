"""Tokens through a third-party platform (WeChat Open Platform): the component_access_token, got with the
latest component_verify_ticket, and with it the mini program's authorizer_access_token.

Each is cached in a SharedTokenCache of its own. WeChat may rotate the authorizer_refresh_token on every
refresh, so the newest one is kept in the shared database: a replica using an older one would be refused.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.store.token_store import TokenStore
from bot.wechat.errors import TOKEN_ERRORS, error_for
from bot.wechat.http import Transport
from bot.wechat.tokens import TokenSource
from bot.wechat.tokens.fetchers import FetchedToken, token_from

log = logging.getLogger(__name__)

COMPONENT_TOKEN_PATH = "/cgi-bin/component/api_component_token"
AUTHORIZER_TOKEN_PATH = "/cgi-bin/component/api_authorizer_token"
INVALID_REFRESH_TOKEN = 61023


class ComponentTokenFetcher:
    """`POST /cgi-bin/component/api_component_token` with the platform's AppID, secret and latest ticket."""

    def __init__(
        self, transport: Transport, component_appid: str, component_secret: str, ticket: Callable[[], str]
    ) -> None:
        self.key = f"component:{component_appid}"
        self._transport = transport
        self._appid = component_appid
        self._secret = component_secret
        self._ticket = ticket

    def fetch(self, rejected: str | None) -> FetchedToken:
        body = self._transport.post_json(
            COMPONENT_TOKEN_PATH,
            params={},
            payload={
                "component_appid": self._appid,
                "component_appsecret": self._secret,
                "component_verify_ticket": self._ticket(),
            },
        )
        fetched = token_from(body, "component_access_token")
        if fetched.value == rejected:
            raise error_for(40001, "WeChat returned the component_access_token it had just refused")
        return fetched


class AuthorizerTokenFetcher:
    """`POST /cgi-bin/component/api_authorizer_token`: the mini program's token for the /wxa/ calls."""

    def __init__(
        self,
        transport: Transport,
        component_appid: str,
        authorizer_appid: str,
        component_tokens: TokenSource,
        refresh_tokens: TokenStore,
        initial_refresh_token: str,
        clock: Callable[[], datetime],
    ) -> None:
        self.key = f"authorizer:{component_appid}:{authorizer_appid}"
        self._refresh_key = f"refresh:{self.key}"
        self._transport = transport
        self._component_appid = component_appid
        self._authorizer_appid = authorizer_appid
        self._component_tokens = component_tokens
        self._refresh_tokens = refresh_tokens
        self._initial_refresh_token = initial_refresh_token
        self._clock = clock

    def fetch(self, rejected: str | None) -> FetchedToken:
        stored = self._refresh_tokens.credential(self._refresh_key)
        refresh_token = stored or self._initial_refresh_token
        body = self._call(refresh_token)
        if _errcode(body) == INVALID_REFRESH_TOKEN and stored and stored != self._initial_refresh_token:
            # After the mini program authorizes the platform again, the operator configures its new refresh
            # token: the stored one is dead then, and the configured one must win.
            log.warning("the stored authorizer_refresh_token for %s was refused; trying the configured one", self.key)
            refresh_token = self._initial_refresh_token
            body = self._call(refresh_token)
        fetched = token_from(body, "authorizer_access_token")
        newest = body.get("authorizer_refresh_token")
        if isinstance(newest, str) and newest and newest != stored:
            # WeChat may have invalidated the one just sent: losing the new one would need a re-authorization.
            self._refresh_tokens.put_credential(self._refresh_key, newest, self._clock())
        if fetched.value == rejected:
            raise error_for(40001, "WeChat returned the authorizer_access_token it had just refused")
        return fetched

    def _call(self, refresh_token: str) -> dict[str, Any]:
        component_token = self._component_tokens.token()
        body = self._send(component_token, refresh_token)
        if _errcode(body) in TOKEN_ERRORS:
            log.info("WeChat refused the component_access_token for %s; replacing it and retrying once", self.key)
            body = self._send(self._component_tokens.replace(component_token), refresh_token)
        return body

    def _send(self, component_token: str, refresh_token: str) -> dict[str, Any]:
        return self._transport.post_json(
            AUTHORIZER_TOKEN_PATH,
            params={"component_access_token": component_token},
            payload={
                "component_appid": self._component_appid,
                "authorizer_appid": self._authorizer_appid,
                "authorizer_refresh_token": refresh_token,
            },
        )


def _errcode(body: dict[str, Any]) -> int:
    errcode = body.get("errcode", 0)
    return errcode if isinstance(errcode, int) else 0
