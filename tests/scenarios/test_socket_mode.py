"""The bot in Socket Mode: the real Bolt app and slack_sdk's Socket Mode client against a fake Socket Mode server.

Every request arrives as an envelope on the WebSocket and must be acknowledged there; Web API calls and
response_url posts still go to the fake Slack over HTTP, and the rollback to the fake WeChat.
"""

from __future__ import annotations

import io
import json
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from bot.rollback.model import State
from bot.slack.ids import APPROVE
from tests.fakes.slack import FakeSlack
from tests.fakes.socket_mode import ACK_DEADLINE, FakeSocketMode, SocketConnection
from tests.fakes.wechat import LIST_KEY, FakeWeChat, Fault
from tests.support.flow import (
    click,
    has_buttons,
    message_text,
    open_picker,
    request_rollback,
    version_buttons,
    wait_verified,
)
from tests.support.harness import Clock
from tests.support.processes import free_port, start_app, stop
from tests.support.socket_harness import NO_PROXY, RunningSocketBot, SocketSender, socket_env


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in NO_PROXY:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def socket_server(slack: FakeSlack) -> Iterator[FakeSocketMode]:
    with FakeSocketMode(app_id=slack.APP_ID, ping_interval=0.1) as server:
        slack.socket_mode = server  # where apps.connections.open sends the bot
        yield server


@pytest.fixture
def socket_bot(
    slack: FakeSlack, wechat: FakeWeChat, socket_server: FakeSocketMode, database_url: str, clock: Clock
) -> Iterator[RunningSocketBot]:
    running = RunningSocketBot(socket_env(slack, wechat, database_url), slack, socket_server, clock)
    yield running
    running.stop()


def pickers(slack: FakeSlack, response_url: str) -> list[dict[str, object]]:
    return [post.body for post in slack.posts_to(response_url) if post.body.get("blocks")]


def test_slash_command_is_acknowledged_on_the_socket_before_wechat_answers(
    socket_bot: RunningSocketBot, socket_server: FakeSocketMode, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    # WeChat's listing takes longer than Slack waits for an acknowledgement.
    wechat.fail_next(LIST_KEY, Fault(delay=ACK_DEADLINE + 0.5))
    response, response_url = socket_bot.sender.command("")

    # The acknowledgement's payload is the ephemeral answer Slack shows at once.
    answer = response.json()
    assert answer["text"].startswith("Asking WeChat which versions") and answer["response_type"] == "ephemeral"
    assert pickers(slack, response_url) == []  # acknowledged while WeChat is still answering
    [envelope] = socket_server.envelopes
    assert (envelope.type, envelope.accepts_response_payload) == ("slash_commands", True)
    assert [ack.envelope_id for ack in socket_server.acks] == [envelope.envelope_id]

    picker = slack.wait_for(lambda s: pickers(s, response_url))[-1]
    assert [b["text"]["text"] for b in version_buttons(picker)] == ["Roll back to 1.1.0", "Roll back to 1.0.0"]
    # The Socket Mode client opened its connection with the app-level token, from the Web API the bot is given.
    [opened] = slack.calls_to("apps.connections.open")
    assert opened.token == slack.app_token and opened.response["ok"]


def test_socket_mode_needs_no_signing_secret(socket_bot: RunningSocketBot) -> None:
    assert socket_bot.runtime.settings.slack_signing_secret is None
    response, _ = socket_bot.sender.command("help")  # unsigned, as everything on the socket is
    assert "/miniprogram-rollback" in response.json()["text"]


def test_full_rollback_over_the_socket(
    socket_bot: RunningSocketBot, socket_server: FakeSocketMode, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    target = next(v for v in wechat.history if v.user_version == "1.1.0")
    # Command, picked version, reason modal: each step an envelope acknowledged on the socket.
    request = request_rollback(socket_bot, slack, "1.1.0", reason="checkout broken since 1.2.0")
    assert request.state is State.PENDING and has_buttons(slack, request)
    assert wechat.rollback_calls() == []

    click(socket_bot, request, APPROVE, "UBOB")
    done = wait_verified(socket_bot, slack, request.id)
    assert [call.query["app_version"] for call in wechat.rollback_calls()] == [str(target.app_version)]
    assert done.decided_by == "UBOB" and done.verified is True
    assert slack.wait_for(lambda s: "Rolled back" in message_text(s, done) and not has_buttons(s, done))

    kinds = [(e.type, e.payload.get("type"), e.accepts_response_payload) for e in socket_server.envelopes]
    assert kinds == [
        ("slash_commands", None, True),
        ("interactive", "block_actions", False),  # the picked version
        ("interactive", "view_submission", True),  # the reason modal
        ("interactive", "block_actions", False),  # Approve
    ]
    # Each envelope acknowledged once, on the one connection; nothing went to a signed HTTP endpoint.
    assert sorted(a.envelope_id for a in socket_server.acks) == sorted(e.envelope_id for e in socket_server.envelopes)
    assert {a.connection for a in socket_server.acks} == {socket_bot.connection.number}
    assert len(wechat.rollback_calls()) == 1


def test_app_home_event_arrives_as_an_events_api_envelope(
    socket_bot: RunningSocketBot, socket_server: FakeSocketMode, slack: FakeSlack
) -> None:
    event = {"type": "app_home_opened", "user": "UCAROL", "channel": "D0HOME", "tab": "home", "event_ts": "1.2"}
    body = {
        "token": "fake-verification-token",
        "team_id": FakeSlack.TEAM_ID,
        "api_app_id": FakeSlack.APP_ID,
        "type": "event_callback",
        "event_id": "Ev0HOME",
        "event_time": int(time.time()),
        "event": event,
    }
    response = socket_bot.sender.post(json.dumps(body).encode(), content_type="application/json")
    assert response.status_code == 200 and response.content == b""  # events are acknowledged without a payload
    assert socket_server.envelopes[-1].type == "events_api"
    published = slack.wait_for(lambda s: s.calls_to("views.publish"))[0].args
    assert published["user_id"] == "UCAROL"


def test_refresh_requested_moves_the_bot_to_a_new_connection(
    socket_bot: RunningSocketBot, socket_server: FakeSocketMode, slack: FakeSlack
) -> None:
    first = socket_bot.connection
    socket_server.disconnect("refresh_requested")

    second = socket_server.wait_for_connection(first.number + 1)
    assert len(slack.calls_to("apps.connections.open")) == 2  # a fresh URL: tickets are single-use
    assert second.ticket != first.ticket
    assert socket_server.wait_closed(first).closed_by == "client"  # the bot let go of the old one
    picker = open_picker(socket_bot, slack)
    assert version_buttons(picker)
    assert socket_server.acks[-1].connection == second.number


def test_bot_reconnects_when_slack_closes_the_connection(
    slack: FakeSlack, wechat: FakeWeChat, socket_server: FakeSocketMode, sqlite_url: str, clock: Clock
) -> None:
    bot = RunningSocketBot(socket_env(slack, wechat, sqlite_url), slack, socket_server, clock)
    try:
        first = bot.connection
        first.close()  # as Slack ends connections, announced ("warning") or not
        # slack_sdk notices at its next liveness check, every ping_interval (10 s in Bolt's handler).
        second = socket_server.wait_for_connection(first.number + 1, timeout=30)
        assert socket_server.wait_closed(first).closed_by == "server"
        assert version_buttons(open_picker(bot, slack))
        assert socket_server.acks[-1].connection == second.number
    finally:
        bot.stop()


def test_app_level_token_is_never_logged(
    logged: Callable[[list[str]], io.StringIO],
    slack: FakeSlack,
    wechat: FakeWeChat,
    socket_server: FakeSocketMode,
    sqlite_url: str,
    clock: Clock,
) -> None:
    # No secrets named: the token's xapp- shape alone must get it scrubbed, whichever library logs it.
    stream = logged([])
    bot = RunningSocketBot(socket_env(slack, wechat, sqlite_url), slack, socket_server, clock)
    try:
        open_picker(bot, slack)
        socket_server.disconnect("refresh_requested")
        socket_server.wait_for_connection(2)
        open_picker(bot, slack)
    finally:
        bot.stop()
    log = stream.getvalue()
    assert "apps.connections.open" in log  # DEBUG covered both calls that carry the token
    assert slack.app_token not in log
    assert slack.app_token.removeprefix("xapp-") not in log


def _connected(process: subprocess.Popen[str], server: FakeSocketMode, timeout: float = 30.0) -> SocketConnection:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return server.wait_for_connection(timeout=0.5)
        except AssertionError:
            if process.poll() is not None:
                raise AssertionError(f"the bot exited: {process.communicate()[1]}") from None
            if time.monotonic() > deadline:
                raise


@pytest.fixture
def app_process(
    slack: FakeSlack, wechat: FakeWeChat, socket_server: FakeSocketMode, tmp_path: Path
) -> Iterator[subprocess.Popen[str]]:
    port = free_port()
    env = socket_env(slack, wechat, f"sqlite:///{tmp_path / 'bot.db'}", LOG_LEVEL="DEBUG", PORT=str(port), **NO_PROXY)
    process = start_app(env, tmp_path)
    process.port = port  # type: ignore[attr-defined]
    yield process
    if process.poll() is None:
        process.kill()
        process.communicate(timeout=20)


def test_app_py_connects_in_socket_mode_and_answers_a_slash_command(
    app_process: subprocess.Popen[str], socket_server: FakeSocketMode, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    _connected(app_process, socket_server)
    try:
        response, response_url = SocketSender(socket_server, slack).command("")
        assert response.json()["text"].startswith("Asking WeChat")
        picker = slack.wait_for(lambda s: pickers(s, response_url))[-1]
        assert version_buttons(picker)
    finally:
        stderr = stop(app_process)
    assert "connecting to Slack in Socket Mode" in stderr
    assert "apps.connections.open" in stderr  # logged at DEBUG, token scrubbed
    for secret in (slack.app_token, slack.BOT_TOKEN, wechat.SECRET):
        assert secret not in stderr
    # slack_sdk logs each envelope at DEBUG: its body (the response_url, a capability) is withheld.
    assert "on_message invoked: (message: [withheld]" in stderr
    capability = response_url.rsplit("/", 1)[1]
    assert capability not in stderr and capability not in stderr.replace("\\/", "/")


def test_app_py_in_socket_mode_stops_cleanly_on_sigterm(
    app_process: subprocess.Popen[str], socket_server: FakeSocketMode
) -> None:
    connection = _connected(app_process, socket_server)
    stderr = stop(app_process)
    assert app_process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert not socket_server.wait_closed(connection).open


def test_app_py_in_socket_mode_serves_health_checks_but_never_slack_requests_over_http(
    app_process: subprocess.Popen[str], socket_server: FakeSocketMode, wechat: FakeWeChat
) -> None:
    _connected(app_process, socket_server)
    base = f"http://127.0.0.1:{app_process.port}"  # type: ignore[attr-defined]
    try:
        assert requests.get(base + "/healthz", timeout=10).status_code == 200
        assert requests.get(base + "/readyz", timeout=10).json()["database"] == "ok"
        # The socket authenticates Slack's requests, so this Bolt app checks no signature: HTTP must not reach it.
        unsigned = requests.post(base + "/slack/events", data={"command": "/miniprogram-rollback"}, timeout=10)
        assert unsigned.status_code == 404
        assert wechat.calls == []
    finally:
        stop(app_process)


def test_refused_app_level_token_stops_start_up_with_one_line(
    slack: FakeSlack, wechat: FakeWeChat, socket_server: FakeSocketMode, tmp_path: Path
) -> None:
    revoked = "xapp-1-AFAKEAPP-1700000000000-revoked0token"
    env = socket_env(slack, wechat, f"sqlite:///{tmp_path / 'bot.db'}", PORT=str(free_port()), **NO_PROXY)
    process = start_app({**env, "SLACK_APP_TOKEN": revoked}, tmp_path)
    _, stderr = process.communicate(timeout=60)
    assert slack.calls_to("apps.connections.open")[0].response["error"] == "invalid_auth"
    assert process.returncode == 1
    assert revoked not in stderr
    assert "could not start" in stderr and "Traceback" not in stderr


def test_the_readmes_quick_start_sandbox_over_socket_mode(
    slack: FakeSlack, socket_server: FakeSocketMode, tmp_path: Path
) -> None:
    """`python app.py --sandbox` with only the two Slack tokens, as the README's first steps leave .env."""
    env = {"SLACK_BOT_TOKEN": slack.BOT_TOKEN, "SLACK_APP_TOKEN": slack.app_token, "SLACK_API_URL": slack.api_url}
    process = start_app({**env, "PORT": str(free_port()), **NO_PROXY}, tmp_path, "--sandbox")
    try:
        _connected(process, socket_server)
        response, response_url = SocketSender(socket_server, slack).command("")
        assert response.json()["text"].startswith("[Sandbox] Asking WeChat")
        picker = slack.wait_for(lambda s: pickers(s, response_url))[-1]
        assert version_buttons(picker)[0]["text"]["text"] == "Roll back to 2.4.0"
    finally:
        stderr = stop(process)
    assert process.returncode == 0
    assert "SANDBOX: a simulated WeChat answers for demo" in stderr
