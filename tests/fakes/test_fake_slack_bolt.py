"""SlackSender (tests/support/slack_requests.py) against a real Bolt app wired to the fake Slack."""

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

from tests.fakes.slack import FakeSlack
from tests.fakes.slack.testing import button, section
from tests.support.slack_requests import SlackSender

SECRET = "test-signing-secret"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=FakeSlack.BOT_TOKEN, base_url=fake.api_url)


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


def test_sender_reaches_bolt(fake: FakeSlack, client: WebClient, bolt: tuple[SlackSender, dict[str, Any]]) -> None:
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
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": []}
    assert client.views_open(trigger_id=body["trigger_id"], view=modal)["ok"]  # the fake issued it

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
    assert body["message"]["blocks"][0]["block_id"]  # as Slack echoes it: with the block_id it added
    assert body["actions"][0]["block_id"] == body["message"]["blocks"][0]["block_id"]
    assert body["channel"]["id"] == "CINCIDENT"


def test_bad_signature_and_stale_request_refused(bolt: tuple[SlackSender, dict[str, Any]]) -> None:
    sender, seen = bolt
    body = json.dumps({"type": "url_verification", "challenge": "c"}).encode()
    assert sender.post(body, "application/json", signature="v0=" + "0" * 64).status_code == 401
    assert sender.post(body, "application/json", timestamp=int(time.time()) - 600).status_code == 401
    assert sender.post(body, "application/json").json() == {"challenge": "c"}
    assert seen == {}
