"""The fake Slack's rate limits: Slack's documented tiers by default, tunable by tests; timed by a clock the test
moves, so nothing here waits or depends on the machine's speed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from tests.fakes.slack import DEFAULT_RATE_LIMITS, FakeSlack, RateLimit
from tests.fakes.slack.testing import ManualClock, slack_error

HEADERS = {"Authorization": f"Bearer {FakeSlack.BOT_TOKEN}"}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def fake(clock: ManualClock) -> Iterator[FakeSlack]:
    with FakeSlack(clock=clock) as fake:
        yield fake


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=FakeSlack.BOT_TOKEN, base_url=fake.api_url)  # no retry handler: 429s raise


def post(fake: FakeSlack, channel: str = "C1") -> requests.Response:
    return requests.post(f"{fake.api_url}chat.postMessage", json={"channel": channel, "text": "hi"}, headers=HEADERS)


def test_the_documented_tiers_are_the_default() -> None:
    per_minute = {method: (limit.per_minute, limit.per_channel) for method, limit in DEFAULT_RATE_LIMITS.items()}
    assert per_minute["chat.postMessage"] == (60, True)  # special: about one a second per channel
    assert per_minute["chat.update"] == per_minute["chat.delete"] == (50, False)  # Tier 3
    assert per_minute["chat.postEphemeral"] == per_minute["users.info"] == (100, False)  # Tier 4
    assert per_minute["views.open"] == per_minute["views.update"] == per_minute["views.publish"] == (100, False)
    assert per_minute["usergroups.users.list"] == (20, False)  # Tier 2
    assert per_minute["apps.connections.open"] == (1, False)  # Tier 1


def test_post_message_allows_a_short_burst_per_channel_then_one_a_second(fake: FakeSlack, clock: ManualClock) -> None:
    burst = DEFAULT_RATE_LIMITS["chat.postMessage"].burst
    assert [post(fake).status_code for _ in range(burst)] == [200] * burst
    limited = post(fake)
    assert (limited.status_code, limited.headers["Retry-After"], limited.json()) == (
        429,
        "1",
        {"ok": False, "error": "ratelimited"},
    )
    assert post(fake, "C2").status_code == 200  # another channel has its own bucket
    clock.advance(1)
    assert post(fake).status_code == 200  # one more a second later
    assert post(fake).status_code == 429
    clock.advance(60)
    assert [post(fake).status_code for _ in range(burst + 1)] == [200] * burst + [429]  # a quiet spell refills it
    assert len(fake.messages()) == 2 * burst + 2  # refused posts post nothing
    refused = [call for call in fake.calls_to("chat.postMessage") if call.status == 429]
    assert len(refused) == 3 and refused[0].args["channel"] == "C1"


def test_tier_3_allows_fifty_then_asks_to_wait(fake: FakeSlack, client: WebClient, clock: ManualClock) -> None:
    ts = client.chat_postMessage(channel="C1", text="x")["ts"]
    for _ in range(50):
        client.chat_update(channel="C1", ts=ts, text="y")
    error = slack_error(lambda: client.chat_update(channel="C1", ts=ts, text="y"))
    assert error.response.status_code == 429 and error.response.headers["Retry-After"] == "2"  # 60 s / 50, rounded up
    clock.advance(1.2)
    assert client.chat_update(channel="C1", ts=ts, text="z")["ok"]


def test_tests_tune_the_limits(clock: ManualClock) -> None:
    with FakeSlack(clock=clock, rate_limits={"chat.postMessage": None, "users.info": RateLimit(6, 1)}) as fake:
        assert all(post(fake).status_code == 200 for _ in range(20))
        client = WebClient(token=FakeSlack.BOT_TOKEN, base_url=fake.api_url)
        assert client.users_info(user="UALICE")["ok"]
        error = slack_error(lambda: client.users_info(user="UALICE"))
        assert error.response.headers["Retry-After"] == "10"
        fake.set_rate_limit("chat.postMessage", RateLimit(60, 1, per_channel=True))
        assert [post(fake).status_code, post(fake).status_code] == [200, 429]
        fake.disable_rate_limits()
        assert all(post(fake).status_code == 200 for _ in range(20)) and client.users_info(user="UALICE")["ok"]


def test_rate_limit_next_refuses_the_next_calls(fake: FakeSlack) -> None:
    fake.rate_limit_next("chat.postMessage", retry_after=2, times=2)
    first, second = post(fake), post(fake)
    assert (first.status_code, first.headers["Retry-After"], first.json()) == (
        429,
        "2",
        {"ok": False, "error": "ratelimited"},
    )
    assert second.status_code == 429
    assert post(fake).status_code == 200 and post(fake).json()["ok"]


def test_slack_sdk_waits_out_retry_after_and_repeats() -> None:
    """With the real clock: the SDK's handler sleeps the second Slack asked for, then the post goes through."""
    with FakeSlack(rate_limits={"chat.postMessage": RateLimit(60, 1, per_channel=True)}) as fake:
        client = WebClient(
            token=FakeSlack.BOT_TOKEN, base_url=fake.api_url, retry_handlers=[RateLimitErrorRetryHandler(3)]
        )
        client.chat_postMessage(channel="C1", text="first")
        assert client.chat_postMessage(channel="C1", text="second")["ok"]
        statuses = [call.status for call in fake.calls_to("chat.postMessage")]
        assert statuses[0] == 200 and statuses[-1] == 200 and 429 in statuses
        assert len(fake.messages()) == 2
