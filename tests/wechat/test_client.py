"""The WeChat client against the stateful fake WeChat server, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.runtime import utc_now
from bot.store.token_store import TokenStore
from bot.wechat.client import WeChatClient
from bot.wechat.errors import (
    CredentialsRejected,
    InvalidArguments,
    NotSent,
    OutcomeUnknown,
    PermissionDenied,
    QuotaExhausted,
    RollbackRefused,
    TokenRejected,
    TokenUnavailable,
    Unavailable,
    WeChatError,
    WeChatUnavailable,
    WeChatUnreachable,
    error_for,
)
from bot.wechat.http import Transport
from bot.wechat.tokens.fetchers import StableTokenFetcher
from bot.wechat.tokens.shared import SharedTokenCache
from tests.fakes.wechat import NO_GRAY_PLAN, STABLE_TOKEN, FakeWeChat, Fault
from tests.fakes.wechat_tokens import FORCE_INTERVAL

REVERT = "/wxa/revertcoderelease"


def _client(wechat: FakeWeChat, token_store: TokenStore, secret: str = FakeWeChat.SECRET) -> WeChatClient:
    transport = Transport(wechat.base_url, read_timeout=1.0)
    tokens = SharedTokenCache(StableTokenFetcher(transport, wechat.APPID, secret), token_store, clock=utc_now)
    return WeChatClient(transport, tokens, sleep=lambda _: None)


@pytest.fixture
def client(wechat: FakeWeChat, token_store: TokenStore) -> Iterator[WeChatClient]:
    yield _client(wechat, token_store)


def test_list_history_always_sends_action(client: WeChatClient, wechat: FakeWeChat) -> None:
    versions = client.list_history()
    assert [v.user_version for v in versions] == ["1.0.0", "1.1.0"]  # as WeChat sends them: oldest first
    assert all(isinstance(v.commit_time, int) and v.user_desc for v in versions)
    assert [call.query.get("action") for call in wechat.calls_to(REVERT)] == ["get_history_version"]
    assert wechat.rollback_calls() == []


def test_version_info_and_gray_plan(client: WeChatClient, wechat: FakeWeChat) -> None:
    info = client.version_info()
    assert info.online is not None and info.online.version == "1.2.0"
    assert wechat.calls_to("/wxa/getversioninfo")[-1].body == {}
    assert not client.gray_release_plan().blocks_rollback
    wechat.set_gray_release(1, 30)
    plan = client.gray_release_plan()
    assert plan.blocks_rollback and plan.percentage == 30


def test_rollback_sends_explicit_app_version_once(client: WeChatClient, wechat: FakeWeChat) -> None:
    target = wechat.history[0]
    client.rollback(target.app_version)
    assert [c.query.get("app_version") for c in wechat.rollback_calls()] == [str(target.app_version)]
    assert wechat.online is not None and wechat.online.user_version == target.user_version
    assert client.list_history() == []  # WeChat allows one rollback until the next release
    with pytest.raises(WeChatError) as refused:
        client.rollback(wechat.history[0].app_version if wechat.history else target.app_version)
    assert refused.value.errcode == 87012


def test_reads_retry_system_errors(client: WeChatClient, wechat: FakeWeChat) -> None:
    wechat.fail_next(REVERT + "#list", Fault(errcode=-1))
    wechat.fail_next(REVERT + "#list", Fault(status=502))
    assert len(client.list_history()) == 2
    assert len(wechat.calls_to(REVERT)) == 3


def test_reads_give_up_after_bounded_retries(client: WeChatClient, wechat: FakeWeChat) -> None:
    for _ in range(3):
        wechat.fail_next(REVERT + "#list", Fault(errcode=-1))
    with pytest.raises(WeChatError) as failed:
        client.list_history()
    assert failed.value.errcode == -1
    assert "system error" in failed.value.describe()


@pytest.mark.parametrize("fault", [Fault(errcode=-1), Fault(status=502), Fault(body="<html>busy</html>")])
def test_rollback_is_never_retried_on_ambiguous_answers(client: WeChatClient, wechat: FakeWeChat, fault: Fault) -> None:
    wechat.fail_next(REVERT, fault)
    with pytest.raises(OutcomeUnknown):
        client.rollback(wechat.history[0].app_version)
    assert len(wechat.rollback_calls()) == 1


def test_rollback_timeout_is_outcome_unknown(client: WeChatClient, wechat: FakeWeChat) -> None:
    wechat.fail_next(REVERT, Fault(delay=1.5, apply=True, errcode=0))
    with pytest.raises(OutcomeUnknown) as unknown:
        client.rollback(wechat.history[0].app_version)
    assert unknown.value.why is Unavailable.NO_ANSWER and "within" in str(unknown.value)
    assert len(wechat.rollback_calls()) == 1


@pytest.mark.parametrize("errcode", [40001, 40014, 42001])
def test_token_error_refreshes_and_retries_once(client: WeChatClient, wechat: FakeWeChat, errcode: int) -> None:
    wechat.fail_next(REVERT, Fault(errcode=errcode))
    client.rollback(wechat.history[0].app_version)
    calls = wechat.rollback_calls()
    assert len(calls) == 2
    assert wechat.online is not None and wechat.online.user_version == "1.1.0"


def test_expired_token_is_replaced(client: WeChatClient, wechat: FakeWeChat) -> None:
    client.list_history()
    wechat.expire_tokens()
    assert len(client.list_history()) == 2
    tokens = [call.query["access_token"] for call in wechat.calls_to(REVERT)]
    assert tokens[0] != tokens[-1]


def test_token_is_cached(client: WeChatClient, wechat: FakeWeChat) -> None:
    client.list_history()
    client.version_info()
    client.gray_release_plan()
    assert len(wechat.calls_to("/cgi-bin/stable_token")) == 1


def test_bad_secret_is_explained(wechat: FakeWeChat, token_store: TokenStore) -> None:
    client = _client(wechat, token_store, secret="wrong-secret")
    with pytest.raises(WeChatError) as refused:
        client.list_history()
    assert refused.value.errcode == 40125
    assert "AppSecret" in refused.value.describe()


def test_unreachable_wechat_never_shows_the_url() -> None:
    transport = Transport("http://127.0.0.1:9", read_timeout=0.5)
    with pytest.raises(WeChatUnreachable) as failed:
        transport.get(REVERT, {"access_token": "SECRET-TOKEN-123"})
    assert "SECRET-TOKEN-123" not in str(failed.value)
    assert failed.value.__cause__ is None and failed.value.__suppress_context__


DOCUMENTED_ERRCODES = [-1, 40001, 40014, 42001, 40097, 45009, 48001, 61007, 61003, 87011, 87012]


def test_every_documented_errcode_is_explained() -> None:
    for errcode in DOCUMENTED_ERRCODES:
        explained = error_for(errcode, "x").explanation
        assert explained.meaning and explained.next_step and explained.zh, errcode


@pytest.mark.parametrize(
    ("errcode", "kind"),
    [
        (40097, InvalidArguments),
        (45009, QuotaExhausted),
        (48001, PermissionDenied),
        (61003, PermissionDenied),
        (61007, PermissionDenied),
        (87011, RollbackRefused),
        (87012, RollbackRefused),
        (12345, WeChatError),
    ],
)
def test_rollback_refusals_are_typed_and_sent_once(
    client: WeChatClient, wechat: FakeWeChat, errcode: int, kind: type[WeChatError]
) -> None:
    wechat.fail_next(REVERT, Fault(errcode=errcode))
    with pytest.raises(kind) as refused:
        client.rollback(wechat.history[0].app_version)
    assert type(refused.value) is kind
    assert refused.value.errcode == errcode and not refused.value.after_resend
    assert len(wechat.rollback_calls()) == 1
    assert wechat.online is not None and wechat.online.user_version == "1.2.0"


@pytest.mark.parametrize("errcode", [40097, 45009, 48001, 61007, 87012])
def test_read_refusals_are_not_retried(client: WeChatClient, wechat: FakeWeChat, errcode: int) -> None:
    wechat.fail_next(REVERT + "#list", Fault(errcode=errcode))
    with pytest.raises(WeChatError) as refused:
        client.list_history()
    assert refused.value.errcode == errcode
    assert len(wechat.calls_to(REVERT)) == 1


def test_token_error_twice_gives_up(client: WeChatClient, wechat: FakeWeChat) -> None:
    wechat.fail_next(REVERT, Fault(errcode=40001))
    wechat.fail_next(REVERT, Fault(errcode=40001))
    with pytest.raises(TokenRejected):
        client.rollback(wechat.history[0].app_version)
    assert len(wechat.rollback_calls()) == 2


def test_lost_answer_of_an_applied_rollback_is_unknown_not_retried(client: WeChatClient, wechat: FakeWeChat) -> None:
    wechat.fail_next(REVERT, Fault(errcode=-1, apply=True))
    with pytest.raises(OutcomeUnknown) as unknown:
        client.rollback(wechat.history[0].app_version)
    assert unknown.value.errcode == -1
    assert len(wechat.rollback_calls()) == 1
    assert wechat.online is not None and wechat.online.user_version == "1.1.0"


def test_quota_and_gray_release_revert(client: WeChatClient, wechat: FakeWeChat) -> None:
    assert client.quota().used == 0
    wechat.set_gray_release(1)
    client.revert_gray_release()
    assert not client.gray_release_plan().blocks_rollback
    assert len(wechat.calls_to("/wxa/revertgrayrelease")) == 1
    with pytest.raises(WeChatError) as refused:  # nothing left to cancel
        client.revert_gray_release()
    assert refused.value.errcode == NO_GRAY_PLAN and refused.value.rid


def test_unreadable_version_list(client: WeChatClient, wechat: FakeWeChat) -> None:
    wechat.fail_next(REVERT + "#list", Fault(body='{"errcode": 0, "version_list": [{"user_version": "1"}]}'))
    with pytest.raises(WeChatUnavailable, match="unreadable"):
        client.list_history()


def test_fails_over_to_the_recovery_host_when_the_primary_is_unreachable(
    wechat: FakeWeChat, token_store: TokenStore
) -> None:
    transport = Transport(["http://127.0.0.1:9", wechat.base_url], read_timeout=1.0)
    tokens = SharedTokenCache(StableTokenFetcher(transport, wechat.APPID, wechat.SECRET), token_store, clock=utc_now)
    client = WeChatClient(transport, tokens, sleep=lambda _: None)
    assert len(client.list_history()) == 2
    client.rollback(wechat.history[0].app_version)  # never connected to the primary, so safe to send here
    assert len(wechat.rollback_calls()) == 1


def test_the_fence_is_asked_again_before_failing_over(wechat: FakeWeChat, token_store: TokenStore) -> None:
    """Connecting to the primary took time: a claim that ran out meanwhile sends nothing to the recovery host."""
    transport = Transport(["http://127.0.0.1:9", wechat.base_url], read_timeout=1.0)
    live = Transport(wechat.base_url)  # tokens come another way, so the rollback starts at the dead primary
    tokens = SharedTokenCache(StableTokenFetcher(live, wechat.APPID, wechat.SECRET), token_store, clock=utc_now)
    answers = iter([True, False])
    with pytest.raises(NotSent):
        WeChatClient(transport, tokens).rollback(wechat.history[0].app_version, lambda: next(answers))
    assert wechat.rollback_calls() == []


def test_a_rollback_that_reached_no_host_was_not_sent(token_store: TokenStore, wechat: FakeWeChat) -> None:
    dead = Transport(["http://127.0.0.1:9"], read_timeout=1.0)
    live = Transport(wechat.base_url)
    tokens = SharedTokenCache(StableTokenFetcher(live, wechat.APPID, wechat.SECRET), token_store, clock=utc_now)
    with pytest.raises(WeChatUnreachable):
        WeChatClient(dead, tokens).rollback(101)


def test_no_listing_request_goes_out_without_action(client: WeChatClient, wechat: FakeWeChat) -> None:
    # Retries, token refreshes and failures all rebuild the request: each must still carry `action`.
    wechat.fail_next(REVERT + "#list", Fault(errcode=40001))
    wechat.fail_next(REVERT + "#list", Fault(errcode=-1))
    wechat.fail_next(REVERT + "#list", Fault(status=500))
    client.list_history()
    for _ in range(3):
        wechat.fail_next(REVERT + "#list", Fault(body="not json"))
    with pytest.raises(WeChatUnavailable):
        client.list_history()
    listing = wechat.calls_to(REVERT)
    assert len(listing) == 7  # 4 for the first listing (one token refresh, two retries), 3 for the second
    assert all(call.query.get("action") == "get_history_version" for call in listing)
    assert wechat.rollback_calls() == []


# --- a failure to get a token is "not sent"; only the rollback's own answer can be "unknown"


@pytest.mark.parametrize(
    ("fault", "errcode"),
    [
        (Fault(errcode=-1), -1),
        (Fault(errcode=40125), 40125),
        (Fault(errcode=40243), 40243),
        (Fault(errcode=61004), 61004),
        (Fault(status=502), None),
        (Fault(body="<html>busy</html>"), None),
    ],
)
def test_a_token_endpoint_failure_before_the_rollback_means_not_sent(
    client: WeChatClient, wechat: FakeWeChat, fault: Fault, errcode: int | None
) -> None:
    wechat.fail_next(STABLE_TOKEN, fault)
    with pytest.raises(WeChatUnavailable) as failed:  # never OutcomeUnknown, never a refusal of the rollback
        client.rollback(wechat.history[0].app_version)
    assert not isinstance(failed.value, OutcomeUnknown)
    if errcode is not None:
        assert isinstance(failed.value, TokenUnavailable) and failed.value.errcode == errcode
        assert "could not get an access token" in failed.value.describe()
    assert wechat.rollback_calls() == []
    assert wechat.online is not None and wechat.online.user_version == "1.2.0"


def test_a_token_endpoint_failure_on_the_refresh_means_the_resend_was_not_sent(
    client: WeChatClient, wechat: FakeWeChat
) -> None:
    client.list_history()  # the token is cached
    wechat.fail_next(REVERT, Fault(errcode=40001))  # the rollback's token is refused: nothing happened
    wechat.fail_next(STABLE_TOKEN, Fault(errcode=-1))  # and getting a new one fails
    with pytest.raises(TokenUnavailable) as failed:
        client.rollback(wechat.history[0].app_version)
    assert failed.value.errcode == -1 and failed.value.cause is not None
    assert len(wechat.rollback_calls()) == 1
    assert wechat.online is not None and wechat.online.user_version == "1.2.0"


def test_a_token_source_that_breaks_means_not_sent(wechat: FakeWeChat) -> None:
    class BrokenTokens:
        def token(self) -> str:
            raise RuntimeError("database is down: SELECT value FROM tokens -- SECRET-TOKEN-123")

        def replace(self, rejected: str) -> str:
            raise AssertionError("not reached")

    client = WeChatClient(Transport(wechat.base_url), BrokenTokens())
    with pytest.raises(TokenUnavailable) as failed:
        client.rollback(101)
    assert "RuntimeError" in failed.value.describe() and "SECRET-TOKEN-123" not in str(failed.value)
    assert wechat.rollback_calls() == []


def test_reads_keep_the_token_endpoints_own_error(client: WeChatClient, wechat: FakeWeChat) -> None:
    wechat.fail_next(STABLE_TOKEN, Fault(errcode=40243))
    with pytest.raises(CredentialsRejected) as refused:
        client.version_info()
    assert refused.value.errcode == 40243 and "frozen" in refused.value.describe()


def test_a_minus_one_answering_the_rollback_itself_is_unknown_even_after_a_resend(
    client: WeChatClient, wechat: FakeWeChat
) -> None:
    wechat.fail_next(REVERT, Fault(errcode=40001))
    wechat.fail_next(REVERT, Fault(errcode=-1, apply=True))
    with pytest.raises(OutcomeUnknown) as unknown:
        client.rollback(wechat.history[0].app_version)
    assert unknown.value.errcode == -1 and len(wechat.rollback_calls()) == 2


@pytest.mark.parametrize("token_error", [40001, 40014, 42001])
def test_a_refused_resend_says_so(client: WeChatClient, wechat: FakeWeChat, token_error: int) -> None:
    wechat.fail_next(REVERT, Fault(errcode=token_error))
    wechat.fail_next(REVERT, Fault(errcode=87012))
    with pytest.raises(RollbackRefused) as refused:
        client.rollback(wechat.history[0].app_version)
    # Two requests went out: the workflow reads the online version back before recording "not applied".
    assert refused.value.errcode == 87012 and refused.value.after_resend
    assert len(wechat.rollback_calls()) == 2


def test_a_forced_refresh_within_30_seconds_gives_no_new_token(client: WeChatClient, wechat: FakeWeChat) -> None:
    # A token WeChat refuses while handing it out again: only a forced refresh replaces it.
    wechat.fail_next(REVERT, Fault(errcode=40001))
    client.rollback(wechat.history[0].app_version)
    forced = [call.body["force_refresh"] for call in wechat.calls_to(STABLE_TOKEN)]
    assert forced == [False, False, True] and len(wechat.rollback_calls()) == 2
    wechat.release("1.3.0")
    wechat.fail_next(REVERT, Fault(errcode=40001))
    with pytest.raises(TokenUnavailable) as failed:  # within 30 s WeChat refreshes nothing: not sent again
        client.rollback(wechat.history[0].app_version)
    assert failed.value.errcode == 40001 and len(wechat.rollback_calls()) == 3
    wechat.advance(FORCE_INTERVAL)
    wechat.fail_next(REVERT, Fault(errcode=40001))
    client.rollback(wechat.history[0].app_version)
    assert len(wechat.rollback_calls()) == 5 and wechat.online is not None
    assert wechat.online.user_version == "1.1.0"  # rolled back from 1.3.0


def test_an_unknown_path_is_a_json_errcode_not_an_http_error(wechat: FakeWeChat) -> None:
    body = Transport(wechat.base_url).get("/wxa/no_such_api", {"access_token": wechat.issue_token()})
    assert body["errcode"] == 40066
    assert error_for(body["errcode"], body["errmsg"]).rid is not None


def test_the_phased_release_plan_is_read_whole(client: WeChatClient, wechat: FakeWeChat) -> None:
    wechat.start_phased_release("1.3.0", 8, experiencer_first=True, created=1_517_553_721)
    plan = client.gray_release_plan()
    assert (plan.status, plan.percentage, plan.created) == (1, 8, 1_517_553_721)
    assert plan.experiencer_first and not plan.debuger_first and plan.in_progress and plan.status_words == "running"


def test_stopping_a_phased_release_is_fenced_and_never_retried(client: WeChatClient, wechat: FakeWeChat) -> None:
    wechat.start_phased_release("1.3.0")
    with pytest.raises(WeChatUnavailable):
        client.revert_gray_release(lambda: False)  # the claim ran out: nothing goes out
    assert wechat.calls_to("/wxa/revertgrayrelease") == []
    wechat.fail_next("/wxa/revertgrayrelease", Fault(errcode=-1, apply=True))
    with pytest.raises(OutcomeUnknown):
        client.revert_gray_release()
    assert len(wechat.calls_to("/wxa/revertgrayrelease")) == 1
    assert client.gray_release_plan().status == 4  # it was applied: only reading the plan back tells
