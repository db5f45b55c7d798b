"""Tokens from a central token service, by URL (a real HTTP fake) and by command (a real subprocess)."""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import shlex
import sys
from collections.abc import Callable, Iterator

import pytest

from bot.config import load_settings
from bot.runtime import utc_now
from bot.store.token_store import TokenStore
from bot.wechat.client import WeChatClient
from bot.wechat.errors import PermissionDenied, TokenRejected, WeChatUnavailable
from bot.wechat.http import Transport
from bot.wechat.tokens.service import ServiceTokenFetcher
from bot.wechat.tokens.shared import SharedTokenCache
from tests.fakes import configured, issued
from tests.fakes.token_service import FakeTokenService
from tests.fakes.wechat import FakeWeChat

LEAK = "leaked-output-0123456789"  # stands for a token or secret in a failing source's output


@pytest.fixture
def service(wechat: FakeWeChat) -> Iterator[FakeTokenService]:
    with FakeTokenService(wechat) as fake:
        yield fake


def client_with(fetcher: ServiceTokenFetcher, wechat: FakeWeChat, store: TokenStore) -> WeChatClient:
    tokens = SharedTokenCache(fetcher, store, clock=utc_now)
    return WeChatClient(Transport(wechat.base_url, read_timeout=1.0), tokens, sleep=lambda _: None)


def python_command(code: str) -> str:
    return f"{shlex.quote(sys.executable)} -c {shlex.quote(code)}"


def sha12(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:12]


# --- URL


def test_url_source_end_to_end(service: FakeTokenService, wechat: FakeWeChat, token_store: TokenStore) -> None:
    client = client_with(ServiceTokenFetcher(wechat.appid, url=service.url, timeout=1.0), wechat, token_store)
    assert len(client.list_history()) == 2
    assert len(client.list_history()) == 2
    assert service.requests == [{"appid": wechat.appid}]  # cached for its stated 7200 s
    assert wechat.token_fetches == 1


def test_url_source_names_the_refused_token_by_hash(
    service: FakeTokenService, wechat: FakeWeChat, token_store: TokenStore
) -> None:
    client = client_with(ServiceTokenFetcher(wechat.appid, url=service.url, timeout=1.0), wechat, token_store)
    client.list_history()
    refused = service.current
    assert refused is not None
    wechat.expire_tokens()
    assert len(client.list_history()) == 2
    assert service.requests[-1] == {"appid": wechat.appid, "stale": sha12(refused)}
    assert all(refused not in value for request in service.requests for value in request.values())
    assert service.current != refused


def test_url_source_returning_the_refused_token_is_a_token_error(
    service: FakeTokenService, wechat: FakeWeChat, token_store: TokenStore
) -> None:
    client = client_with(ServiceTokenFetcher(wechat.appid, url=service.url, timeout=1.0), wechat, token_store)
    client.list_history()
    service.ignore_stale = True
    wechat.expire_tokens()
    with pytest.raises(TokenRejected) as raised:
        client.list_history()
    assert raised.value.errcode == 40001 and "central token service" in raised.value.errmsg
    assert service.current is not None and service.current not in repr(raised.value)


def test_url_keeps_its_own_query(service: FakeTokenService, wechat: FakeWeChat) -> None:
    fetcher = ServiceTokenFetcher(wechat.appid, url=service.url + "?key=service-api-key-42", timeout=1.0)
    assert fetcher.fetch(None).value == service.current
    assert service.requests == [{"key": "service-api-key-42", "appid": wechat.appid}]


def test_default_lifetime_is_short(wechat: FakeWeChat) -> None:
    command = python_command('import json; print(json.dumps({"access_token": "abc"}))')
    assert ServiceTokenFetcher(wechat.appid, command=command).fetch(None).expires_in == 300


@pytest.mark.parametrize(
    ("status", "body", "problem"),
    [
        (500, LEAK.encode(), "answered HTTP 500"),
        (200, f"<html>{LEAK}</html>".encode(), "did not answer JSON"),
        (200, json.dumps([LEAK]).encode(), "did not answer a JSON object"),
        (200, json.dumps({"token": LEAK}).encode(), "had no access_token"),
    ],
)
def test_url_failures_name_the_service_without_its_output(
    service: FakeTokenService, wechat: FakeWeChat, status: int, body: bytes, problem: str
) -> None:
    service.fail_next(status, body=body)
    fetcher = ServiceTokenFetcher(wechat.appid, url=service.url + "?key=service-api-key-42", timeout=1.0)
    with pytest.raises(WeChatUnavailable) as raised:
        fetcher.fetch(None)
    text = str(raised.value)
    assert problem in text and f"central token service at {service.url}" in text
    for secret in (LEAK, "service-api-key-42"):
        assert secret not in text and secret not in repr(raised.value)


def test_url_timeout_and_unreachable(service: FakeTokenService, wechat: FakeWeChat) -> None:
    service.fail_next(200, body=b"{}", delay=0.5)
    with pytest.raises(WeChatUnavailable, match=r"no answer from the central token service .* within 0.2 s"):
        ServiceTokenFetcher(wechat.appid, url=service.url, timeout=0.2).fetch(None)
    closed = service.url
    service.stop()
    with pytest.raises(WeChatUnavailable, match="could not reach the central token service") as raised:
        ServiceTokenFetcher(wechat.appid, url=closed, timeout=0.5).fetch("old-token-value")
    assert "old-token-value" not in str(raised.value) and "stale" not in str(raised.value)


def test_wechat_error_passed_on_by_the_service_is_typed(service: FakeTokenService, wechat: FakeWeChat) -> None:
    service.fail_next(200, body=json.dumps({"errcode": 40164, "errmsg": "invalid ip"}).encode())
    with pytest.raises(PermissionDenied) as raised:
        ServiceTokenFetcher(wechat.appid, url=service.url, timeout=1.0).fetch(None)
    assert raised.value.errcode == 40164


# --- command

PRINT_TOKEN = """
import json, os
print(json.dumps({"access_token": "cmd-" + os.environ["MINIPROGRAM_APPID"]
                  + os.environ.get("MINIPROGRAM_STALE_TOKEN_HASH", ""), "expires_in": 60}))
"""


def test_command_source(wechat: FakeWeChat) -> None:
    fetcher = ServiceTokenFetcher(wechat.appid, command=python_command(PRINT_TOKEN), timeout=5.0)
    assert fetcher.key == f"service:{wechat.appid}"
    fetched = fetcher.fetch(None)
    assert (fetched.value, fetched.expires_in) == (f"cmd-{wechat.appid}", 60)
    assert fetcher.fetch("refused").value == f"cmd-{wechat.appid}{sha12('refused')}"


def test_command_source_end_to_end(wechat: FakeWeChat, token_store: TokenStore) -> None:
    token = wechat.issue_token()
    code = f'import json; print(json.dumps({{"access_token": "{token}", "expires_in": 7200}}))'
    client = client_with(ServiceTokenFetcher(wechat.appid, command=python_command(code)), wechat, token_store)
    assert len(client.list_history()) == 2


def test_command_returning_the_refused_token_is_a_token_error(wechat: FakeWeChat) -> None:
    command = python_command('import json; print(json.dumps({"access_token": "same-token-every-time"}))')
    with pytest.raises(TokenRejected) as raised:
        ServiceTokenFetcher(wechat.appid, command=command).fetch("same-token-every-time")
    assert "same-token-every-time" not in repr(raised.value)


@pytest.mark.parametrize(
    ("code", "timeout", "problem"),
    [
        (f"import sys; print('{LEAK}'); print('{LEAK}', file=sys.stderr); sys.exit(3)", 5, "failed with exit code 3"),
        (f"print('{LEAK}')", 5, "did not answer JSON"),
        (f"print('{LEAK}', flush=True); import time; time.sleep(5)", 0.3, "did not finish within 0.3 s"),
    ],
)
def test_command_failures_name_the_command_without_its_output(
    wechat: FakeWeChat, code: str, timeout: float, problem: str
) -> None:
    fetcher = ServiceTokenFetcher(wechat.appid, command=python_command(code), timeout=timeout)
    with pytest.raises(WeChatUnavailable) as raised:
        fetcher.fetch(None)
    text = str(raised.value)
    assert problem in text and f"token command {sys.executable}" in text
    assert LEAK not in text and LEAK not in repr(raised.value)


def test_missing_command(wechat: FakeWeChat) -> None:
    with pytest.raises(WeChatUnavailable, match="token command /nonexistent/get-token could not be started"):
        ServiceTokenFetcher(wechat.appid, command="/nonexistent/get-token --appid x").fetch(None)


@pytest.mark.parametrize(
    ("url", "command"),
    [(None, None), ("http://tokens.internal/token", "get-token"), (None, "   "), ("ftp://tokens.internal/", None)],
)
def test_misconfiguration_is_refused_at_start(url: str | None, command: str | None) -> None:
    with pytest.raises(ValueError):
        ServiceTokenFetcher("wx_app", url=url, command=command)


# --- the service's URL in the log: its query may carry a key, and urllib3 logs the URL at DEBUG


def test_a_key_in_the_url_never_reaches_the_log_at_debug(
    service: FakeTokenService, wechat: FakeWeChat, logged: Callable[[list[str]], io.StringIO]
) -> None:
    """Under a name that says what it is (key=, api_key=, sig=...), by pattern; under any other name, because the
    settings list the URL's query values among the secrets."""
    named = issued("service-api-key-" + secrets.token_hex(8))
    unnamed = configured("opaque-" + secrets.token_hex(8))
    url = f"{service.url}?key={named}&client={unnamed}"
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1-2-abc",
        "SLACK_SIGNING_SECRET": "signing-secret",
        "WECHAT_APPID": wechat.appid,
        "WECHAT_TOKEN_SOURCE": "service",
        "WECHAT_TOKEN_SERVICE_URL": url,
    }
    stream = logged(load_settings(env).secrets())
    assert ServiceTokenFetcher(wechat.appid, url=url, timeout=1.0).fetch(None).value == service.current
    log = stream.getvalue()
    assert "/token?key=[redacted]" in log or "key=[redacted]" in log  # urllib3 logged the request
    assert named not in log and unnamed not in log
