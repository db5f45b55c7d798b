from __future__ import annotations

import copy
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import waitress
from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.models.blocks import SectionBlock
from slack_sdk.models.views import View

from bot.slack.sandbox import (
    MESSAGE_BLOCK_LIMIT,
    NOTE_BLOCK_ID,
    SANDBOX_NOTE,
    STAMPED_METHODS,
    TEXT_PREFIX,
    VIEW_BLOCK_LIMIT,
    SandboxAck,
    SandboxWebClient,
    install_sandbox_stamp,
    note_block,
    stamp,
)
from tests.fakes.slack import FakeSlack
from tests.support.slack_requests import SlackSender

SECRET = "sandbox-signing-secret"


def section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if block_id:
        block["block_id"] = block_id
    return block


def modal(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"type": "modal", "title": {"type": "plain_text", "text": "Roll back"}, "blocks": list(blocks)}


def noted(blocks: Any) -> bool:
    return isinstance(blocks, list) and bool(blocks) and blocks[0] == note_block()


# ---- the stamp itself


def test_text_is_prefixed_once() -> None:
    once = stamp({"channel": "C1", "text": "Rolled back", "markdown_text": "*Rolled* back"})
    assert once == {"channel": "C1", "text": "[Sandbox] Rolled back", "markdown_text": "[Sandbox] *Rolled* back"}
    assert stamp(once) == once


def test_empty_or_missing_text_stays_so() -> None:
    assert stamp({"text": ""}) == {"text": ""}
    assert stamp({"channel": "C1"}) == {"channel": "C1"}  # adds no keys
    assert stamp({"delete_original": True}) == {"delete_original": True}


def test_blocks_get_the_note_first_once() -> None:
    message = {"text": "Request", "blocks": [section("Request #1")]}
    once = stamp(message)
    assert once["blocks"] == [note_block(), section("Request #1")]
    assert once["blocks"][0]["elements"][0]["text"] == SANDBOX_NOTE
    assert stamp(once) == once
    assert message == {"text": "Request", "blocks": [section("Request #1")]}  # the input is left alone


def test_a_note_anywhere_counts_as_stamped() -> None:
    blocks = [section("a"), note_block(), section("b")]
    assert stamp({"blocks": blocks})["blocks"] == blocks


def test_empty_blocks_stay_empty_so_the_text_still_shows() -> None:
    assert stamp({"text": "hi", "blocks": []}) == {"text": "[Sandbox] hi", "blocks": []}


def test_block_objects_and_json_strings_are_stamped_in_kind() -> None:
    objects = stamp({"blocks": [SectionBlock(text="From objects")]})["blocks"]
    assert noted(objects) and objects[1]["text"]["text"] == "From objects"
    encoded = stamp({"blocks": json.dumps([section("form-encoded")])})["blocks"]
    assert isinstance(encoded, str) and json.loads(encoded) == [note_block(), section("form-encoded")]
    assert stamp({"blocks": "not json"})["blocks"] == "not json"


def test_a_full_message_keeps_every_block_and_only_gets_the_prefix(caplog: pytest.LogCaptureFixture) -> None:
    blocks = [section(f"line {i}") for i in range(MESSAGE_BLOCK_LIMIT)]
    with caplog.at_level(logging.WARNING, logger="bot.slack.sandbox"):
        stamped = stamp({"text": "long", "blocks": blocks})
    assert stamped == {"text": "[Sandbox] long", "blocks": blocks}
    assert "no room for the sandbox note" in caplog.text
    one_less = stamp({"blocks": blocks[:-1]})["blocks"]
    assert len(one_less) == MESSAGE_BLOCK_LIMIT and noted(one_less)


def test_views_get_the_note_first_once() -> None:
    view = {**modal(section("Why?")), "callback_id": "reason"}
    once = stamp({"trigger_id": "t", "view": view})
    assert noted(once["view"]["blocks"]) and once["view"]["callback_id"] == "reason"
    assert stamp(once) == once
    assert view == {**modal(section("Why?")), "callback_id": "reason"}
    home = stamp({"user_id": "U1", "view": {"type": "home"}})["view"]
    assert home == {"type": "home", "blocks": [note_block()]}
    as_object = stamp({"view": View(type="modal", title="Roll back", blocks=[SectionBlock(text="x")])})["view"]
    assert noted(as_object["blocks"]) and as_object["type"] == "modal"
    as_json = json.loads(stamp({"view": json.dumps(modal(section("y")))})["view"])
    assert noted(as_json["blocks"])


def test_a_full_view_is_sent_as_it_is() -> None:
    full = modal(*(section(f"{i}", f"b{i}") for i in range(VIEW_BLOCK_LIMIT)))
    assert stamp({"view": full})["view"] == full
    assert len(stamp({"view": modal(*full["blocks"][1:])})["view"]["blocks"]) == VIEW_BLOCK_LIMIT


def test_modal_validation_errors_pass_through() -> None:
    errors = {"response_action": "errors", "errors": {"reason": "Please give a reason."}}
    assert stamp(errors) == errors


# ---- ack, respond and the Web API client


def test_ack_stamps_messages_and_views_but_not_errors_or_empty_acks() -> None:
    assert SandboxAck()(text="Looking up versions").body == "[Sandbox] Looking up versions"
    assert SandboxAck()().body == ""
    errors = SandboxAck()(response_action="errors", errors={"reason": "Please give a reason."})
    assert errors.body == '{"response_action": "errors", "errors": {"reason": "Please give a reason."}}'
    update = json.loads(SandboxAck()(response_action="update", view=modal(section("Done"))).body)
    assert noted(update["view"]["blocks"])
    whole = json.loads(SandboxAck()({"text": "hi", "blocks": [section("hi")]}).body)
    assert whole["text"] == "[Sandbox] hi" and noted(whole["blocks"])
    options = json.loads(SandboxAck()(options=[{"text": {"type": "plain_text", "text": "2.4.0"}, "value": "421"}]).body)
    assert options == {"options": [{"text": {"type": "plain_text", "text": "2.4.0"}, "value": "421"}]}


def test_client_stamps_only_message_and_view_methods(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[tuple[str, dict[str, Any]]] = []

    def record(self: WebClient, api_method: str, **kwargs: Any) -> dict[str, Any]:
        sent.append((api_method, copy.deepcopy(kwargs)))
        return {"ok": True}

    monkeypatch.setattr(WebClient, "api_call", record)  # what SandboxWebClient hands on to
    client = SandboxWebClient(token="xoxb-t")
    client.chat_postMessage(channel="C1", text="hi", blocks=[section("hi")])
    client.views_push(trigger_id="t", view=modal(section("x")))
    client.api_call("chat.update", data={"channel": "C1", "ts": "1.2", "text": "form", "blocks": "[]"})
    client.api_call("chat.postEphemeral", params={"channel": "C1", "user": "U1", "text": "query"})
    client.api_call("chat.meMessage", json={"channel": "C1", "text": "not stamped"})
    client.chat_scheduleMessage(channel="C1", post_at=1, text="not stamped either")
    assert [method for method, _ in sent][:4] == ["chat.postMessage", "views.push", "chat.update", "chat.postEphemeral"]
    posted, pushed, updated, ephemeral, me, scheduled = (kwargs for _, kwargs in sent)
    assert posted["json"]["text"] == "[Sandbox] hi" and noted(posted["json"]["blocks"])
    assert noted(pushed["json"]["view"]["blocks"])
    assert updated["data"] == {"channel": "C1", "ts": "1.2", "text": "[Sandbox] form", "blocks": "[]"}
    assert ephemeral["params"]["text"] == "[Sandbox] query"
    assert me["json"]["text"] == "not stamped" and scheduled["json"]["text"] == "not stamped either"
    assert {method for method, _ in sent[:4]} <= STAMPED_METHODS


def test_client_like_keeps_the_settings() -> None:
    original = WebClient(token="xoxb-t", base_url="http://slack.test/api", timeout=7, team_id="T1")
    original.headers["X-Trace"] = "1"
    sandbox = SandboxWebClient.like(original)
    assert (sandbox.token, sandbox.base_url, sandbox.timeout) == ("xoxb-t", "http://slack.test/api/", 7)
    assert sandbox.default_params == {"team_id": "T1"} and sandbox.headers == original.headers
    assert sandbox.logger is original.logger and sandbox.retry_handlers == original.retry_handlers
    assert sandbox.retry_handlers is not original.retry_handlers


# ---- the real Bolt app, over HTTP, against the fake Slack


class ServedApp:
    def __init__(self, app: App) -> None:
        self.server = waitress.create_server(SlackRequestHandler(app), host="127.0.0.1", port=0, threads=4)
        self.url = f"http://127.0.0.1:{self.server.effective_port}/slack/events"
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.trigger.pull_trigger(self.server.close)
        self.thread.join(timeout=5)


@pytest.fixture
def stamped_app(slack: FakeSlack) -> Iterator[tuple[SlackSender, list[BaseException], threading.Event]]:
    app = App(client=WebClient(token=FakeSlack.BOT_TOKEN, base_url=slack.api_url), signing_secret=SECRET)
    install_sandbox_stamp(app)
    failures: list[BaseException] = []
    done = threading.Event()

    @app.command("/miniprogram-rollback")
    def command(ack: Ack, respond: Respond, client: WebClient, body: dict[str, Any]) -> None:
        ack(text="Looking up WeChat's versions…")
        try:
            channel, user = body["channel_id"], body["user_id"]
            respond(text="Pick a version", blocks=[section("Pick a version")], response_type="ephemeral")
            respond({"text": "Whole-message form", "response_type": "ephemeral"})
            posted = client.chat_postMessage(channel=channel, text="Request #1", blocks=[section("Request #1")])
            client.chat_update(channel=channel, ts=posted["ts"], text="Approved", blocks=[section("Approved")])
            client.chat_postEphemeral(channel=channel, user=user, text="Only you see this")
            opened = client.views_open(trigger_id=body["trigger_id"], view=modal(section("Why?")))
            client.views_update(view_id=opened["view"]["id"], view=modal(section("Thanks")))
            client.views_publish(user_id=user, view={"type": "home", "blocks": [section("Home")]})
            client.chat_getPermalink(channel=channel, message_ts=posted["ts"])
        except BaseException as error:
            failures.append(error)
        finally:
            done.set()

    @app.view("reason")
    def reason(ack: Ack) -> None:
        ack(response_action="errors", errors={"reason": "Please give a reason."})

    served = ServedApp(app)
    yield SlackSender(served.url, SECRET, slack), failures, done
    served.stop()


def test_everything_a_real_app_sends_says_sandbox(
    slack: FakeSlack, stamped_app: tuple[SlackSender, list[BaseException], threading.Event]
) -> None:
    sender, failures, done = stamped_app
    answer, response_url = sender.command("")

    assert (answer.status_code, answer.text) == (200, TEXT_PREFIX + "Looking up WeChat's versions…")
    assert done.wait(10) and failures == []
    posts = slack.posts_to(response_url)
    assert [post.body["text"] for post in posts] == ["[Sandbox] Pick a version", "[Sandbox] Whole-message form"]
    assert noted(posts[0].body["blocks"])
    stamped = [call for call in slack.calls if call.method in STAMPED_METHODS]
    assert sorted(call.method for call in stamped) == sorted(STAMPED_METHODS - {"views.push"})
    for call in stamped:
        assert call.response["ok"], (call.method, call.response)
        if "view" in call.args:
            assert noted(call.args["view"]["blocks"]), call.method
        else:
            assert call.args["text"].startswith(TEXT_PREFIX), call.method
            assert "blocks" not in call.args or noted(call.args["blocks"]), call.method
    permalink = slack.calls_to("chat.getPermalink")[0].args
    # Other methods go out as they were, with the team_id of Bolt's per-request client kept.
    assert (set(permalink), permalink["team_id"]) == ({"channel", "message_ts", "team_id"}, FakeSlack.TEAM_ID)
    (message,) = slack.messages().values()
    assert message["text"] == "[Sandbox] Approved" and noted(message["blocks"])
    assert sum(block.get("block_id") == NOTE_BLOCK_ID for block in message["blocks"]) == 1


def test_modal_errors_reach_slack_unchanged(
    stamped_app: tuple[SlackSender, list[BaseException], threading.Event],
) -> None:
    sender, _, _ = stamped_app
    answer = sender.view_submission("reason", {}, "", "UALICE")
    assert answer.status_code == 200
    assert answer.json() == {"response_action": "errors", "errors": {"reason": "Please give a reason."}}
