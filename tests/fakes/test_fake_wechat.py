"""The fake WeChat server itself, driven over real HTTP, so the bot's tests can trust its semantics.

Each documented behaviour the fake models has a test here; the documentation pages are named in the docstrings
of tests/fakes/wechat.py, wechat_code.py, wechat_errors.py and wechat_tokens.py.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.fakes.token_service import FakeTokenService
from tests.fakes.wechat import ANY_CALL, LIST_KEY, NO_GRAY_PLAN, FakeWeChat, Fault
from tests.fakes.wechat_errors import RID, without_rid
from tests.fakes.wechat_tokens import DAY, FORCE_INTERVAL, FORCE_PER_DAY, GRACE, LIFETIME

REVERT = "/wxa/revertcoderelease"
STABLE = "/cgi-bin/stable_token"


@pytest.fixture
def fake() -> Iterator[FakeWeChat]:
    with FakeWeChat() as server:
        server.release("1.0.0", "first", 1_690_000_000)
        server.release("1.1.0", "stable", 1_700_000_000)
        server.release("1.2.0", "latest", 1_710_000_000)
        yield server


def stable_token(fake: FakeWeChat, **overrides: Any) -> dict[str, Any]:
    payload = {"grant_type": "client_credential", "appid": fake.APPID, "secret": fake.SECRET, "force_refresh": False}
    body: dict[str, Any] = requests.post(fake.base_url + STABLE, json={**payload, **overrides}, timeout=20).json()
    return body


def plain_token(fake: FakeWeChat) -> str:
    params = {"grant_type": "client_credential", "appid": fake.APPID, "secret": fake.SECRET}
    token: str = requests.get(fake.base_url + "/cgi-bin/token", params=params, timeout=20).json()["access_token"]
    return token


@pytest.fixture
def token(fake: FakeWeChat) -> str:
    value: str = stable_token(fake)["access_token"]
    return value


def get(fake: FakeWeChat, path: str, timeout: float = 20, **params: Any) -> requests.Response:
    return requests.get(fake.base_url + path, params=params, timeout=timeout)


def listing(fake: FakeWeChat, token: str) -> list[dict[str, Any]]:
    body = get(fake, REVERT, access_token=token, action="get_history_version").json()
    assert body["errcode"] == 0
    versions: list[dict[str, Any]] = body["version_list"]
    return versions


def rollback(fake: FakeWeChat, token: str, **params: Any) -> dict[str, Any]:
    body: dict[str, Any] = get(fake, REVERT, access_token=token, **params).json()
    return body


def refusal(body: dict[str, Any]) -> tuple[int, str]:
    """The errcode and documented errmsg of a refusal, after checking the ` rid: …` suffix every refusal carries."""
    assert RID.search(body["errmsg"]), body
    return body["errcode"], without_rid(body["errmsg"])


def listed(fake: FakeWeChat, token: str) -> int:
    """The errcode a listing call with `token` gets (0 when the token works)."""
    code: int = get(fake, REVERT, access_token=token, action="get_history_version").json()["errcode"]
    return code


# --- listing and rollback


def test_listing_shows_history_oldest_first(fake: FakeWeChat, token: str) -> None:
    versions = listing(fake, token)
    assert [v["user_version"] for v in versions] == ["1.0.0", "1.1.0"]
    assert versions[1] == {
        "app_version": 101,
        "user_version": "1.1.0",
        "user_desc": "stable",
        "commit_time": 1_700_000_000,
    }
    assert fake.rollback_calls() == []


def test_action_wins_over_app_version(fake: FakeWeChat, token: str) -> None:
    target = fake.history[0].app_version
    body = rollback(fake, token, action="get_history_version", app_version=target)
    assert body["errcode"] == 0 and len(body["version_list"]) == 2
    assert fake.online is not None and fake.online.user_version == "1.2.0"
    assert fake.rollback_calls() == [] and len(fake.calls_to(REVERT)) == 1


def test_unknown_action_is_invalid_args(fake: FakeWeChat, token: str) -> None:
    assert refusal(rollback(fake, token, action="list")) == (40097, "invalid args")
    assert fake.online is not None and fake.online.user_version == "1.2.0"


def test_only_five_versions_are_kept(fake: FakeWeChat, token: str) -> None:
    for minor in range(3, 9):
        fake.release(f"1.{minor}.0")
    versions = listing(fake, token)
    assert [v["user_version"] for v in versions] == ["1.3.0", "1.4.0", "1.5.0", "1.6.0", "1.7.0"]
    assert [v["app_version"] for v in versions] == [103, 104, 105, 106, 107]


def test_listing_is_ordered_by_commit_time_not_by_release() -> None:
    with FakeWeChat() as fake:
        fake.release("3.0.0", "", 1_700_000_300)
        fake.release("3.1.0", "built before 3.0.0, released after", 1_700_000_100)
        fake.release("3.2.0", "", 1_700_000_200)
        token = stable_token(fake)["access_token"]
        assert [v["user_version"] for v in listing(fake, token)] == ["3.1.0", "3.0.0"]


def test_bare_call_rolls_back_to_previous_version(fake: FakeWeChat, token: str) -> None:
    assert rollback(fake, token) == {"errcode": 0, "errmsg": "ok"}
    assert fake.online is not None and fake.online.user_version == "1.1.0"
    assert len(fake.rollback_calls()) == 1


def test_rollback_to_chosen_version_then_no_second_rollback(fake: FakeWeChat, token: str) -> None:
    assert rollback(fake, token, app_version=100)["errcode"] == 0
    assert fake.online is not None and fake.online.user_version == "1.0.0"
    assert listing(fake, token) == []
    assert refusal(rollback(fake, token)) == (87012, "forbid revert this version release")
    assert rollback(fake, token, app_version=101)["errcode"] == 87012
    assert fake.online.user_version == "1.0.0"
    assert len(fake.rollback_calls()) == 3  # refused attempts count too
    # A new release makes rollback possible again; the version rolled away from (1.2.0) is gone.
    fake.release("1.3.0")
    assert [v["user_version"] for v in listing(fake, token)] == ["1.0.0", "1.1.0"]


def test_rollback_refusals(fake: FakeWeChat, token: str) -> None:
    assert rollback(fake, token, app_version=999)["errcode"] == 87012  # not in history
    assert rollback(fake, token, app_version=102)["errcode"] == 87012  # the online version itself
    assert rollback(fake, token, app_version="abc")["errcode"] == 40097
    assert fake.online is not None and fake.online.user_version == "1.2.0"


def test_no_rollback_without_previous_version() -> None:
    with FakeWeChat() as fake:
        token = stable_token(fake)["access_token"]
        assert rollback(fake, token)["errcode"] == 87012
        fake.release("1.0.0")
        assert rollback(fake, token)["errcode"] == 87012
        assert listing(fake, token) == []


@pytest.mark.parametrize("status", [1, 2])
def test_gray_release_blocks_rollback(fake: FakeWeChat, token: str, status: int) -> None:
    fake.set_gray_release(status, 20)
    plan = get(fake, "/wxa/getgrayreleaseplan", access_token=token).json()["gray_release_plan"]
    assert plan["status"] == status and plan["gray_percentage"] == 20
    assert refusal(rollback(fake, token)) == (87011, "wxa has a gray release plan, forbid revert release")
    assert get(fake, "/wxa/revertgrayrelease", access_token=token).json() == {"errcode": 0, "errmsg": "ok"}
    assert get(fake, "/wxa/getgrayreleaseplan", access_token=token).json()["gray_release_plan"]["status"] == 4
    assert rollback(fake, token)["errcode"] == 0


def test_no_gray_release_by_default(fake: FakeWeChat, token: str) -> None:
    body = get(fake, "/wxa/getgrayreleaseplan", access_token=token).json()
    assert body["errcode"] == 0 and body["gray_release_plan"]["status"] == 0


@pytest.mark.parametrize("status", [0, 3, 4])
def test_reverting_a_gray_release_when_none_runs_is_an_error(fake: FakeWeChat, token: str, status: int) -> None:
    if status:
        fake.set_gray_release(status)
    body = get(fake, "/wxa/revertgrayrelease", access_token=token).json()
    assert body["errcode"] == NO_GRAY_PLAN != 0 and RID.search(body["errmsg"])
    assert fake.gray_status == status


# --- other endpoints


def test_version_info(fake: FakeWeChat, token: str) -> None:
    url = fake.base_url + "/wxa/getversioninfo"
    empty = requests.post(url, params={"access_token": token}, data=b"", timeout=20).json()
    assert refusal(empty) == (44002, "empty post data")
    body = requests.post(url, params={"access_token": token}, json={}, timeout=20).json()
    assert body["errcode"] == 0
    assert body["release_info"] == {"release_time": 1_710_000_000, "release_version": "1.2.0", "release_desc": "latest"}
    assert fake.calls_to("/wxa/getversioninfo")[-1].body == {}


def test_version_info_without_release() -> None:
    with FakeWeChat() as fake:
        token = stable_token(fake)["access_token"]
        url = fake.base_url + "/wxa/getversioninfo"
        body = requests.post(url, params={"access_token": token}, json={}, timeout=20).json()
        assert body == {"errcode": 0, "errmsg": "ok"}


def test_quota_counts_rollback_calls(fake: FakeWeChat, token: str) -> None:
    listing(fake, token)
    rollback(fake, token)
    rollback(fake, token)  # refused with 87012, still counted
    url = fake.base_url + "/cgi-bin/openapi/quota/get"
    quota = requests.post(url, params={"access_token": token}, json={"cgi_path": REVERT}, timeout=20).json()["quota"]
    assert quota["used"] == 2 and quota["remain"] == quota["daily_limit"] - 2


def test_unknown_path_answers_json_errcode_with_http_200(fake: FakeWeChat, token: str) -> None:
    response = get(fake, "/wxa/nope", access_token=token)
    assert response.status_code == 200
    assert refusal(response.json()) == (40066, "invalid url")
    assert refusal(get(fake, "/wxa/nope").json())[0] == 40066  # the path is judged before the token


def test_wrong_method_answers_json_errcode_with_http_200(fake: FakeWeChat, token: str) -> None:
    posted = requests.post(fake.base_url + REVERT, params={"access_token": token}, json={}, timeout=20)
    assert posted.status_code == 200 and refusal(posted.json()) == (43001, "require GET method")
    fetched = get(fake, "/wxa/getversioninfo", access_token=token)
    assert fetched.status_code == 200 and refusal(fetched.json()) == (43002, "require POST method")
    assert fake.online is not None and fake.online.user_version == "1.2.0"  # nothing was rolled back


def test_every_refusal_carries_a_rid_and_success_none(fake: FakeWeChat, token: str) -> None:
    first = get(fake, REVERT, access_token="nope", action="get_history_version").json()["errmsg"]
    second = get(fake, REVERT, access_token="nope", action="get_history_version").json()["errmsg"]
    assert first.startswith("invalid credential, access_token is invalid or not latest rid: ")
    assert RID.search(first) and RID.search(second) and first != second  # one request id per answer
    assert rollback(fake, token) == {"errcode": 0, "errmsg": "ok"}


# --- tokens


def test_token_errors(fake: FakeWeChat, token: str) -> None:
    assert refusal(get(fake, REVERT, action="get_history_version").json()) == (41001, "access_token missing")
    assert get(fake, REVERT, access_token="nope", action="get_history_version").json()["errcode"] == 40001
    fake.expire_tokens()
    assert refusal(get(fake, REVERT, access_token=token, action="get_history_version").json()) == (
        42001,
        "access_token expired",
    )
    fresh = stable_token(fake)["access_token"]
    assert fresh != token
    assert len(listing(fake, fresh)) == 2


def test_credential_errors(fake: FakeWeChat) -> None:
    assert refusal(stable_token(fake, appid="wx_other")) == (40013, "invalid appid")
    assert refusal(stable_token(fake, secret="wrong")) == (40125, "invalid appsecret")
    assert stable_token(fake, grant_type="password")["errcode"] == 40002
    params = {"grant_type": "client_credential", "appid": fake.APPID, "secret": "wrong"}
    assert requests.get(fake.base_url + "/cgi-bin/token", params=params, timeout=20).json()["errcode"] == 40125
    assert fake.token_fetches == 0


def test_stable_token_normal_mode_returns_the_same_token_with_its_remaining_lifetime(
    fake: FakeWeChat, token: str
) -> None:
    assert len(token) >= 40 and fake.token_fetches == 1
    fake.advance(1000)
    again = stable_token(fake)
    assert again["access_token"] == token and LIFETIME - 1002 <= again["expires_in"] <= LIFETIME - 1000
    assert fake.token_fetches == 1


def test_stable_token_normal_mode_does_not_invalidate_other_tokens(fake: FakeWeChat, token: str) -> None:
    plain = plain_token(fake)
    service = fake.issue_token()
    assert stable_token(fake)["access_token"] == token
    assert {token, plain, service} <= fake.valid_tokens


def test_stable_token_renews_in_its_last_five_minutes_and_both_stay_valid(fake: FakeWeChat, token: str) -> None:
    fake.advance(LIFETIME - 299)
    renewed = stable_token(fake)
    assert renewed["access_token"] != token and renewed["expires_in"] == LIFETIME
    assert listed(fake, token) == 0 and listed(fake, renewed["access_token"]) == 0  # the overlap
    fake.advance(300)
    assert listed(fake, token) == 42001 and listed(fake, renewed["access_token"]) == 0
    assert stable_token(fake)["access_token"] == renewed["access_token"]


def test_forced_refresh_invalidates_the_previous_token(fake: FakeWeChat, token: str) -> None:
    forced = stable_token(fake, force_refresh=True)
    assert forced["access_token"] != token and forced["expires_in"] == LIFETIME
    assert listed(fake, token) == 40001  # logged out at once: no overlap
    assert listed(fake, forced["access_token"]) == 0
    assert stable_token(fake)["access_token"] == forced["access_token"]  # normal mode hands out the new one


def test_forced_refresh_within_30_seconds_refreshes_nothing(fake: FakeWeChat, token: str) -> None:
    first = stable_token(fake, force_refresh=True)["access_token"]
    fake.advance(FORCE_INTERVAL - 1)
    again = stable_token(fake, force_refresh=True)
    assert again["access_token"] == first and listed(fake, first) == 0  # not refreshed, not invalidated
    assert again["expires_in"] <= LIFETIME - FORCE_INTERVAL + 1
    fake.advance(1)
    later = stable_token(fake, force_refresh=True)["access_token"]
    assert later not in (token, first) and listed(fake, first) == 40001
    assert fake.token_fetches == 3


def test_forced_refresh_is_limited_to_20_a_day(fake: FakeWeChat, token: str) -> None:
    for _ in range(FORCE_PER_DAY):
        fake.advance(FORCE_INTERVAL)
        assert "access_token" in stable_token(fake, force_refresh=True)
    fake.advance(FORCE_INTERVAL)
    current = stable_token(fake)["access_token"]
    # The page names the limit, not its errcode: the fake answers WeChat's daily-quota code.
    assert refusal(stable_token(fake, force_refresh=True)) == (45009, "reach max api daily quota limit")
    assert listed(fake, current) == 0
    fake.advance(DAY)
    assert stable_token(fake, force_refresh=True)["access_token"] != current


def test_tokens_expire_on_the_fake_clock(fake: FakeWeChat, token: str) -> None:
    service = fake.issue_token()
    fake.advance(LIFETIME)
    assert listed(fake, token) == 42001 and listed(fake, service) == 42001
    assert fake.valid_tokens == set()
    fresh = stable_token(fake)
    assert fresh["access_token"] != token and fresh["expires_in"] == LIFETIME


def test_plain_token_replaces_earlier_plain_tokens_after_five_minutes(fake: FakeWeChat, token: str) -> None:
    first = plain_token(fake)
    assert len(listing(fake, first)) == 2
    second = plain_token(fake)
    assert listed(fake, first) == 0 and listed(fake, second) == 0  # both valid in the 5-minute overlap
    fake.advance(GRACE)
    assert listed(fake, first) == 40001
    assert len(listing(fake, second)) == 2
    assert len(listing(fake, token)) == 2  # stable_token tokens are independent of cgi-bin/token
    assert fake.token_fetches == 3


# --- fault injection


def test_errcode_fault_is_consumed_once(fake: FakeWeChat, token: str) -> None:
    fake.fail_next(REVERT, Fault(errcode=45009))
    assert listing(fake, token)  # a rollback fault leaves listing calls alone
    assert refusal(rollback(fake, token)) == (45009, "reach max api daily quota limit")
    assert fake.online is not None and fake.online.user_version == "1.2.0"  # not applied
    assert rollback(fake, token)["errcode"] == 0
    assert len(fake.rollback_calls()) == 2


def test_listing_faults_use_their_own_key(fake: FakeWeChat, token: str) -> None:
    fake.fail_next(REVERT + "#list", Fault(errcode=-1))
    fake.fail_next(REVERT + "#list", Fault(errcode=61007))
    assert refusal(get(fake, REVERT, access_token=token, action="get_history_version").json()) == (-1, "system error")
    assert refusal(get(fake, REVERT, access_token=token, action="get_history_version").json()) == (
        61007,
        "api is unauthorized to component",
    )
    assert len(listing(fake, token)) == 2
    assert fake.rollback_calls() == []


def test_lost_response_applies_the_rollback(fake: FakeWeChat, token: str) -> None:
    fake.fail_next(REVERT, Fault(errcode=-1, apply=True))
    assert refusal(rollback(fake, token)) == (-1, "system error")
    assert fake.online is not None and fake.online.user_version == "1.1.0"
    assert rollback(fake, token)["errcode"] == 87012  # a blind retry is refused


def test_http_status_and_raw_body_faults(fake: FakeWeChat, token: str) -> None:
    fake.fail_next(REVERT, Fault(status=502))
    fake.fail_next(REVERT, Fault(body="<html>oops"))
    bad_gateway = get(fake, REVERT, access_token=token)
    assert bad_gateway.status_code == 502
    with pytest.raises(ValueError):
        bad_gateway.json()
    raw = get(fake, REVERT, access_token=token)
    assert raw.status_code == 200 and raw.text == "<html>oops"
    assert fake.online is not None and fake.online.user_version == "1.2.0"
    assert len(fake.rollback_calls()) == 2


def test_token_endpoint_faults(fake: FakeWeChat) -> None:
    fake.fail_next(STABLE, Fault(errcode=-1))
    assert refusal(stable_token(fake)) == (-1, "system error")
    assert "access_token" in stable_token(fake)


def test_delay_keeps_serving_others_and_apply_happens_first(fake: FakeWeChat, token: str) -> None:
    fake.fail_next(REVERT, Fault(delay=10, apply=True, errcode=0))  # far longer than anything below takes
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        get(fake, REVERT, timeout=0.2, access_token=token)
    # The rollback was applied although the client gave up; other requests are answered meanwhile.
    assert fake.online is not None and fake.online.user_version == "1.1.0"
    assert listing(fake, token) == []
    assert time.monotonic() - started < 8  # not behind the delayed answer


def test_plain_delay_delays_a_normal_answer(fake: FakeWeChat, token: str) -> None:
    fake.fail_next("/wxa/getgrayreleaseplan", Fault(delay=0.2))
    results: list[dict[str, Any]] = []
    worker = threading.Thread(
        target=lambda: results.append(get(fake, "/wxa/getgrayreleaseplan", access_token=token).json())
    )
    started = time.monotonic()
    worker.start()
    assert len(listing(fake, token)) == 2
    worker.join(timeout=20)
    assert time.monotonic() - started >= 0.2
    assert results and results[0]["errcode"] == 0 and "gray_release_plan" in results[0]


def test_latency_delays_every_matching_call_until_cleared(fake: FakeWeChat, token: str) -> None:
    fake.set_latency(REVERT, 3.0)  # the rollback only: listings have their own key
    started = time.monotonic()
    assert len(listing(fake, token)) == 2
    assert time.monotonic() - started < 2.5  # bounds below leave seconds for a busy machine
    # Not consumed like a fault: concurrent calls all wait, side by side, and are recorded on arrival.
    answers: list[dict[str, Any]] = []
    workers = [
        threading.Thread(target=lambda: answers.append(rollback(fake, token, app_version=999))) for _ in range(5)
    ]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    took = time.monotonic() - started
    assert 3.0 <= took < 12.0  # side by side: one after another they would take 15 s
    assert [answer["errcode"] for answer in answers] == [87012] * 5
    assert all(call.at < started + 2.5 for call in fake.rollback_calls())
    fake.set_latency(REVERT, 0)
    assert fake.latency == {}
    started = time.monotonic()
    rollback(fake, token, app_version=999)
    assert time.monotonic() - started < 2.5


def test_latency_keys_for_listings_and_every_call(fake: FakeWeChat, token: str) -> None:
    fake.set_latency(LIST_KEY, 0.2)
    started = time.monotonic()
    listing(fake, token)
    assert time.monotonic() - started >= 0.2
    fake.set_latency(LIST_KEY, 0)
    fake.set_latency(ANY_CALL, 3.0)
    started = time.monotonic()
    assert "access_token" in stable_token(fake)
    assert time.monotonic() - started >= 3.0
    fake.set_latency("/wxa/getgrayreleaseplan", 0.01)  # a path's own latency wins over ANY_CALL
    started = time.monotonic()
    assert get(fake, "/wxa/getgrayreleaseplan", access_token=token).json()["errcode"] == 0
    assert time.monotonic() - started < 2.5


def test_calls_are_recorded(fake: FakeWeChat, token: str) -> None:
    rollback(fake, token, app_version=101)
    call = fake.calls[-1]
    assert (call.method, call.path, call.body) == ("GET", REVERT, None)
    assert call.query == {"access_token": token, "app_version": "101"}
    assert fake.calls_to(STABLE)[0].body["grant_type"] == "client_credential"
    fake.reset_calls()
    assert fake.calls == [] and fake.rollback_calls() == []


# --- third-party platform tokens

COMPONENT = "/cgi-bin/component/api_component_token"
AUTHORIZER = "/cgi-bin/component/api_authorizer_token"


def component_token(fake: FakeWeChat, **overrides: Any) -> dict[str, Any]:
    payload = {
        "component_appid": fake.component_appid,
        "component_appsecret": fake.component_secret,
        "component_verify_ticket": fake.verify_ticket,
    }
    body: dict[str, Any] = requests.post(fake.base_url + COMPONENT, json={**payload, **overrides}, timeout=20).json()
    return body


def authorizer_token(fake: FakeWeChat, component: str, refresh: str, **overrides: Any) -> dict[str, Any]:
    payload = {
        "component_appid": fake.component_appid,
        "authorizer_appid": fake.appid,
        "authorizer_refresh_token": refresh,
    }
    url = fake.base_url + AUTHORIZER
    params = {"component_access_token": component}
    body: dict[str, Any] = requests.post(url, params=params, json={**payload, **overrides}, timeout=20).json()
    return body


def test_component_token_needs_platform_credentials_and_current_ticket(fake: FakeWeChat) -> None:
    assert refusal(component_token(fake, component_appid="wx_other")) == (40013, "invalid appid")
    assert component_token(fake, component_appsecret="wrong")["errcode"] == 40125
    assert refusal(component_token(fake, component_verify_ticket="ticket@@@made-up")) == (
        61006,
        "invalid component ticket",
    )
    old = fake.verify_ticket
    new = fake.expire_ticket()
    assert new != old and fake.verify_ticket == new
    assert component_token(fake, component_verify_ticket=old)["errcode"] == 61005
    assert fake.component_token_fetches == 0
    body = component_token(fake)
    assert body["expires_in"] == 7200 and len(body["component_access_token"]) >= 40
    assert fake.component_token_fetches == 1 and fake.valid_component_tokens == {body["component_access_token"]}


def test_component_token_is_not_an_access_token(fake: FakeWeChat) -> None:
    component = component_token(fake)["component_access_token"]
    assert get(fake, REVERT, access_token=component, action="get_history_version").json()["errcode"] == 40001
    assert fake.token_fetches == 0


def test_component_token_replaces_the_previous_one_after_five_minutes(fake: FakeWeChat) -> None:
    first = component_token(fake)["component_access_token"]
    second = component_token(fake)["component_access_token"]
    assert second != first and fake.valid_component_tokens == {first, second}
    refresh = fake.authorizer_refresh_tokens[fake.appid]
    assert "authorizer_access_token" in authorizer_token(fake, first, refresh)  # still good in the overlap
    fake.advance(GRACE)
    assert fake.valid_component_tokens == {second}
    assert refusal(authorizer_token(fake, first, refresh))[0] == 40001
    assert "authorizer_access_token" in authorizer_token(fake, second, refresh)


def test_authorizer_token_keeps_the_refresh_token(fake: FakeWeChat) -> None:
    component = component_token(fake)["component_access_token"]
    refresh = fake.authorizer_refresh_tokens[fake.appid]
    assert refresh.startswith("refresh-")
    body = authorizer_token(fake, component, refresh)
    assert set(body) == {"authorizer_access_token", "expires_in", "authorizer_refresh_token"}
    assert body["expires_in"] == LIFETIME and body["authorizer_refresh_token"] == refresh  # not rotated
    assert len(listing(fake, body["authorizer_access_token"])) == 2  # good for every /wxa/ call
    again = authorizer_token(fake, component, refresh)
    assert again["authorizer_refresh_token"] == refresh and fake.authorizer_refresh_tokens[fake.appid] == refresh
    assert again["authorizer_access_token"] != body["authorizer_access_token"]
    assert fake.authorizer_token_fetches == 2 and fake.token_fetches == 2


def test_authorizer_token_replaces_the_previous_one_after_five_minutes(fake: FakeWeChat) -> None:
    component = component_token(fake)["component_access_token"]
    refresh = fake.authorizer_refresh_tokens[fake.appid]
    first = authorizer_token(fake, component, refresh)["authorizer_access_token"]
    second = authorizer_token(fake, component, refresh)["authorizer_access_token"]
    assert listed(fake, first) == 0 and listed(fake, second) == 0
    fake.advance(GRACE)
    assert listed(fake, first) == 40001 and listed(fake, second) == 0


def test_reauthorization_changes_the_refresh_token_the_old_one_works_five_minutes(fake: FakeWeChat) -> None:
    component = component_token(fake)["component_access_token"]
    old = fake.authorizer_refresh_tokens[fake.appid]
    new = fake.reauthorize()
    assert new != old and fake.authorizer_refresh_tokens[fake.appid] == new
    body = authorizer_token(fake, component, old)
    assert body["authorizer_refresh_token"] == new  # WeChat hands out the one it holds now: keep it
    fake.advance(GRACE)
    assert refusal(authorizer_token(fake, component, old)) == (61023, "invalid refresh_token")
    assert authorizer_token(fake, component, new)["authorizer_refresh_token"] == new


def test_authorizer_token_errors(fake: FakeWeChat) -> None:
    refresh = fake.authorizer_refresh_tokens[fake.appid]
    assert authorizer_token(fake, "unknown", refresh)["errcode"] == 40001
    component = component_token(fake)["component_access_token"]
    assert authorizer_token(fake, component, refresh, authorizer_appid="wx_stranger")["errcode"] == 61003
    assert authorizer_token(fake, component, refresh, component_appid="wx_other")["errcode"] == 40013
    fake.expire_tokens()  # access tokens only
    fake.expire_component_tokens()
    assert refusal(authorizer_token(fake, component, refresh)) == (42001, "access_token expired")
    assert fake.authorizer_refresh_tokens[fake.appid] == refresh  # refused calls rotate nothing
    assert fake.authorizer_token_fetches == 0


def test_component_endpoints_take_faults(fake: FakeWeChat) -> None:
    fake.fail_next(COMPONENT, Fault(errcode=61004))
    fake.fail_next(AUTHORIZER, Fault(errcode=-1))
    assert component_token(fake)["errcode"] == 61004
    component = component_token(fake)["component_access_token"]
    refresh = fake.authorizer_refresh_tokens[fake.appid]
    assert authorizer_token(fake, component, refresh)["errcode"] == -1
    assert "authorizer_access_token" in authorizer_token(fake, component, refresh)


def test_issue_token_for_a_central_service(fake: FakeWeChat) -> None:
    first, second = fake.issue_token(), fake.issue_token()
    assert first != second and {first, second} <= fake.valid_tokens
    assert len(listing(fake, first)) == 2


def test_fake_token_service_keeps_one_token_until_told_it_is_stale(fake: FakeWeChat) -> None:
    with FakeTokenService(fake) as service:

        def ask(**params: str) -> requests.Response:
            return requests.get(service.url, params={"appid": fake.APPID, **params}, timeout=20)

        first = ask().json()
        assert first["expires_in"] == 7200 and ask().json() == first
        assert ask(stale="000000000000").json() == first  # not the current token's hash: nothing to replace
        second = ask(stale=hashlib.sha256(first["access_token"].encode()).hexdigest()[:12]).json()["access_token"]
        assert second != first["access_token"] and {first["access_token"], second} <= fake.valid_tokens
        assert requests.get(service.url, params={"appid": "wx_other"}, timeout=2).status_code == 404
        service.fail_next(503)
        assert ask().status_code == 503
        assert len(service.requests) == 6 and service.requests[0] == {"appid": fake.APPID}
