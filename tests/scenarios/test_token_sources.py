"""The whole bot on each token source: an approved rollback works and nothing secret is printed."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

import pytest

from bot.slack.ids import APPROVE
from tests.fakes.slack import FakeSlack
from tests.fakes.token_service import FakeTokenService
from tests.fakes.wechat import FakeWeChat, Fault
from tests.support.flow import click, request_rollback, wait_verified
from tests.support.harness import Clock, RunningBot, bot_env

REVERT = "/wxa/revertcoderelease"


@pytest.fixture
def token_service(wechat: FakeWeChat) -> Iterator[FakeTokenService]:
    with FakeTokenService(wechat) as service:
        yield service


def _roll_back(bot: RunningBot, slack: FakeSlack) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    click(bot, request, APPROVE, "UBOB")
    assert wait_verified(bot, slack, request.id).verified


def test_third_party_platform_tokens(
    slack: FakeSlack,
    wechat: FakeWeChat,
    database_url: str,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    logged: Callable[[list[str]], io.StringIO],
) -> None:
    monkeypatch.setenv("PLATFORM_TICKET", wechat.verify_ticket)
    first_refresh_token = wechat.authorizer_refresh_tokens[wechat.APPID]
    wechat.reauthorize()  # WeChat changes the refresh token only now and then: here, now
    env = bot_env(
        slack,
        wechat,
        database_url,
        WECHAT_TOKEN_SOURCE="component",
        WECHAT_COMPONENT_APPID=wechat.COMPONENT_APPID,
        WECHAT_COMPONENT_APPSECRET=wechat.COMPONENT_SECRET,
        WECHAT_COMPONENT_VERIFY_TICKET="env:PLATFORM_TICKET",
        WECHAT_AUTHORIZER_REFRESH_TOKEN=first_refresh_token,
    )
    bot = RunningBot(env, slack, clock)
    output = logged(bot.runtime.settings.secrets())
    try:
        wechat.fail_next(REVERT, Fault(errcode=42001))  # the authorizer token expires mid-flow
        _roll_back(bot, slack)
    finally:
        bot.stop()
    assert len(wechat.rollback_calls()) == 2  # refused for its token, then applied once
    # WeChat rotated the refresh token: the bot must have kept the newest one to get the second token.
    assert wechat.authorizer_refresh_tokens[wechat.APPID] != first_refresh_token
    assert len(wechat.calls_to("/cgi-bin/component/api_component_token")) == 1
    log = output.getvalue()
    assert "component_access_token=[redacted]" in log and "access_token=[redacted]" in log
    component_tokens = {
        c.query["component_access_token"] for c in wechat.calls_to("/cgi-bin/component/api_authorizer_token")
    }
    access_tokens = {c.query["access_token"] for c in wechat.calls if "access_token" in c.query}
    refresh_tokens = [first_refresh_token, wechat.authorizer_refresh_tokens[wechat.APPID]]
    for secret in [*component_tokens, *access_tokens, *refresh_tokens, wechat.verify_ticket, wechat.COMPONENT_SECRET]:
        assert secret not in log


def test_central_token_service(
    slack: FakeSlack, wechat: FakeWeChat, token_service: FakeTokenService, database_url: str, clock: Clock
) -> None:
    env = bot_env(
        slack, wechat, database_url, WECHAT_TOKEN_SOURCE="service", WECHAT_TOKEN_SERVICE_URL=token_service.url
    )
    bot = RunningBot(env, slack, clock)
    try:
        _roll_back(bot, slack)
    finally:
        bot.stop()
    assert wechat.calls_to("/cgi-bin/stable_token") == []
    assert len(token_service.requests) == 1
    assert token_service.requests[0]["appid"] == wechat.APPID
