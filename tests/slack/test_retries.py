"""What the Web API client remembers of Slack's rate limits, against the fake Slack over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.retries import RateLimits, ShortRateLimitRetryHandler, limit_key
from tests.fakes.slack import FakeSlack


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def test_a_long_retry_after_closes_only_that_channel_to_posts(slack: FakeSlack) -> None:
    limits = RateLimits()
    client = WebClient(
        token=slack.BOT_TOKEN, base_url=slack.api_url, retry_handlers=[ShortRateLimitRetryHandler(limits=limits)]
    )
    slack.rate_limit_next("chat.postMessage", retry_after=30)
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="CBUSY", text="a step")
    assert refused.value.response.status_code == 429  # not slept through inside the call
    assert 20 < limits.wait_for(limit_key("chat.postMessage", "CBUSY")) <= 30
    assert limits.wait_for(limit_key("chat.postMessage", "CQUIET")) == 0  # Slack limits posts per channel
    assert limits.wait_for("chat.update") == 0


def test_a_short_retry_after_is_waited_out_in_the_call(slack: FakeSlack) -> None:
    limits = RateLimits()
    client = WebClient(
        token=slack.BOT_TOKEN, base_url=slack.api_url, retry_handlers=[ShortRateLimitRetryHandler(limits=limits)]
    )
    slack.rate_limit_next("chat.update", retry_after=1)
    posted = client.chat_postMessage(channel="C1", text="x")
    assert client.chat_update(channel="C1", ts=posted["ts"], text="y")["ok"]
    assert [c.response.get("error") for c in slack.calls_to("chat.update")] == ["ratelimited", None]
