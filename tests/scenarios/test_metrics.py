"""GET /metrics of `python app.py`, scraped before and after a request -> approve -> rollback against the fakes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from bot.slack.ids import APPROVE
from bot.store.database import make_engine, session_factory
from bot.store.request_store import RequestStore
from bot.web import EVENTS_PATH
from tests import fakes
from tests.fakes.slack import FakeSlack
from tests.fakes.socket_mode import FakeSocketMode
from tests.fakes.wechat import FakeWeChat
from tests.support.flow import click, open_picker, request_rollback, wait_verified
from tests.support.harness import SIGNING_SECRET, Clock, RunningBot, bot_env
from tests.support.processes import free_port, start_app, stop, wait_healthy
from tests.support.slack_requests import SlackSender
from tests.support.socket_harness import NO_PROXY, SocketSender, socket_env
from tests.support.tcp_proxy import TcpProxy

PREFIX = "miniprogram_rollback"
METRICS_TOKEN = fakes.configured("metrics-bearer-token-7d2e91c4")

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@dataclass
class Process:
    """A bot in a process of its own, as tests/support/flow.py drives it; its record read from the database."""

    sender: SlackSender
    workflow: RequestStore


def scrape(port: int | str, token: str | None = None) -> Samples:
    """`port`: a local port, or a bot's base URL."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    base = port if isinstance(port, str) else f"http://127.0.0.1:{port}"
    response = requests.get(f"{base}/metrics", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    for secret in fakes.CONFIGURED | fakes.ISSUED:
        assert len(secret) < 6 or secret not in response.text, "a secret reached /metrics"
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sample's value; 0 when it is not there yet (a labelled counter appears at its first count)."""
    return samples.get((f"{PREFIX}_{name}", frozenset(labels.items())), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


@pytest.fixture
def record(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def test_a_rollback_moves_the_counters_of_the_process_that_made_it(
    database_url: str, record: Engine, slack: FakeSlack, wechat: FakeWeChat, tmp_path: Path
) -> None:
    port = free_port()
    env = bot_env(slack, wechat, database_url, PORT=str(port), METRICS_TOKEN=METRICS_TOKEN)
    process = start_app(env, tmp_path)
    try:
        wait_healthy(process, port)
        assert requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).status_code == 401
        wrong = {"Authorization": "Bearer not-the-metrics-token"}
        assert requests.get(f"http://127.0.0.1:{port}/metrics", headers=wrong, timeout=10).status_code == 401
        bot = Process(
            SlackSender(f"http://127.0.0.1:{port}{EVENTS_PATH}", SIGNING_SECRET, slack),
            RequestStore(session_factory(record)),
        )
        before = scrape(port, METRICS_TOKEN)
        request = request_rollback(bot, slack, "1.1.0")
        pending = scrape(port, METRICS_TOKEN)
        assert value(pending, "open_requests", state="pending") == 1  # read from the database at the scrape
        slack.rate_limit_next("chat.update", retry_after=1)  # the approval's rewrite of the message: waited out
        click(bot, request, APPROVE, "UBOB")
        wait_verified(bot, slack, request.id)
        slack.wait_for(lambda s: len(s.calls_to("chat.update")) >= 2)
        after = scrape(port, METRICS_TOKEN)
    finally:
        stderr = stop(process)
    assert process.returncode == 0, stderr

    assert moved(before, after, "rollbacks_total", kind="rollback", outcome="succeeded") == 1
    assert moved(before, after, "requests_finished_total", kind="rollback", state="succeeded") == 1
    assert value(after, "open_requests", state="pending") == 0
    rollback = "/wxa/revertcoderelease"
    assert moved(before, after, "wechat_calls_total", path=rollback, errcode="0") == len(wechat.rollback_calls()) == 1
    history = "/wxa/revertcoderelease?action=get_history_version"
    assert moved(before, after, "wechat_calls_total", path=history, errcode="0") >= 1
    assert moved(before, after, "wechat_calls_total", path="/wxa/getversioninfo", errcode="0") >= 2  # check, verify
    assert moved(before, after, "wechat_call_duration_seconds_count", path=rollback) == 1
    assert moved(before, after, "approval_wait_seconds_count", decision="approved") == 1
    assert moved(before, after, "approve_to_outcome_seconds_count", outcome="succeeded") == 1
    # Before the first picker the bot had no token: this process fetched the one every call since used.
    assert value(after, "wechat_token_fetches_total", source="stable", result="ok") == 1
    assert moved(before, after, "slack_api_errors_total", method="chat.update", error="ratelimited") == 1
    assert moved(before, after, "slack_api_retries_total", method="chat.update") == 1


def test_socket_mode_serves_metrics_on_port(
    slack: FakeSlack, wechat: FakeWeChat, sqlite_url: str, record_sqlite: Engine, tmp_path: Path
) -> None:
    socket = FakeSocketMode(app_id=slack.APP_ID, ping_interval=0.1)
    with socket:
        slack.socket_mode = socket
        port = free_port()
        process = start_app({**socket_env(slack, wechat, sqlite_url, PORT=str(port)), **NO_PROXY}, tmp_path)
        try:
            wait_healthy(process, port)
            socket.wait_for_connection(timeout=30)
            bot = Process(SocketSender(socket, slack), RequestStore(session_factory(record_sqlite)))
            before = scrape(port)
            request = request_rollback(bot, slack, "1.1.0")
            click(bot, request, APPROVE, "UBOB")
            wait_verified(bot, slack, request.id)
            after = scrape(port)
        finally:
            stderr = stop(process)
    assert process.returncode == 0, stderr
    assert moved(before, after, "rollbacks_total", kind="rollback", outcome="succeeded") == 1
    assert moved(before, after, "wechat_calls_total", path="/wxa/revertcoderelease", errcode="0") == 1


def test_bots_in_one_process_count_apart_and_leave_the_global_registry_alone(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock, tmp_path: Path
) -> None:
    other = RunningBot(bot_env(slack, wechat, f"sqlite:///{tmp_path / 'other.db'}"), slack, clock)
    try:
        request = request_rollback(bot, slack, "1.1.0")
        click(bot, request, APPROVE, "UBOB")
        wait_verified(bot, slack, request.id)
        ours, theirs = scrape(bot.url), scrape(other.url)
    finally:
        other.stop()
    assert value(ours, "rollbacks_total", kind="rollback", outcome="succeeded") == 1
    assert value(theirs, "rollbacks_total", kind="rollback", outcome="succeeded") == 0
    assert value(theirs, "wechat_calls_total", path="/wxa/revertcoderelease", errcode="0") == 0
    assert not [family.name for family in REGISTRY.collect() if family.name.startswith(PREFIX)]


def test_a_scrape_while_the_database_is_down_still_answers_without_its_gauges(
    postgres_url: str, slack: FakeSlack, wechat: FakeWeChat, clock: Clock
) -> None:
    with TcpProxy.in_front_of(postgres_url) as proxy:
        bot = RunningBot(bot_env(slack, wechat, proxy.through(postgres_url)), slack, clock)
        try:
            open_picker(bot, slack)  # a WeChat read: a counter with a value
            proxy.refuse()
            down = scrape(bot.url)
            proxy.restore()
            back = scrape(bot.url)
        finally:
            proxy.restore()
            bot.stop()
    history = "/wxa/revertcoderelease?action=get_history_version"
    assert value(down, "wechat_calls_total", path=history, errcode="0") == 1
    assert not [name for name, _ in down if name.startswith(f"{PREFIX}_open_requests")]
    assert (f"{PREFIX}_open_requests", frozenset({("state", "pending")})) in back


@pytest.fixture
def record_sqlite(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()
