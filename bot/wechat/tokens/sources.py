"""Build the configured token source, each kind wrapped in the cache every replica shares."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine

from bot.config import ComponentTokenConfig, ServiceTokenConfig, StableTokenConfig, TokenConfig
from bot.store.token_store import TokenStore
from bot.wechat.http import Transport
from bot.wechat.tokens.component import AuthorizerTokenFetcher, ComponentTokenFetcher
from bot.wechat.tokens.fetchers import StableTokenFetcher
from bot.wechat.tokens.service import ServiceTokenFetcher
from bot.wechat.tokens.shared import SharedTokenCache
from bot.wechat.tokens.tickets import ticket_reader


def build_token_source(
    config: TokenConfig,
    appid: str,
    transport: Transport,
    store: TokenStore,
    engine: Engine,
    clock: Callable[[], datetime],
    observe: Callable[[str, bool], None] | None = None,
) -> SharedTokenCache:
    """`observe(key, ok)`: told of each token fetched (the metrics)."""
    match config:
        case StableTokenConfig(appsecret=secret):
            return SharedTokenCache(StableTokenFetcher(transport, appid, secret), store, clock=clock, observe=observe)
        case ComponentTokenConfig():
            component = SharedTokenCache(
                ComponentTokenFetcher(
                    transport,
                    config.component_appid,
                    config.component_appsecret,
                    ticket_reader(config.verify_ticket, engine),
                ),
                store,
                clock=clock,
                observe=observe,
            )
            authorizer = AuthorizerTokenFetcher(
                transport,
                config.component_appid,
                appid,
                component,
                store,
                config.authorizer_refresh_token,
                clock,
            )
            return SharedTokenCache(authorizer, store, clock=clock, observe=observe)
        case ServiceTokenConfig(url=url, command=command):
            return SharedTokenCache(
                ServiceTokenFetcher(appid, url=url, command=command), store, clock=clock, observe=observe
            )
