"""Two bot processes on one database, both sweeping every second with reminders due every second: each reminder
is recorded once and posted in the thread once, whichever replica sent it (SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from bot.rollback.model import EventKind, RollbackRequest, State
from bot.rollback.reminders import parse_reminder_detail
from bot.slack.ids import CANCEL
from bot.store.database import make_engine, session_factory
from bot.store.models import EventRow
from bot.store.request_store import RequestStore
from tests.fakes.slack import FakeSlack
from tests.scenarios.test_paused_replica import PATIENCE, Replica, start_replica
from tests.support.flow import request_rollback
from tests.support.processes import stop
from tests.support.slack_requests import SlackSender

REMINDERS = 4  # seen in the thread before the request is cancelled


@dataclass
class _Asker:
    """What `request_rollback` needs of a bot: a sender into one replica and the record to read back."""

    sender: SlackSender
    workflow: RequestStore


@pytest.fixture
def record_engine(database_url: str) -> Iterator[Engine]:
    made: Engine = make_engine(database_url)
    yield made
    made.dispose()


@pytest.fixture
def records(record_engine: Engine) -> RequestStore:
    return RequestStore(session_factory(record_engine))


def _reminder_replies(slack: FakeSlack, request: RollbackRequest, reminders: dict[int, int | None]) -> list[int | None]:
    """The reminders posted in the request's thread, by the number their recorded event carries: each thread reply
    names the event it shows in its metadata (bot.slack.delivery), so no words are read."""
    posted: list[int | None] = []
    for call in slack.calls_to("chat.postMessage"):
        if call.args.get("thread_ts") != request.message_ts or not call.response.get("ok"):
            continue
        event_id = ((call.args.get("metadata") or {}).get("event_payload") or {}).get("event_id")
        if event_id in reminders:
            posted.append(reminders[event_id])
    return posted


def _reminders(engine: Engine, request_id: int) -> dict[int, int | None]:
    """The request's recorded reminders: event id -> reminder number."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(EventRow.id, EventRow.detail).where(
                EventRow.request_id == request_id, EventRow.kind.in_([EventKind.REMINDED, EventKind.ESCALATED])
            )
        )
        return {row.id: parse_reminder_detail(row.detail)[0] for row in rows}


def test_two_replicas_send_each_reminder_once(
    env: dict[str, str], slack: FakeSlack, tmp_path: Path, records: RequestStore, record_engine: Engine
) -> None:
    settings = {"APPROVAL_REMIND_SECONDS": "1", "EXPIRY_SWEEP_SECONDS": "1", "APPROVAL_TTL_SECONDS": "3600"}
    replicas: list[Replica] = []
    logs: list[str] = []
    try:
        replicas += [start_replica(env, slack, tmp_path, **settings) for _ in range(2)]
        request = request_rollback(_Asker(replicas[0].sender, records), slack, "1.1.0")

        def posted(s: FakeSlack) -> list[int | None]:
            return _reminder_replies(s, request, _reminders(record_engine, request.id))

        slack.wait_for(lambda s: len(posted(s)) >= REMINDERS, timeout=PATIENCE)
        response, _ = replicas[1].sender.block_action(
            CANCEL, str(request.id), user="UALICE", channel=request.channel_id, message_ts=request.message_ts
        )
        assert response.status_code == 200
        slack.wait_for(lambda s: (r := records.get(request.id)) is not None and r.state == State.CANCELLED)
        recorded = [
            e.event for e in records.events(request.id) if e.event.kind in (EventKind.REMINDED, EventKind.ESCALATED)
        ]
        # Every recorded reminder reaches the thread, each once: wait until the thread has caught up.
        slack.wait_for(lambda s: len(posted(s)) >= len(recorded), timeout=PATIENCE)
    finally:
        logs += [stop(replica.process) for replica in replicas]
    numbers = [parse_reminder_detail(event.detail)[0] for event in recorded]
    assert numbers == list(range(1, len(recorded) + 1))  # once each, in order: never two replicas at once
    assert all(later.at > earlier.at for earlier, later in itertools.pairwise(recorded))
    assert posted(slack) == numbers
    by_replica = [{int(number) for number in _SENT.findall(log)} for log in logs]
    assert not by_replica[0] & by_replica[1] and by_replica[0] | by_replica[1] == set(numbers)


_SENT = re.compile(r"request \d+: reminder (\d+) sent")
