"""The fake Slack's threads as Slack documents them: conversations.replies, message metadata, and a call carried out
whose answer never arrives."""

from __future__ import annotations

import threading
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


def test_a_held_answer_comes_after_the_call_is_carried_out(slack: FakeSlack, client: WebClient) -> None:
    answer = threading.Event()
    slack.hold_answer_next("chat.postMessage", answer)
    answered: list[str] = []

    def post() -> None:
        answered.append(str(client.chat_postMessage(channel="C1", text="x")["ts"]))

    caller = threading.Thread(target=post)
    caller.start()
    slack.wait_for(lambda s: s.messages())  # in the channel, its answer still held
    assert answered == []
    answer.set()
    caller.join(timeout=10)
    assert answered == [next(iter(slack.messages()))[1]]


def test_a_held_call_is_carried_out_only_when_let_go(slack: FakeSlack, client: WebClient) -> None:
    arrive = threading.Event()
    slack.hold_call_next("chat.postMessage", arrive)
    caller = threading.Thread(target=lambda: client.chat_postMessage(channel="C1", text="late"))
    caller.start()
    slack.wait_for(lambda s: s.calls_held("chat.postMessage") == 0)  # received, held
    assert slack.messages() == {} and slack.calls_to("chat.postMessage") == []
    arrive.set()
    caller.join(timeout=10)
    assert [m["text"] for m in slack.messages().values()] == ["late"]


def test_an_archived_channel_refuses_posts_until_unarchived(slack: FakeSlack, client: WebClient) -> None:
    slack.archive("C1")
    with pytest.raises(SlackApiError, match="is_archived"):
        client.chat_postMessage(channel="C1", text="refused")
    slack.unarchive("C1")
    client.chat_postMessage(channel="C1", text="taken")
    assert [m["text"] for m in slack.messages().values()] == ["taken"]
