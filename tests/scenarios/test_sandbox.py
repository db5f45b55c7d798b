"""Sandbox mode: the whole flow against the built-in simulated WeChat, every message marked as a sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.config import SANDBOX_PROGRAM
from bot.rollback.model import State
from bot.slack.ids import APPROVE, REJECT, REJECT_VIEW
from bot.slack.sandbox import SANDBOX_NOTE, STAMPED_METHODS, TEXT_PREFIX
from bot.web import READY_PATH
from tests.fakes.slack import FakeSlack
from tests.support.flow import (
    click,
    open_picker,
    request_rollback,
    submit_note,
    version_buttons,
    wait_state,
    wait_verified,
)
from tests.support.harness import SIGNING_SECRET, Clock, RunningBot
from tests.support.processes import free_port, start_app, stop, wait_healthy


@pytest.fixture
def sandbox(slack: FakeSlack, sqlite_url: str, clock: Clock) -> Iterator[RunningBot]:
    env = {
        "SLACK_BOT_TOKEN": slack.BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": sqlite_url,
        "SANDBOX": "true",  # and no WeChat setting at all
        "EXPIRY_SWEEP_SECONDS": "1",
    }
    running = RunningBot(env, slack, clock)
    yield running
    running.stop()


def _stamped(message: dict[str, Any]) -> bool:
    text = message.get("text") or ""
    blocks = message.get("blocks") or message.get("view", {}).get("blocks") or []
    noted = any(SANDBOX_NOTE in json.dumps(block) for block in blocks)
    return (not text or text.startswith(TEXT_PREFIX)) and (noted or not blocks) and bool(text or blocks)


def test_a_rollback_in_the_sandbox_goes_through_and_every_message_says_sandbox(
    sandbox: RunningBot, slack: FakeSlack
) -> None:
    picker = open_picker(sandbox, slack)
    assert [b["text"]["text"] for b in version_buttons(picker)] == [
        "Roll back to 2.4.0",
        "Roll back to 2.3.2",
        "Roll back to 2.3.1",
    ]
    request = request_rollback(sandbox, slack, "2.3.2", user="UALICE")
    assert request.appid == SANDBOX_PROGRAM.appid and request.online_version == "2.4.1"
    refused_url = click(sandbox, request, APPROVE, "UALICE")  # the rules hold in the sandbox too
    slack.wait_for(lambda s: s.posts_to(refused_url))
    click(sandbox, request, APPROVE, "UBOB")
    done = wait_verified(sandbox, slack, request.id)
    assert done.outcome is not None and "2.3.2" in done.outcome

    # WeChat allows one rollback until the next release, and the simulator keeps that rule.
    assert version_buttons(open_picker(sandbox, slack)) == []
    ack, _ = sandbox.sender.command("status")
    assert ack.json()["text"].startswith(TEXT_PREFIX)

    # Thread replies are paced (about one a second per channel): wait for the last one, the verification.
    slack.wait_for(lambda s: [c for c in s.calls_to("chat.postMessage") if "Verified" in c.args.get("text", "")])
    sent = [call.args for call in slack.calls if call.method in STAMPED_METHODS]
    assert {call.method for call in slack.calls} >= {"chat.postMessage", "chat.update", "views.open"}
    unstamped = [message for message in sent if not _stamped(message)]
    unstamped += [post.body for post in slack.response_posts if not _stamped(post.body)]
    assert unstamped == []
    assert len(sent) >= 8 and len(slack.response_posts) >= 4


def test_rejecting_in_the_sandbox_changes_nothing(sandbox: RunningBot, slack: FakeSlack) -> None:
    request = request_rollback(sandbox, slack, "2.4.0", user="UALICE")
    submit_note(sandbox, slack, request, REJECT, REJECT_VIEW, "UBOB", "not this one")
    assert wait_state(sandbox, slack, request.id, State.REJECTED).decision_note == "not this one"
    assert version_buttons(open_picker(sandbox, slack))[0]["text"]["text"] == "Roll back to 2.4.0"
    assert all(_stamped(call.args) for call in slack.calls if call.method in STAMPED_METHODS)


def test_readyz_says_the_token_is_simulated(sandbox: RunningBot) -> None:
    assert requests.get(sandbox.url + READY_PATH, timeout=10).json() == {
        "database": "ok",
        "wechat_tokens": {SANDBOX_PROGRAM.alias: "simulated"},
        "slack": "ok",
    }


def test_python_app_py_sandbox_needs_only_the_slack_settings(slack: FakeSlack, tmp_path: Path) -> None:
    port = free_port()
    env = {
        "SLACK_BOT_TOKEN": slack.BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "PORT": str(port),
    }
    process = start_app(env, tmp_path, "--sandbox")
    try:
        wait_healthy(process, port)
        ready = requests.get(f"http://127.0.0.1:{port}{READY_PATH}", timeout=10).json()
        assert ready["wechat_tokens"] == {"demo": "simulated"}
    finally:
        stderr = stop(process)
    assert "SANDBOX: a simulated WeChat answers for demo" in stderr
    assert (tmp_path / "miniprogram-rollback-sandbox.db").exists()  # never the real record's file
    assert not (tmp_path / "miniprogram-rollback.db").exists()


def test_an_unknown_argument_is_refused(tmp_path: Path) -> None:
    process = start_app({}, tmp_path, "--sandbx")
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 2 and stderr.strip().splitlines() == [
        "usage: python app.py [--sandbox] [--help]",
        "miniprogram-rollback: unknown argument: see python app.py --help",
    ]
