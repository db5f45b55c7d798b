"""The fake Slack, driven through the real slack_sdk clients, and SlackSender through a real Bolt app."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import waitress
from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from tests.fakes.slack import FakeSlack
from tests.support.slack_requests import SlackSender

SECRET = "test-signing-secret"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=FakeSlack.BOT_TOKEN, base_url=fake.api_url)


def button(action_id: str, text: str = "Go", value: str = "1") -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": text}, "value": value}


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def slack_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value


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
    assert posted["message"]["blocks"] == blocks and posted["message"]["user"] == FakeSlack.BOT_USER_ID
    assert float(second["ts"]) > float(posted["ts"])
    assert second["message"]["thread_ts"] == posted["ts"]
    # Form-encoded by slack_sdk, but recorded as Python objects.
    assert fake.calls_to("chat.postMessage")[0].args["blocks"] == blocks

    updated = client.chat_update(channel="C1", ts=posted["ts"], text="changed")
    assert updated["ts"] == posted["ts"] and updated["text"] == "changed"
    message = fake.message("C1", posted["ts"])
    assert message["text"] == "changed"
    assert message["blocks"] == blocks  # Slack keeps the blocks an update leaves out
    client.chat_update(channel="C1", ts=posted["ts"], text="x", blocks=[section("new")])
    assert fake.messages()[("C1", posted["ts"])]["blocks"] == [section("new")]

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
    opened = client.views_open(trigger_id="1.2.abc", view=view)["view"]
    assert opened["id"].startswith("V") and opened["state"] == {"values": {}}
    assert opened["callback_id"] == "cb" and opened["blocks"] == [section("x")]
    updated = client.views_update(view_id=opened["id"], view={**view, "blocks": [section("y")]})
    assert updated["view"]["id"] == opened["id"]
    assert client.views_publish(user_id="UALICE", view={"type": "home", "blocks": []})["ok"]

    long_title = {**view, "title": {"type": "plain_text", "text": "x" * 25}}
    assert slack_error(lambda: client.views_open(trigger_id="t", view=long_title)).response["error"] == (
        "invalid_arguments"
    )
    assert slack_error(lambda: client.views_open(trigger_id="", view=view)).response["error"] == "invalid_trigger_id"
    assert client.views_open(trigger_id="t", view={**view, "blocks": [section("b")] * 100})["ok"]
    too_many = {**view, "blocks": [section("b")] * 101}
    assert slack_error(lambda: client.views_open(trigger_id="t", view=too_many)).response["error"] == "invalid_blocks"


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


# ---- SlackSender against a real Bolt app


@pytest.fixture
def bolt(fake: FakeSlack) -> Iterator[tuple[SlackSender, dict[str, Any]]]:
    seen: dict[str, Any] = {}
    app = App(client=WebClient(token=FakeSlack.BOT_TOKEN, base_url=fake.api_url), signing_secret=SECRET)

    @app.command("/miniprogram-rollback")
    def command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()
        seen["command"] = command
        respond(text="picker", blocks=[section("pick", accessory=button("pick.7", text="Roll back to 1.0", value="7"))])

    @app.action("pick.7")
    def action(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        seen["action"] = body

    @app.view("reason")
    def view(ack: Ack, view: dict[str, Any]) -> None:
        seen["view"] = view
        ack(response_action="errors", errors={"reason": "too short"})

    server = waitress.create_server(SlackRequestHandler(app), host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield SlackSender(f"http://127.0.0.1:{server.effective_port}/slack/events", SECRET, fake), seen
    finally:
        server.trigger.pull_trigger(server.close)  # closing from the loop's own thread ends it at once
        thread.join(timeout=5)


def test_sender_reaches_bolt(fake: FakeSlack, bolt: tuple[SlackSender, dict[str, Any]]) -> None:
    sender, seen = bolt
    assert fake.calls_to("auth.test")  # Bolt checks its token when built

    response, response_url = sender.command("status", user="UBOB")
    assert response.status_code == 200
    post = fake.wait_for(lambda f: f.posts_to(response_url))[0]
    assert post.body["text"] == "picker"
    assert seen["command"]["text"] == "status" and seen["command"]["user_id"] == "UBOB"
    assert seen["command"]["response_url"] == response_url

    response, click_url = sender.block_action("pick.7", "7", user="UCAROL", container_ephemeral=True)
    assert response.status_code == 200
    body: dict[str, Any] = fake.wait_for(lambda f: seen["action"])
    assert body["user"]["id"] == "UCAROL" and body["container"]["is_ephemeral"] is True
    assert body["actions"][0]["text"]["text"] == "Roll back to 1.0"  # found in what the bot posted
    assert body["response_url"] == click_url and "message" not in body

    response = sender.view_submission(
        "reason", {"reason": {"reason": {"type": "plain_text_input", "value": "x"}}}, "{}", "UBOB"
    )
    assert response.status_code == 200
    assert response.json() == {"response_action": "errors", "errors": {"reason": "too short"}}
    assert seen["view"]["state"]["values"]["reason"]["reason"]["value"] == "x"


def test_sender_channel_message_click(
    fake: FakeSlack, client: WebClient, bolt: tuple[SlackSender, dict[str, Any]]
) -> None:
    sender, seen = bolt
    posted = client.chat_postMessage(
        channel="CINCIDENT", text="request", blocks=[section("r", accessory=button("pick.7", value="7"))]
    )
    response, _ = sender.block_action("pick.7", "7", user="UBOB")
    assert response.status_code == 200
    body: dict[str, Any] = fake.wait_for(lambda f: seen["action"])
    assert body["container"]["message_ts"] == posted["ts"]  # found the message holding the button
    assert body["message"]["blocks"] == posted["message"]["blocks"]
    assert body["channel"]["id"] == "CINCIDENT"


def test_bad_signature_and_stale_request_refused(bolt: tuple[SlackSender, dict[str, Any]]) -> None:
    sender, seen = bolt
    body = json.dumps({"type": "url_verification", "challenge": "c"}).encode()
    assert sender.post(body, "application/json", signature="v0=" + "0" * 64).status_code == 401
    assert sender.post(body, "application/json", timestamp=int(time.time()) - 600).status_code == 401
    assert sender.post(body, "application/json").json() == {"challenge": "c"}
    assert seen == {}


def test_rate_limit_answers_429_with_retry_after(fake: FakeSlack) -> None:
    import requests

    fake.rate_limit_next("chat.postMessage", retry_after=2)
    headers = {"Authorization": f"Bearer {fake.BOT_TOKEN}"}
    first = requests.post(f"{fake.api_url}chat.postMessage", json={"channel": "C1", "text": "hi"}, headers=headers)
    assert (first.status_code, first.headers["Retry-After"], first.json()) == (
        429,
        "2",
        {"ok": False, "error": "ratelimited"},
    )
    second = requests.post(f"{fake.api_url}chat.postMessage", json={"channel": "C1", "text": "hi"}, headers=headers)
    assert second.status_code == 200 and second.json()["ok"]
