"""The bot's stable_token source against the fake WeChat's documented token rules, on the fake's own clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests

from bot.store.token_store import TokenStore
from bot.wechat.client import WeChatClient
from bot.wechat.http import Transport
from bot.wechat.tokens.fetchers import StableTokenFetcher
from bot.wechat.tokens.shared import SharedTokenCache
from tests.fakes.wechat import STABLE_TOKEN, FakeWeChat
from tests.fakes.wechat_tokens import LIFETIME


def fake_clock(wechat: FakeWeChat) -> Callable[[], datetime]:
    """The bot reads the time the fake WeChat keeps, so advancing one advances both."""
    return lambda: datetime.fromtimestamp(wechat.tokens.clock.now(), UTC)


def other_system_fetch(wechat: FakeWeChat, *, force_refresh: bool = False) -> dict[str, Any]:
    payload = {"grant_type": "client_credential", "appid": wechat.APPID, "secret": wechat.SECRET}
    answer = requests.post(wechat.base_url + STABLE_TOKEN, json={**payload, "force_refresh": force_refresh}, timeout=2)
    body: dict[str, Any] = answer.json()
    return body


def cache(wechat: FakeWeChat, store: TokenStore) -> SharedTokenCache:
    fetcher = StableTokenFetcher(Transport(wechat.base_url, read_timeout=1.0), wechat.APPID, wechat.SECRET)
    return SharedTokenCache(fetcher, store, clock=fake_clock(wechat))


def test_a_token_another_system_fetched_long_ago_is_renewed_before_it_expires(
    wechat: FakeWeChat, token_store: TokenStore
) -> None:
    first = other_system_fetch(wechat)["access_token"]
    wechat.advance(LIFETIME - 400)
    tokens = cache(wechat, token_store)
    assert tokens.token() == first  # normal mode: the same token, with 400 s left, not 7200
    wechat.advance(250)  # past the bot's refresh point for a 400 s token, 150 s before it expires
    renewed = tokens.token()
    assert renewed != first and {first, renewed} <= wechat.valid_tokens  # WeChat's overlap, no one logged out
    assert [call.body["force_refresh"] for call in wechat.calls_to(STABLE_TOKEN)] == [False, False, False]


def test_a_token_forced_out_by_another_system_is_replaced_without_forcing(
    wechat: FakeWeChat, token_store: TokenStore
) -> None:
    client = WeChatClient(Transport(wechat.base_url, read_timeout=1.0), cache(wechat, token_store))
    client.list_history()
    other_system_fetch(wechat, force_refresh=True)  # logs out every other holder of the old token
    assert len(client.list_history()) == 2  # 40001, then normal mode hands out the new token
    assert [call.body["force_refresh"] for call in wechat.calls_to(STABLE_TOKEN)] == [False, True, False]
