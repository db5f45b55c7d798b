"""Property-based: malformed, missing and hostile fields in every request Slack could send get a clear reply
or a 4xx, never a 500 or a crash, and never move a rollback."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.slack.ids import (
    APPROVE,
    BREAK_GLASS,
    BREAK_GLASS_VIEW,
    CANCEL,
    CHOOSE_PROGRAM_PREFIX,
    NOTE_BLOCK,
    NOTE_INPUT,
    PICK_VERSION_PREFIX,
    REASON_BLOCK,
    REASON_INPUT,
    REASON_VIEW,
    REJECT,
    REJECT_VIEW,
)
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import FakeWeChat
from tests.support.harness import Clock, RunningBot, bot_env

EXAMPLES = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["", " ", "0", "-1", "00", "9" * 13, "1" * 200, "1e3", "١٢", "<script>", "<!channel>",
         "wxfa4e0000000000a1:0", "wxfa4e0000000000a1:101:1", "pick:", "pick:wxfa4e0000000000a1",
         "status:../../etc", "approve:1", "\x00", "null"]
    ),
)  # fmt: skip
HOSTILE_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | HOSTILE_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=5,
)


@pytest.fixture
def quiet_bot(slack: FakeSlack, wechat: FakeWeChat, sqlite_url: str) -> Iterator[RunningBot]:
    running = RunningBot(bot_env(slack, wechat, sqlite_url), slack, Clock())
    yield running
    running.stop()


RESPONSE_URL = "{response_url}"  # replaced with one of the fake Slack's when sent


def send(bot: RunningBot, slack: FakeSlack, payload: dict[str, Any]) -> int:
    body = json.dumps(payload).replace(json.dumps(RESPONSE_URL), json.dumps(slack.new_response_url("CINCIDENT")))
    return bot.sender.post(urlencode({"payload": body}).encode()).status_code


def block_action(action_id: str, value: str) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": "UMALLORY", "username": "mallory", "team_id": FakeSlack.TEAM_ID},
        "api_app_id": FakeSlack.APP_ID,
        "token": "fake-verification-token",
        "container": {"type": "message", "message_ts": "1.000001", "channel_id": "CINCIDENT", "is_ephemeral": True},
        "trigger_id": "1.2.abc",
        "team": {"id": FakeSlack.TEAM_ID, "domain": "fake"},
        "channel": {"id": "CINCIDENT", "name": "incident"},
        "response_url": RESPONSE_URL,
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b1", "value": value, "action_ts": "1.2"}],
    }


def view_submission(callback_id: str, block: str, action: str, metadata: str) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": FakeSlack.TEAM_ID, "domain": "fake"},
        "user": {"id": "UMALLORY", "username": "mallory", "team_id": FakeSlack.TEAM_ID},
        "api_app_id": FakeSlack.APP_ID,
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": metadata,
            "state": {"values": {block: {action: {"type": "plain_text_input", "value": "a long enough reason"}}}},
        },
    }


TEMPLATES = [
    block_action(f"{PICK_VERSION_PREFIX}101", "wxfa4e0000000000a1:101"),
    block_action(f"{CHOOSE_PROGRAM_PREFIX}wxfa4e0000000000a1", "pick:wxfa4e0000000000a1"),
    block_action(APPROVE, "1"),
    block_action(REJECT, "1"),
    block_action(CANCEL, "1"),
    block_action(BREAK_GLASS, "1"),
    view_submission(REASON_VIEW, REASON_BLOCK, REASON_INPUT, json.dumps({"app_version": 101, "channel_id": "CINCIDENT",
                    "response_url": None, "appid": "wxfa4e0000000000a1"})),
    view_submission(REJECT_VIEW, NOTE_BLOCK, NOTE_INPUT, json.dumps({"request_id": 1, "channel_id": "CINCIDENT",
                    "response_url": None})),
    view_submission(BREAK_GLASS_VIEW, NOTE_BLOCK, NOTE_INPUT, json.dumps({"request_id": 1, "channel_id": "CINCIDENT",
                    "response_url": None})),
]  # fmt: skip


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a payload a field could be damaged."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += paths(inner, (*prefix, index))
    return found


@st.composite
def damaged_payloads(draw: st.DrawFn) -> dict[str, Any]:
    payload: dict[str, Any] = copy.deepcopy(draw(st.sampled_from(TEMPLATES)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths(payload)))
        parent = payload
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(HOSTILE_VALUE)
        if not paths(payload):
            break
    return payload


def test_the_templates_are_well_formed_requests(quiet_bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat) -> None:
    for payload in TEMPLATES:
        assert send(quiet_bot, slack, payload) == 200, payload
    assert wechat.rollback_calls() == []


@EXAMPLES
@given(payload=damaged_payloads())
def test_damaged_interactive_payloads_never_fail_the_server(
    quiet_bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, payload: dict[str, Any]
) -> None:
    assert send(quiet_bot, slack, payload) < 500
    assert wechat.rollback_calls() == []  # no request exists: nothing can be approved


COMMAND_FIELDS = ["token", "team_id", "channel_id", "user_id", "command", "text", "response_url", "trigger_id"]


@EXAMPLES
@given(
    damage=st.dictionaries(st.sampled_from(COMMAND_FIELDS), st.none() | HOSTILE_TEXT, max_size=4),
)
def test_damaged_slash_commands_never_fail_the_server(
    quiet_bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, damage: dict[str, str | None]
) -> None:
    fields = {
        "token": "fake-verification-token",
        "team_id": FakeSlack.TEAM_ID,
        "channel_id": "CINCIDENT",
        "user_id": "UMALLORY",
        "command": "/miniprogram-rollback",
        "text": "status",
        "api_app_id": FakeSlack.APP_ID,
        "response_url": slack.new_response_url("CINCIDENT"),
        "trigger_id": "1.2.abc",
    }
    for name, value in damage.items():
        if value is None:
            fields.pop(name, None)
        else:
            fields[name] = value
    response = quiet_bot.sender.post(urlencode(fields).encode())
    assert response.status_code < 500
    assert wechat.rollback_calls() == []


@EXAMPLES
@given(body=st.one_of(st.binary(max_size=200), HOSTILE_TEXT.map(lambda text: urlencode({"payload": text}).encode())))
def test_garbage_bodies_get_a_4xx_or_an_answer(quiet_bot: RunningBot, body: bytes) -> None:
    for content_type in ("application/x-www-form-urlencoded", "application/json"):
        assert quiet_bot.sender.post(body, content_type=content_type).status_code < 500


def test_the_bot_still_works_after_the_storm(quiet_bot: RunningBot, slack: FakeSlack) -> None:
    for payload in TEMPLATES:  # a little of the above, then a normal command
        broken = copy.deepcopy(payload)
        broken.pop("user", None)
        send(quiet_bot, slack, broken)
    response, url = quiet_bot.sender.command("")
    assert response.status_code == 200
    deadline = time.monotonic() + 10
    while not [p for p in slack.posts_to(url) if p.body.get("blocks")] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [p for p in slack.posts_to(url) if p.body.get("blocks")]
