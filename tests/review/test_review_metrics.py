"""Review of #17's metrics half: what an operator's alerts and an attacker can get out of GET /metrics."""

from __future__ import annotations

import logging
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from bot.rollback.model import EventKind, State
from bot.slack.ids import APPROVE
from bot.store.database import session_factory
from bot.store.request_store import RequestStore
from bot.web import EVENTS_PATH
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import LIST_KEY, REVERT, FakeWeChat, Fault
from tests.scenarios.test_paused_replica import (
    PATIENCE,
    Replica,
    claimed,
    lapse,
    quiet,
    running,
    start_replica,
    until,
)
from tests.support.flow import click, open_picker, request_rollback, version_buttons, wait_state, wait_verified
from tests.support.harness import Clock, RunningBot, bot_env
from tests.support.tcp_proxy import TcpProxy

PREFIX = "miniprogram_rollback"

Series = set[tuple[str, frozenset[tuple[str, str]]]]


def series(url: str) -> Series:
    response = requests.get(f"{url}/metrics", timeout=30)
    assert response.status_code == 200, response.text
    return {
        (sample.name, frozenset(sample.labels.items()))
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


@pytest.fixture
def sqlite_bot(slack: FakeSlack, wechat: FakeWeChat, sqlite_url: str, clock: Clock) -> Iterator[RunningBot]:
    running = RunningBot(bot_env(slack, wechat, sqlite_url), slack, clock)
    yield running
    running.stop()


def test_the_paging_alerts_counters_exist_at_zero_before_the_first_failure(sqlite_bot: RunningBot) -> None:
    """README's MiniProgramRollbackFailing is sum(increase(rollbacks_total{outcome=~"failed|unknown"}[30m])) > 0.
    A labelled counter that appears at 1 has no earlier sample: increase() sees 1 -> 1 and the page never fires
    for a replica's first failure (usually its only one). The series must be exported at 0 from the start."""
    scraped = series(sqlite_bot.url)
    for outcome in ("failed", "unknown"):
        for kind in ("rollback", "stop_gray"):
            labels = frozenset({("kind", kind), ("outcome", outcome)})
            assert (f"{PREFIX}_rollbacks_total", labels) in scraped, f"{kind}/{outcome} not exported before it happens"


def test_a_hostile_wechat_cannot_grow_the_errcode_label_without_bound(
    sqlite_bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    """Every errcode in (-10**7, 10**7) becomes its own series: a compromised or MITM'd WeChat (or its DR host)
    answering a fresh errcode to each call makes one new time series per call."""
    calls = 30
    for n in range(calls):
        wechat.fail_next(LIST_KEY, Fault(errcode=4_200_000 + n))
        _, response_url = sqlite_bot.sender.command("")
        slack.wait_for(lambda s, url=response_url: s.posts_to(url))  # type: ignore[misc]
    history = "/wxa/revertcoderelease?action=get_history_version"
    codes = {
        dict(labels)["errcode"]
        for name, labels in series(sqlite_bot.url)
        if name == f"{PREFIX}_wechat_calls_total" and dict(labels).get("path") == history
    }
    assert len(codes) < 10, f"{len(codes)} errcode values for one path: {sorted(codes)[:5]}..."


def test_scrapes_during_a_database_stall_do_not_starve_the_health_check(
    postgres_url: str, slack: FakeSlack, wechat: FakeWeChat, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """/metrics reads the database at each scrape. During a stall, a burst of scrapes (anyone who can reach $PORT)
    must not fill the 64 server threads: one scrape reads the database, the others answer with the last values, and
    /healthz (and Slack's acks) answer at once, long before the stalled read gives up."""
    scrapes = 80
    caplog.set_level(logging.WARNING, logger="bot.metrics")
    with TcpProxy.in_front_of(postgres_url) as proxy:
        env = bot_env(slack, wechat, proxy.through(postgres_url), DATABASE_TIMEOUT_SECONDS="120")
        bot = RunningBot(env, slack, clock)
        port = int(bot.url.rsplit(":", 1)[1])
        sockets: list[socket.socket] = []
        try:
            series(bot.url)  # warm: the pool holds live connections, which the stall now freezes
            proxy.hold()
            for _ in range(scrapes):
                sock = socket.create_connection(("127.0.0.1", port), timeout=300)
                sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: bot\r\nConnection: close\r\n\r\n")
                sockets.append(sock)
            assert proxy.wait_held()
            health = requests.get(f"{bot.url}/healthz", timeout=300)
            gave_up = [r for r in caplog.records if "reading the database failed" in r.getMessage()]
        finally:
            proxy.release()
            for sock in sockets:
                sock.close()
            bot.stop()
    assert health.status_code == 200
    assert gave_up == [], "/healthz waited for stalled scrapes to give up before a server thread was free"


def test_an_approval_handed_back_as_unverifiable_is_not_a_second_approval_wait(
    sqlite_bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    """observe_transition observes approval_wait on every pending -> approving. An approval whose online-version
    check cannot be read is handed back (approving -> pending, the click "did nothing"), and the next approval is
    observed again: one request, one decision, two observations (the second measured from the request again)."""
    request = request_rollback(sqlite_bot, slack, "1.1.0")
    before = series_values(sqlite_bot.url)
    for _ in range(5):  # more than the client's retries of a read: the approval's check cannot be made
        wechat.fail_next("/wxa/getversioninfo", Fault(errcode=-1))
    click(sqlite_bot, request, APPROVE, "UBOB")
    slack.wait_for(lambda _: handed_back(sqlite_bot, request.id))
    with wechat._lock:
        wechat._faults.clear()
    click(sqlite_bot, request, APPROVE, "UBOB")
    wait_verified(sqlite_bot, slack, request.id)
    after = series_values(sqlite_bot.url)
    count = f"{PREFIX}_approval_wait_seconds_count"
    approved = frozenset({("decision", "approved")})
    assert after.get((count, approved), 0) - before.get((count, approved), 0) == 1


def handed_back(bot: RunningBot, request_id: int) -> bool:
    store = RequestStore(session_factory(bot.runtime.engine))
    return any(e.event.kind is EventKind.REFUSED for e in store.events(request_id))


def series_values(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = requests.get(f"{url}/metrics", timeout=30)
    assert response.status_code == 200, response.text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_slacks_error_words_cannot_grow_the_error_label_without_bound(sqlite_bot: RunningBot, slack: FakeSlack) -> None:
    """Any word of up to 64 [A-Za-z0-9_.] is a label value: whatever answers as SLACK_API_URL (a proxy, a
    compromised egress) makes a new series per error. Slack's documented errors are a known, short list."""
    calls = 20
    for n in range(calls):
        slack.fail_next("views.open", f"made_up_error_{n}")
        button = version_buttons(open_picker(sqlite_bot, slack))[0]
        sqlite_bot.sender.block_action(button["action_id"], button["value"], "UALICE", container_ephemeral=True)
        slack.wait_for(lambda s, n=n: len(s.calls_to("views.open")) > n)  # type: ignore[misc]

    def errors() -> dict[str, float]:
        return {
            dict(labels)["error"]: number
            for (name, labels), number in series_values(sqlite_bot.url).items()
            if name == f"{PREFIX}_slack_api_errors_total" and dict(labels).get("method") == "views.open"
        }

    counted = slack.wait_for(lambda _: (found := errors()) and sum(found.values()) >= calls and found)
    assert len(counted) < 10, f"{len(counted)} error values for views.open"


@pytest.fixture
def sender(env: dict[str, str], slack: FakeSlack, tmp_path: Path) -> Iterator[Replica]:
    """A `python app.py` replica (short lease) beside the in-process `bot`, on the same database."""
    with running(start_replica(env, slack, tmp_path)) as started:
        yield started


def test_one_rollback_is_one_outcome_in_the_sum_over_replicas(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock, sender: Replica
) -> None:
    """The README says: scrape every replica and sum(). The replica that sent the rollback is paused while WeChat
    holds its answer; the other settles the request `unknown` (counted there), then the sender's answer lands
    over it (counted again, `succeeded`). sum(rollbacks_total) says two rollbacks for one, and
    MiniProgramRollbackFailing pages for a rollback whose record ends `succeeded` seconds later."""
    request = request_rollback(bot, slack, "1.1.0")
    answer = threading.Event()
    wechat.fail_next(REVERT, Fault(hold=answer))
    sender.approve(request)
    until(lambda: len(wechat.rollback_calls()) == 1, "the rollback reached WeChat")
    quiet(bot, request)
    sender.pause()
    lapse(bot, clock, claimed(bot, request, State.SENDING))
    wait_state(bot, slack, request.id, State.UNKNOWN)
    answer.set()
    until(lambda: wechat.online is not None and wechat.online.user_version == "1.1.0", "WeChat rolled back")
    sender.resume()
    wait_verified(bot, slack, request.id, PATIENCE)
    replica_url = sender.sender.events_url.removesuffix(EVENTS_PATH)
    total = 0.0
    for url in (bot.url, replica_url):
        for (name, labels), number in series_values(url).items():
            if name == f"{PREFIX}_rollbacks_total" and dict(labels).get("kind") == "rollback":
                total += number
    assert total == 1, f"one rollback counted {total:g} times across the replicas"


def test_every_series_the_readme_alerts_on_is_in_a_fresh_replicas_scrape(sqlite_bot: RunningBot) -> None:
    """The README's alert rules, parsed by regex (promtool is not installable here): each metric they name, with
    each label matcher's label, is in the scrape of a replica that has just started. A series that only appears
    at its first count makes `increase()`/`rate()` blind to that count, and an `absent()`-style check impossible."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    rules = readme.split("Three alerts worth having:", 1)[1].split("**Logs.**", 1)[0]
    used = re.findall(r"(miniprogram_rollback_\w+)(?:\{([^}]*)\})?", rules)
    assert used, "no PromQL found in the README's alert rules"
    scraped = series(sqlite_bot.url)
    names = {name for name, _ in scraped}
    missing = []
    for metric, matchers in used:
        labels = {m.split("=")[0].rstrip("!~").strip() for m in re.findall(r"\w+\s*[=!~]+\s*\"[^\"]*\"", matchers)}
        present = [dict(labelset) for name, labelset in scraped if name == metric]
        if metric not in names or any(not any(label in found for found in present) for label in labels):
            missing.append(metric)
    assert not missing, f"alerted on but not in a fresh scrape: {sorted(set(missing))}"
