"""The fake Slack's Web API and response_urls, driven through the real slack_sdk clients."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from tests.fakes.slack import FakeSlack
from tests.fakes.slack.testing import bare, button, section, slack_error


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=FakeSlack.BOT_TOKEN, base_url=fake.api_url)


def test_auth_test(fake: FakeSlack, client: WebClient) -> None:
    answer = client.auth_test()
    assert answer["user_id"] == FakeSlack.BOT_USER_ID
    assert answer["team_id"] == FakeSlack.TEAM_ID
    assert answer["bot_id"] == "BFAKE"
    assert fake.calls_to("auth.test")[0].token == FakeSlack.BOT_TOKEN


def test_post_update_and_message(fake: FakeSlack, client: WebClient) -> None:
    blocks = [section("hello", accessory=button("a1"))]
    posted = client.chat_postMessage(channel="C1", text="hi", blocks=blocks)
    second = client.chat_postMessage(channel="C1", text="reply", thread_ts=posted["ts"])
    assert posted["channel"] == "C1"
    assert bare(posted["message"]["blocks"]) == blocks and posted["message"]["user"] == FakeSlack.BOT_USER_ID
    assert float(second["ts"]) > float(posted["ts"])
    assert second["message"]["thread_ts"] == posted["ts"]
    # Form-encoded by slack_sdk, but recorded as Python objects.
    assert fake.calls_to("chat.postMessage")[0].args["blocks"] == blocks

    updated = client.chat_update(channel="C1", ts=posted["ts"], text="changed")
    assert updated["ts"] == posted["ts"] and updated["text"] == "changed"
    message = fake.message("C1", posted["ts"])
    assert message["text"] == "changed"
    assert message["blocks"] == posted["message"]["blocks"]  # Slack keeps the blocks an update leaves out
    client.chat_update(channel="C1", ts=posted["ts"], text="x", blocks=[section("new")])
    assert bare(fake.messages()[("C1", posted["ts"])]["blocks"]) == [section("new")]

    assert slack_error(lambda: client.chat_update(channel="C1", ts="1.2", text="x")).response["error"] == (
        "message_not_found"
    )
    with pytest.warns(UserWarning):  # slack_sdk's own nudge to always send text
        assert slack_error(lambda: client.chat_postMessage(channel="C1")).response["error"] == "no_text"
    assert slack_error(lambda: client.chat_postMessage(channel="", text="x")).response["error"] == "channel_not_found"
    with pytest.raises(KeyError):
        fake.message("C1", "9.9")


def test_json_body(fake: FakeSlack, client: WebClient) -> None:
    client.api_call("chat.postMessage", json={"channel": "C2", "text": "via json", "blocks": [section("j")]})
    (call,) = fake.calls_to("chat.postMessage")
    assert call.args["blocks"] == [section("j")]
    assert call.response["ok"] is True
    # slack_sdk sends `data=` as multipart/form-data.
    assert client.api_call("users.info", data={"user": "UBOB"})["user"]["name"] == "bob"
    assert fake.calls_to("users.info")[0].args == {"user": "UBOB"}


def test_ephemeral_and_permalink(fake: FakeSlack, client: WebClient) -> None:
    ephemeral = client.chat_postEphemeral(channel="C1", user="UALICE", text="only you")
    assert ephemeral["message_ts"]
    assert fake.messages() == {}  # ephemeral messages are not channel messages
    assert fake.calls_to("chat.postEphemeral")[0].args["user"] == "UALICE"

    link = client.chat_getPermalink(channel="C1", message_ts="1700000000.000100")
    assert link["permalink"] == "https://fake.slack.com/archives/C1/p1700000000000100"


def test_views(fake: FakeSlack, client: WebClient) -> None:
    view = {
        "type": "modal",
        "callback_id": "cb",
        "title": {"type": "plain_text", "text": "Title"},
        "blocks": [section("x")],
    }
    opened = client.views_open(trigger_id=fake.new_trigger_id(), view=view)["view"]
    assert opened["id"].startswith("V") and opened["state"] == {"values": {}}
    assert opened["callback_id"] == "cb" and opened["blocks"] == [section("x")]
    updated = client.views_update(view_id=opened["id"], view={**view, "blocks": [section("y")]})
    assert updated["view"]["id"] == opened["id"]
    assert client.views_publish(user_id="UALICE", view={"type": "home", "blocks": []})["ok"]

    long_title = {**view, "title": {"type": "plain_text", "text": "x" * 25}}
    assert slack_error(lambda: client.views_open(trigger_id=fake.new_trigger_id(), view=long_title)).response[
        "error"
    ] == ("invalid_arguments")
    assert slack_error(lambda: client.views_open(trigger_id="", view=view)).response["error"] == "invalid_trigger_id"
    assert client.views_open(trigger_id=fake.new_trigger_id(), view={**view, "blocks": [section("b")] * 100})["ok"]
    too_many = {**view, "blocks": [section("b")] * 101}
    too_many_error = slack_error(lambda: client.views_open(trigger_id=fake.new_trigger_id(), view=too_many))
    assert too_many_error.response["error"] == "invalid_blocks"


@pytest.mark.parametrize(
    ("blocks", "problem"),
    [
        ([section("b")] * 51, "no more than 50 items"),
        ([section("b", accessory=button("a", text="x" * 76))], "/blocks/0/accessory/text"),
        ([{"type": "actions", "elements": [button("same"), button("same")]}], "duplicate action_id"),
        ([section("a", accessory=button("same")), section("b", accessory=button("same"))], "duplicate action_id"),
        ([section("b", accessory=button("a", value="v" * 2001))], "/value"),
        ([section("b", accessory=button("a" * 256))], "/action_id"),
        ([section("x" * 3001)], "/blocks/0/text"),
        ([section("")], "more than 0 characters"),
    ],
)
def test_block_limits(client: WebClient, blocks: list[dict[str, Any]], problem: str) -> None:
    error = slack_error(lambda: client.chat_postMessage(channel="C1", text="t", blocks=blocks))
    assert error.response["error"] == "invalid_blocks"
    assert any(problem in message for message in error.response["errors"]), error.response["errors"]
    assert slack_error(lambda: client.chat_postEphemeral(channel="C1", user="U1", text="t", blocks=blocks)).response[
        "error"
    ] == ("invalid_blocks")


def test_blocks_at_the_limits_pass(client: WebClient) -> None:
    blocks = [section("b")] * 48 + [
        section("x" * 3000, accessory=button("a" * 255, text="y" * 75, value="v" * 2000)),
        {"type": "actions", "elements": [button("other")]},
    ]
    assert client.chat_postMessage(channel="C1", text="t", blocks=blocks)["ok"]


def test_bad_and_missing_token(fake: FakeSlack) -> None:
    wrong = WebClient(token="xoxb-wrong", base_url=fake.api_url)
    assert slack_error(wrong.auth_test).response["error"] == "invalid_auth"
    assert slack_error(WebClient(base_url=fake.api_url).auth_test).response["error"] == "not_authed"
    assert fake.messages() == {}


def test_fail_next_and_unknown_method(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", "ratelimited")
    assert slack_error(lambda: client.chat_postMessage(channel="C1", text="x")).response["error"] == "ratelimited"
    assert client.chat_postMessage(channel="C1", text="x")["ok"]
    assert len(fake.messages()) == 1
    assert slack_error(lambda: client.api_call("conversations.nope")).response["error"] == "unknown_method"


def test_usergroups_and_users(fake: FakeSlack, client: WebClient) -> None:
    fake.usergroup_members["S1"] = ["UALICE", "UBOB"]
    assert client.usergroups_users_list(usergroup="S1")["users"] == ["UALICE", "UBOB"]
    assert slack_error(lambda: client.usergroups_users_list(usergroup="S2")).response["error"] == "no_such_subteam"
    user = client.users_info(user="UALICE")["user"]
    assert (user["id"], user["name"], user["tz"]) == ("UALICE", "alice", "UTC")


def test_response_url(fake: FakeSlack, client: WebClient) -> None:
    url = fake.new_response_url()
    hook = WebhookClient(url)
    assert hook.send(text="first", response_type="ephemeral").status_code == 200
    assert hook.send(blocks=[section("b")] * 51).status_code == 400
    assert hook.send().body == "no_text"
    assert [post.body["text"] for post in fake.posts_to(url)] == ["first"]
    assert fake.response_posts[0].key in url
    for _ in range(4):
        assert hook.send(text="again").status_code == 200
    assert hook.send(text="sixth").body == "used_url"  # 5 posts per response_url

    posted = client.chat_postMessage(channel="C1", text="original")
    origin = fake.new_response_url(channel="C1", message_ts=posted["ts"])
    WebhookClient(origin).send(text="replaced", replace_original=True)
    assert fake.message("C1", posted["ts"])["text"] == "replaced"
    WebhookClient(origin).send(delete_original=True)
    assert fake.messages() == {}


def test_calls_and_posts_record_when_they_arrived(fake: FakeSlack, client: WebClient) -> None:
    before = time.monotonic()
    posted = client.chat_postMessage(channel="C1", text="first")
    client.chat_update(channel="C1", ts=posted["ts"], text="second")
    WebhookClient(fake.new_response_url()).send(text="third")
    after = time.monotonic()
    (post_call,), (update_call,) = fake.calls_to("chat.postMessage"), fake.calls_to("chat.update")
    assert before <= post_call.at <= update_call.at <= fake.response_posts[0].at <= after


def test_wait_for(fake: FakeSlack, client: WebClient) -> None:
    threading.Timer(0.05, lambda: client.chat_postMessage(channel="C9", text="later")).start()
    assert fake.wait_for(lambda f: f.calls_to("chat.postMessage"))[0].args["text"] == "later"
    assert fake.wait_for(lambda f: f.calls_to("chat.postMessage")[0].args["channel"]) == "C9"

    started = time.monotonic()
    with pytest.raises(AssertionError) as raised:
        fake.wait_for(lambda f: f.calls_to("views.open")[0], timeout=0.1)
    assert time.monotonic() - started < 2
    report = str(raised.value)
    assert "within 0.1s" in report and "IndexError" in report
    assert "chat.postMessage(channel='C9', text='later') -> ok" in report
