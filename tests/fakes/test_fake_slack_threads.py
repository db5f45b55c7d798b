"""The fake Slack's threads as Slack documents them: conversations.replies, message metadata, and a call carried out
whose answer never arrives."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakes.slack import FakeSlack


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    return WebClient(token=slack.BOT_TOKEN, base_url=slack.api_url, retry_handlers=[])  # SDK's default repeats


def test_replies_list_the_thread_parent_first_with_metadata_only_when_asked(client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C1", text="request")["ts"]
    step = {"event_type": "rollback_step", "event_payload": {"request_id": 1, "event_id": 7}}
    client.chat_postMessage(channel="C1", thread_ts=parent, text="first step", metadata=step)
    client.chat_postMessage(channel="C1", text="elsewhere")
    plain = client.conversations_replies(channel="C1", ts=parent)["messages"]
    assert [m["text"] for m in plain] == ["request", "first step"] and all("metadata" not in m for m in plain)
    full = client.conversations_replies(channel="C1", ts=parent, include_all_metadata=True)["messages"]
    assert full[1]["metadata"] == step
    with pytest.raises(SlackApiError, match="thread_not_found"):
        client.conversations_replies(channel="C1", ts="1.000001")


def test_a_lost_answer_leaves_the_call_carried_out(slack: FakeSlack, client: WebClient) -> None:
    slack.lose_answer_next("chat.postMessage")
    with pytest.raises(Exception) as raised:
        client.chat_postMessage(channel="C1", text="landed")
    assert not isinstance(raised.value, SlackApiError)  # no answer at all, not an error answer
    assert [m["text"] for m in slack.messages().values()] == ["landed"]
    client.chat_postMessage(channel="C1", text="next")  # only the next one is lost
