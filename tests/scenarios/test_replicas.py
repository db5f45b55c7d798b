"""Two bot processes sharing one database, as replicas behind a load balancer."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bot.web import EVENTS_PATH
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import FakeWeChat
from tests.support.databases import database_urls
from tests.support.harness import SIGNING_SECRET, bot_env
from tests.support.processes import free_port, start_app, stop, wait_healthy
from tests.support.slack_requests import SlackSender


@pytest.mark.parametrize("database", database_urls())
def test_two_processes_fetch_the_token_once(
    database: str, request: pytest.FixtureRequest, slack: FakeSlack, wechat: FakeWeChat, tmp_path: Path
) -> None:
    url = request.getfixturevalue(database)
    ports = [free_port(), free_port()]
    processes = [start_app(bot_env(slack, wechat, url, PORT=str(port)), tmp_path) for port in ports]
    try:
        for process, port in zip(processes, ports, strict=True):
            assert wait_healthy(process, port).status_code == 200
        senders = [SlackSender(f"http://127.0.0.1:{port}{EVENTS_PATH}", SIGNING_SECRET, slack) for port in ports]
        barrier = threading.Barrier(8)
        urls: list[str] = []

        def command(sender: SlackSender) -> None:
            barrier.wait()
            urls.append(sender.command("")[1])

        threads = [threading.Thread(target=command, args=(senders[n % 2],)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        slack.wait_for(lambda s: all(any(p.body.get("blocks") for p in s.posts_to(u)) for u in urls), timeout=30)
    finally:
        errors = [stop(process) for process in processes]
    assert len(wechat.calls_to("/cgi-bin/stable_token")) == 1, errors
    tokens = {call.query["access_token"] for call in wechat.calls if "access_token" in call.query}
    assert len(tokens) == 1
