"""Review of #16: `python app.py` in Socket Mode against the fake Slack: a quiet start at INFO, and nothing a person
typed in any line at DEBUG."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.fakes.slack import FakeSlack
from tests.fakes.socket_mode import FakeSocketMode, SocketConnection
from tests.fakes.wechat import FakeWeChat
from tests.support.flow import submit_reason
from tests.support.processes import free_port, start_app, stop
from tests.support.socket_harness import NO_PROXY, SocketSender, socket_env

TYPED = "quokka-reason-typed-over-the-socket"


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in NO_PROXY:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def socket_server(slack: FakeSlack) -> Iterator[FakeSocketMode]:
    with FakeSocketMode(app_id=slack.APP_ID, ping_interval=0.1) as server:
        slack.socket_mode = server
        yield server


def _connected(process: subprocess.Popen[str], server: FakeSocketMode) -> SocketConnection:
    deadline = time.monotonic() + 30
    while True:
        try:
            return server.wait_for_connection(timeout=0.5)
        except AssertionError:
            if process.poll() is not None:
                raise AssertionError(f"the bot exited: {process.communicate()[1]}") from None
            if time.monotonic() > deadline:
                raise


class _Socket:
    def __init__(self, sender: SocketSender) -> None:
        self.sender = sender


def test_a_reason_typed_over_the_socket_never_reaches_the_debug_log(
    slack: FakeSlack, wechat: FakeWeChat, socket_server: FakeSocketMode, tmp_path: Path
) -> None:
    env = socket_env(slack, wechat, f"sqlite:///{tmp_path / 'bot.db'}", LOG_LEVEL="DEBUG", PORT=str(free_port()))
    process = start_app({**env, **NO_PROXY}, tmp_path)
    try:
        _connected(process, socket_server)
        submit_reason(_Socket(SocketSender(socket_server, slack)), slack, TYPED)  # type: ignore[arg-type]
        slack.wait_for(lambda s: s.calls_to("chat.postMessage"), 30)
    finally:
        stderr = stop(process)
    leaked = [line[:300] for line in stderr.splitlines() if TYPED in line]
    assert not leaked, "\n".join(leaked)


def test_socket_mode_starts_in_a_few_lines_at_info(
    slack: FakeSlack, wechat: FakeWeChat, socket_server: FakeSocketMode, tmp_path: Path
) -> None:
    """The README: 'Start-up logs a few lines: the database's schema revision, the health checks' address, and whom
    the bot is connected to Slack as'. In Socket Mode slack_sdk adds its own INFO lines (a session id)."""
    port = free_port()
    env = socket_env(slack, wechat, f"sqlite:///{tmp_path / 'bot.db'}", PORT=str(port))
    process = start_app({**env, **NO_PROXY}, tmp_path)
    try:
        _connected(process, socket_server)
        slack.wait_for(lambda _: _ready(port), 30)
    finally:
        stderr = stop(process)
    lines = stderr.strip().splitlines()
    connected = next(i for i, line in enumerate(lines) if "connected to Slack as" in line)
    start_up = lines[: connected + 1]
    assert not [line for line in start_up if " slack_sdk." in line or " slack_bolt." in line], "\n".join(start_up)


def _ready(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200
    except requests.ConnectionError:
        return False
