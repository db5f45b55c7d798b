"""Tokens through a third-party platform, against the fake WeChat over real HTTP, cached in real SQLite."""

from __future__ import annotations

import pytest

from bot.runtime import utc_now
from bot.store.token_store import TokenStore
from bot.wechat.client import WeChatClient
from bot.wechat.errors import CredentialsRejected, TokenRejected, WeChatError, WeChatUnavailable
from bot.wechat.http import Transport
from bot.wechat.tokens.component import AuthorizerTokenFetcher, ComponentTokenFetcher
from bot.wechat.tokens.shared import SharedTokenCache
from bot.wechat.tokens.tickets import ticket_reader
from tests.fakes.wechat import AUTHORIZER_TOKEN, COMPONENT_TOKEN, FakeWeChat, Fault
from tests.fakes.wechat_tokens import GRACE

TICKET_ENV = "TEST_COMPONENT_VERIFY_TICKET"


@pytest.fixture(autouse=True)
def ticket_in_env(monkeypatch: pytest.MonkeyPatch, wechat: FakeWeChat) -> None:
    monkeypatch.setenv(TICKET_ENV, wechat.verify_ticket)


def refresh_key(wechat: FakeWeChat) -> str:
    return f"refresh:authorizer:{wechat.component_appid}:{wechat.appid}"


def build(
    wechat: FakeWeChat, store: TokenStore, initial_refresh_token: str | None = None, secret: str | None = None
) -> tuple[WeChatClient, SharedTokenCache]:
    """One replica's wiring, as production has it: two shared caches, the authorizer's using the component's."""
    transport = Transport(wechat.base_url, read_timeout=1.0)
    component = SharedTokenCache(
        ComponentTokenFetcher(
            transport,
            wechat.component_appid,
            secret or wechat.component_secret,
            ticket_reader(f"env:{TICKET_ENV}"),
        ),
        store,
        clock=utc_now,
    )
    authorizer = SharedTokenCache(
        AuthorizerTokenFetcher(
            transport,
            wechat.component_appid,
            wechat.appid,
            component_tokens=component,
            refresh_tokens=store,
            initial_refresh_token=initial_refresh_token or wechat.authorizer_refresh_tokens[wechat.appid],
            clock=utc_now,
        ),
        store,
        clock=utc_now,
    )
    return WeChatClient(transport, authorizer, sleep=lambda _: None), component


def secrets_of(wechat: FakeWeChat, *more: str) -> list[str]:
    return [
        wechat.verify_ticket,
        wechat.component_secret,
        wechat.secret,
        *wechat.authorizer_refresh_tokens.values(),
        *wechat.valid_tokens,
        *wechat.valid_component_tokens,
        *more,
    ]


def assert_no_secret(error: BaseException, secrets: list[str]) -> None:
    for text in (str(error), repr(error)):
        for secret in secrets:
            assert secret not in text


def test_lists_history_with_an_authorizer_token(wechat: FakeWeChat, token_store: TokenStore) -> None:
    client, _ = build(wechat, token_store)
    assert [v.user_version for v in client.list_history()] == ["1.0.0", "1.1.0"]
    sent = wechat.calls_to(COMPONENT_TOKEN)[0].body
    assert sent == {
        "component_appid": wechat.component_appid,
        "component_appsecret": wechat.component_secret,
        "component_verify_ticket": wechat.verify_ticket,
    }
    assert wechat.component_token_fetches == 1 and wechat.authorizer_token_fetches == 1
    client.list_history()
    assert wechat.authorizer_token_fetches == 1  # cached
    assert token_store.fetch_count(f"authorizer:{wechat.component_appid}:{wechat.appid}") == 1


def test_the_refresh_token_is_reused_while_wechat_keeps_it(wechat: FakeWeChat, token_store: TokenStore) -> None:
    initial = wechat.authorizer_refresh_tokens[wechat.appid]
    client, _ = build(wechat, token_store)
    client.list_history()
    wechat.expire_tokens()
    client.list_history()
    sent = [call.body["authorizer_refresh_token"] for call in wechat.calls_to(AUTHORIZER_TOKEN)]
    assert sent == [initial, initial] and token_store.credential(refresh_key(wechat)) == initial


def test_a_changed_refresh_token_is_kept_and_used_next_time(wechat: FakeWeChat, token_store: TokenStore) -> None:
    initial = wechat.authorizer_refresh_tokens[wechat.appid]
    client, _ = build(wechat, token_store)
    client.list_history()
    newest = wechat.reauthorize()  # WeChat changes it; the old one works for 5 more minutes
    wechat.expire_tokens()
    assert len(client.list_history()) == 2  # 42001, then a fetch with the old one, which answers the newest
    assert token_store.credential(refresh_key(wechat)) == newest
    wechat.advance(GRACE)  # the old refresh token is dead now
    wechat.expire_tokens()
    assert len(client.list_history()) == 2
    assert wechat.calls_to(AUTHORIZER_TOKEN)[-1].body["authorizer_refresh_token"] == newest
    # Another replica, configured with the original (now dead) refresh token, uses the stored one too.
    wechat.expire_tokens()
    other, _ = build(wechat, token_store, initial_refresh_token=initial)
    assert len(other.list_history()) == 2
    assert wechat.authorizer_token_fetches == 4
    assert token_store.credential(refresh_key(wechat)) == wechat.authorizer_refresh_tokens[wechat.appid]


def test_newly_configured_refresh_token_wins_over_a_dead_stored_one(
    wechat: FakeWeChat, token_store: TokenStore
) -> None:
    client, _ = build(wechat, token_store)
    client.list_history()
    # The mini program authorized the platform again: the stored refresh token is dead, the operator sets the new one.
    reauthorized = "refresh-after-reauthorization"
    wechat.authorizer_refresh_tokens[wechat.appid] = reauthorized
    wechat.expire_tokens()
    again, _ = build(wechat, token_store, initial_refresh_token=reauthorized)
    assert len(again.list_history()) == 2
    assert token_store.credential(refresh_key(wechat)) == wechat.authorizer_refresh_tokens[wechat.appid]


def test_dead_refresh_token_is_explained_without_secrets(wechat: FakeWeChat, token_store: TokenStore) -> None:
    wrong = "refresh-stale-from-an-old-backup"
    client, _ = build(wechat, token_store, initial_refresh_token=wrong)
    with pytest.raises(CredentialsRejected) as raised:
        client.list_history()
    assert raised.value.errcode == 61023 and "authorize the platform again" in raised.value.describe()
    assert_no_secret(raised.value, secrets_of(wechat, wrong))
    assert token_store.credential(refresh_key(wechat)) is None


def test_invalid_ticket_is_explained(
    wechat: FakeWeChat, token_store: TokenStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "ticket@@@not-the-latest"
    monkeypatch.setenv(TICKET_ENV, wrong)
    client, _ = build(wechat, token_store)
    with pytest.raises(CredentialsRejected) as raised:
        client.list_history()
    assert raised.value.errcode == 61006
    assert "component_verify_ticket is invalid" in raised.value.describe()
    assert_no_secret(raised.value, secrets_of(wechat, wrong))
    assert wechat.authorizer_token_fetches == 0 and wechat.calls_to("/wxa/revertcoderelease") == []


def test_expired_ticket_is_explained(wechat: FakeWeChat, token_store: TokenStore) -> None:
    old = wechat.verify_ticket
    wechat.expire_ticket()  # the environment still holds the old one: the callback stopped receiving pushes
    client, _ = build(wechat, token_store)
    with pytest.raises(CredentialsRejected) as raised:
        client.list_history()
    assert raised.value.errcode == 61005 and "callback" in raised.value.describe()
    assert_no_secret(raised.value, secrets_of(wechat, old))


def test_missing_ticket_is_unavailable(
    wechat: FakeWeChat, token_store: TokenStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TICKET_ENV, "  ")
    client, _ = build(wechat, token_store)
    with pytest.raises(WeChatUnavailable, match=r"component_verify_ticket .* is empty"):
        client.list_history()
    assert wechat.calls_to(COMPONENT_TOKEN) == []


def test_wrong_component_secret_is_explained(wechat: FakeWeChat, token_store: TokenStore) -> None:
    wrong = "wrong-component-secret-987"
    client, _ = build(wechat, token_store, secret=wrong)
    with pytest.raises(CredentialsRejected) as raised:
        client.list_history()
    assert raised.value.errcode == 40125
    assert_no_secret(raised.value, secrets_of(wechat, wrong))


def test_refused_component_token_is_replaced_and_retried_once(wechat: FakeWeChat, token_store: TokenStore) -> None:
    client, component = build(wechat, token_store)
    client.list_history()
    first_component = component.token()
    wechat.expire_tokens()
    wechat.expire_component_tokens()
    assert len(client.list_history()) == 2
    calls = wechat.calls_to(AUTHORIZER_TOKEN)
    assert [call.query["component_access_token"] == first_component for call in calls] == [True, True, False]
    assert component.token() != first_component and wechat.component_token_fetches == 2
    assert wechat.authorizer_token_fetches == 2


def test_component_token_refused_twice_gives_up(wechat: FakeWeChat, token_store: TokenStore) -> None:
    client, _ = build(wechat, token_store)
    wechat.fail_next(AUTHORIZER_TOKEN, Fault(errcode=40001))
    wechat.fail_next(AUTHORIZER_TOKEN, Fault(errcode=40001))
    with pytest.raises(TokenRejected) as raised:
        client.list_history()
    assert raised.value.errcode == 40001
    assert len(wechat.calls_to(AUTHORIZER_TOKEN)) == 2 and wechat.component_token_fetches == 2
    assert_no_secret(raised.value, secrets_of(wechat))
    assert len(client.list_history()) == 2  # the faults are gone: works again


def test_platform_ip_whitelist_error_is_typed(wechat: FakeWeChat, token_store: TokenStore) -> None:
    client, _ = build(wechat, token_store)
    wechat.fail_next(COMPONENT_TOKEN, Fault(errcode=61004))
    with pytest.raises(WeChatError) as raised:
        client.list_history()
    assert raised.value.errcode == 61004 and "whitelist" in raised.value.describe()
