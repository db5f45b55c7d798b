"""A storm of approve, reject and cancel clicks split across two bot processes on one database:
exactly one decision, at most one rollback call, and a record that agrees with itself."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from bot.rollback.model import EventKind, RollbackRequest, State
from bot.slack.ids import APPROVE, CANCEL, NOTE_BLOCK, NOTE_INPUT, REJECT_VIEW
from bot.web import EVENTS_PATH
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import FakeWeChat
from tests.support.databases import database_urls
from tests.support.flow import request_rollback
from tests.support.harness import SIGNING_SECRET, Clock, RunningBot, bot_env
from tests.support.processes import free_port, start_app, stop, wait_healthy
from tests.support.slack_requests import SlackSender

CLICKS = 300
DECISIONS = {
    EventKind.APPROVED: State.SUCCEEDED,
    EventKind.REJECTED: State.REJECTED,
    EventKind.CANCELLED: State.CANCELLED,
}


@pytest.mark.parametrize("database", database_urls())
@pytest.mark.parametrize("seed", [1, 2])
def test_click_storm_across_two_processes(
    database: str,
    seed: int,
    request: pytest.FixtureRequest,
    slack: FakeSlack,
    wechat: FakeWeChat,
    clock: Clock,
    tmp_path: Path,
) -> None:
    url = request.getfixturevalue(database)
    env = bot_env(slack, wechat, url)
    creator = RunningBot(env, slack, clock)  # opens the request, then only reads the record
    ports = [free_port(), free_port()]
    processes = [start_app({**env, "PORT": str(port)}, tmp_path) for port in ports]
    try:
        rollback = request_rollback(creator, slack, "1.1.0")
        for process, port in zip(processes, ports, strict=True):
            wait_healthy(process, port)
        senders = [SlackSender(f"http://127.0.0.1:{port}{EVENTS_PATH}", SIGNING_SECRET, slack) for port in ports]
        metadata = json.dumps({"request_id": rollback.id, "channel_id": rollback.channel_id, "response_url": None})
        rejection = {NOTE_BLOCK: {NOTE_INPUT: {"type": "plain_text_input", "value": "no"}}}

        def approve(sender: SlackSender, user: str) -> requests.Response:
            return sender.block_action(APPROVE, str(rollback.id), user, message_ts=rollback.message_ts)[0]

        def reject(sender: SlackSender, user: str) -> requests.Response:
            return sender.view_submission(REJECT_VIEW, rejection, metadata, user)

        def cancel(sender: SlackSender, _user: str) -> requests.Response:
            return sender.block_action(CANCEL, str(rollback.id), "UALICE", message_ts=rollback.message_ts)[0]

        chooser = random.Random(seed)
        kinds: list[Callable[[SlackSender, str], requests.Response]] = [approve, approve, reject, cancel]
        clicks = [(chooser.choice(kinds), senders[n % 2], f"UCLICK{n % 40}") for n in range(CLICKS)]
        with ThreadPoolExecutor(max_workers=24) as pool:
            statuses = list(pool.map(lambda click: click[0](click[1], click[2]).status_code, clicks))
        assert statuses == [200] * CLICKS
        final = slack.wait_for(lambda _: _settled(creator, rollback.id), timeout=60)
    finally:
        errors = [stop(process) for process in processes]
        creator.stop()

    events = [event.kind for event in creator.workflow.events(rollback.id)]
    decisions = [kind for kind in events if kind in DECISIONS]
    assert len(decisions) == 1, (events, errors)
    assert final.state is DECISIONS[decisions[0]]
    assert len(wechat.rollback_calls()) == (1 if decisions[0] is EventKind.APPROVED else 0)
    assert events[0] is EventKind.REQUESTED
    assert events.count(EventKind.EXECUTED) == (1 if final.state is State.SUCCEEDED else 0)
    assert "Traceback" not in "".join(errors)


def _settled(bot: RunningBot, request_id: int) -> RollbackRequest | None:
    """Final, and an accepted rollback's read-back made: the approving thread is done with it."""
    request = bot.workflow.get(request_id)
    if request is None or not request.state.is_final:
        return None
    return None if request.state is State.SUCCEEDED and not request.verified else request
