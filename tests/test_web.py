"""The HTTP surface operators watch: /readyz, /healthz and the log lines every request and WeChat call leaves."""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import waitress
from sqlalchemy import update

from bot.logs import configure_logging
from bot.slack.ids import APPROVE
from bot.store.database import make_engine
from bot.store.models import WeChatTokenRow
from bot.web import EVENTS_PATH, HEALTH_PATH, READY_PATH, AfterSent
from bot.wechat.client import REVERT_PATH
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import FakeWeChat, Fault
from tests.support.flow import click, open_picker, request_rollback, wait_verified
from tests.support.harness import Clock, RunningBot, bot_env
from tests.support.tcp_proxy import TcpProxy


@pytest.fixture
def json_logged(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[list[str]], io.StringIO]]:
    """Like conftest's `logged`, with LOG_FORMAT=json."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()

    def start(secrets: list[str]) -> io.StringIO:
        monkeypatch.setattr("sys.stderr", stream)
        configure_logging(secrets, level=logging.DEBUG, fmt="json")
        return stream

    yield start
    root.handlers[:], level = saved
    root.setLevel(level)


def readyz(bot: RunningBot) -> requests.Response:
    return requests.get(bot.url + READY_PATH, timeout=30)


def test_readyz_reports_the_database_and_the_token_state(bot: RunningBot, slack: FakeSlack) -> None:
    before = readyz(bot)
    assert before.status_code == 200
    assert before.headers["Content-Type"] == "application/json"
    # No token yet is still ready.
    assert before.json() == {"database": "ok", "wechat_tokens": {FakeWeChat.APPID: "none yet"}, "slack": "ok"}

    open_picker(bot, slack)  # lists the versions: the first WeChat call fetches a token
    assert readyz(bot).json() == {"database": "ok", "wechat_tokens": {FakeWeChat.APPID: "fresh"}, "slack": "ok"}

    with bot.runtime.engine.begin() as connection:
        connection.execute(update(WeChatTokenRow).values(refresh_after=datetime.now(UTC) - timedelta(minutes=1)))
    assert readyz(bot).json() == {"database": "ok", "wechat_tokens": {FakeWeChat.APPID: "stale"}, "slack": "ok"}

    health = requests.get(bot.url + HEALTH_PATH, timeout=5)  # liveness is unchanged
    assert (health.status_code, health.text) == (200, "ok\n")


def test_healthz_is_alive_and_readyz_503_while_the_database_is_unreachable(bot: RunningBot, tmp_path: Path) -> None:
    url = bot.runtime.settings.database_url
    if url.startswith("sqlite"):
        unreachable = f"sqlite:///{tmp_path / 'no-such-dir' / 'rollback.db'}"
    else:
        unreachable = url.rsplit("/", 1)[0] + "/rollback_no_such_database"
    working = bot.runtime.engine
    bot.runtime.engine = make_engine(unreachable)
    try:
        response = readyz(bot)
        assert response.status_code == 503
        assert response.json() == {"database": "unreachable", "wechat_tokens": "unknown", "slack": "ok"}
        # Liveness: the process serves, so an orchestrator leaves it running through a database outage.
        health = requests.get(bot.url + HEALTH_PATH, timeout=30)
        assert (health.status_code, health.text) == (200, "ok\n")
    finally:
        bot.runtime.engine.dispose()
        bot.runtime.engine = working
    assert readyz(bot).status_code == 200


def test_readyz_answers_while_the_database_stalls(
    postgres_url: str, slack: FakeSlack, wechat: FakeWeChat, clock: Clock
) -> None:
    """A database whose network holds every packet: /readyz still answers, bounded by DATABASE_TIMEOUT_SECONDS,
    /healthz too, and readiness comes back with the network."""
    with TcpProxy.in_front_of(postgres_url) as proxy:
        env = bot_env(slack, wechat, proxy.through(postgres_url), DATABASE_TIMEOUT_SECONDS="1")
        bot = RunningBot(env, slack, clock)
        try:
            assert readyz(bot).json()["database"] == "ok"
            with proxy.holding_traffic():
                stalled = [readyz(bot) for _ in range(3)]  # each within the requests' generous bound
                assert [r.status_code for r in stalled] == [503] * 3
                unreachable = {"database": "unreachable", "wechat_tokens": "unknown", "slack": "ok"}
                assert all(r.json() == unreachable for r in stalled)
                assert proxy.wait_held()  # the checks did reach the network, which held them
                health = requests.get(bot.url + HEALTH_PATH, timeout=30)
                assert (health.status_code, health.text) == (200, "ok\n")
            assert wait_until_ready(bot)
        finally:
            bot.stop()


def wait_until_ready(bot: RunningBot, within: float = 60.0) -> bool:
    """Poll /readyz until it is 200: a check begun during the stall may still report it once."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if readyz(bot).status_code == 200:
            return True
        time.sleep(0.1)
    return False


def test_one_access_line_per_slack_request_without_the_body(bot: RunningBot, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    answered, _ = bot.sender.command("bodymarker-please")
    assert answered.status_code == 200
    forged = bot.sender.post(b"text=bodymarker-forged", signature="v0=" + "0" * 64)
    assert forged.status_code == 401
    assert requests.get(bot.url + HEALTH_PATH, timeout=5).status_code == 200  # probes stay below INFO

    # Each line is written once its answer is sent (bot.web's AfterSent), so it may come after the client has the
    # answer, and the two lines in either order: wait for both.
    deadline = time.monotonic() + 30
    while len(lines := [record for record in caplog.records if record.name == "bot.web"]) < 2:
        assert time.monotonic() < deadline, lines
        time.sleep(0.05)
    assert sorted((r.__dict__["method"], r.__dict__["path"], r.__dict__["status"]) for r in lines) == [
        ("POST", EVENTS_PATH, 200),
        ("POST", EVENTS_PATH, 401),
    ]
    ids = set()
    for record in lines:
        fields: dict[str, Any] = record.__dict__
        assert isinstance(fields["duration_ms"], int) and fields["duration_ms"] >= 0
        assert re.fullmatch(r"\d{10}-[0-9a-f]{8}", fields["request_id"])  # Slack's timestamp + a random part
        ids.add(fields["request_id"])
        assert "bodymarker" not in record.getMessage() and "bodymarker" not in json.dumps(fields, default=str)
        assert f"{EVENTS_PATH} {fields['status']} in {fields['duration_ms']} ms" in record.getMessage()
    assert len(ids) == 2


def test_json_logs_parse_and_carry_no_token_or_secret(
    bot: RunningBot,
    slack: FakeSlack,
    wechat: FakeWeChat,
    json_logged: Callable[[list[str]], io.StringIO],
) -> None:
    stream = json_logged(bot.runtime.settings.secrets())
    wechat.fail_next(REVERT_PATH, Fault(errcode=40001))  # refused token: a second one is fetched
    request = request_rollback(bot, slack, "1.1.0", reason="checkout broken")
    click(bot, request, APPROVE, "UBOB")
    wait_verified(bot, slack, request.id)
    output = stream.getvalue()

    entries = [json.loads(line) for line in output.splitlines()]
    assert entries and all({"ts", "level", "logger", "message"} <= entry.keys() for entry in entries)
    access = [entry for entry in entries if entry["logger"] == "bot.web"]
    assert access and all(entry["path"] == EVENTS_PATH and "duration_ms" in entry for entry in access)
    assert not any("checkout broken" in json.dumps(entry) for entry in access)
    calls = [entry for entry in entries if entry["logger"] == "bot.wechat.http" and "duration_ms" in entry]
    assert {entry["path"] for entry in calls} >= {REVERT_PATH, "/cgi-bin/stable_token"}
    assert any(entry.get("errcode") == 40001 for entry in calls)
    assert all("?" not in entry["path"] and "access_token" not in entry["message"] for entry in calls)

    assert "access_token=[redacted]" in output  # urllib3 logged the URLs, scrubbed
    issued = {call.query["access_token"] for call in wechat.calls if "access_token" in call.query}
    assert len(issued) == 2
    for secret in [*issued, wechat.SECRET, slack.BOT_TOKEN, bot.runtime.settings.slack_signing_secret]:
        assert secret and secret not in output


def test_what_follows_an_answer_runs_once_the_server_has_sent_it() -> None:
    """A Slack request counts as unanswered (bot.slack.acks: acknowledged clicks' work waits for it) and its access
    line waits until waitress has written the answer, not merely until the application made it."""
    received = threading.Event()
    after: list[bool] = []

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "6")])
        return AfterSent([b"answer"], lambda: after.append(received.wait(10)))  # blocks until the client has it

    server = waitress.create_server(application, host="127.0.0.1", port=0, threads=2)
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    try:
        assert requests.get(f"http://127.0.0.1:{server.effective_port}/", timeout=10).content == b"answer"
        received.set()
    finally:
        server.task_dispatcher.shutdown()  # the worker finishes first: it pulls the trigger once it has sent
        server.trigger.pull_trigger(server.close)  # closing from the loop's own thread ends it at once
        serving.join(10)
    assert after == [True]
