"""Exactly once at the real seams: the replica that won an Approve click is paused (SIGSTOP: a VM freeze,
`docker pause`) at each point between the click and the send, for longer than its lease, while another replica
settles the request; then it is resumed (SIGCONT). It never sends after the other settled the request, and the
record always ends as WeChat's state is.

The same with the database stalled (PostgreSQL behind a proxy that holds its traffic; SQLite with its write lock
held by another connection) and refusing connections, at each of those points: the approver is told what is
known, and the record names the real cause.

Two real processes over one database: the in-process bot (whose clock the test moves to run a lease out) and a
`python app.py` replica with a short lease. Every wait is for an event; none for a time margin.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.rollback.model import EventKind, RollbackRequest, State
from bot.slack.ids import APPROVE
from bot.web import EVENTS_PATH
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import REVERT, STABLE_TOKEN, FakeWeChat, Fault
from tests.support.flow import ephemeral_text, request_rollback, wait_state, wait_verified
from tests.support.harness import SIGNING_SECRET, Clock, RunningBot
from tests.support.processes import free_port, start_app, wait_healthy
from tests.support.slack_requests import SlackSender
from tests.support.tcp_proxy import TcpProxy

LEASE = 5  # APPROVAL_LEASE_SECONDS of the replica that is paused
VERSION_INFO = "/wxa/getversioninfo"
PATIENCE = 120.0  # an upper bound on any one wait, for a busy machine; no test waits for it to pass


@dataclass
class Replica:
    process: subprocess.Popen[str]
    sender: SlackSender

    def pause(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)

    def approve(self, request: RollbackRequest, user: str = "UBOB") -> str:
        """UBOB's Approve click, delivered to this replica; returns the click's response_url."""
        response, response_url = self.sender.block_action(
            APPROVE, str(request.id), user=user, channel=request.channel_id, message_ts=request.message_ts
        )
        assert response.status_code == 200
        return response_url


def start_replica(env: dict[str, str], slack: FakeSlack, cwd: Path, **extra: str) -> Replica:
    port = free_port()
    settings = {**env, "PORT": str(port), "APPROVAL_LEASE_SECONDS": str(LEASE), "WECHAT_TIMEOUT_SECONDS": "60"}
    process = start_app({**settings, **extra}, cwd)
    wait_healthy(process, port, timeout=PATIENCE)
    return Replica(process, SlackSender(f"http://127.0.0.1:{port}{EVENTS_PATH}", SIGNING_SECRET, slack))


@contextmanager
def running(replica: Replica) -> Iterator[Replica]:
    try:
        yield replica
    finally:
        replica.resume()  # a replica left paused cannot be stopped cleanly
        replica.process.kill()
        replica.process.communicate(timeout=PATIENCE)


@pytest.fixture
def replica(env: dict[str, str], slack: FakeSlack, tmp_path: Path) -> Iterator[Replica]:
    with running(start_replica(env, slack, tmp_path)) as started:
        yield started


def until(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.02)


def quiet(bot: RunningBot, request: RollbackRequest) -> None:
    """Everything recorded so far is shown in Slack and nobody is delivering: the replica to be paused is then
    only waiting on WeChat. (Paused inside one of its short writes, it would hold SQLite's one write lock and stall
    every other process until resumed: SQLite's nature, which would say nothing about the bot.)"""
    query = text(
        "SELECT shown_revision = revision AND posted_through = last_event_id AND delivery_until IS NULL "
        "FROM rollback_requests WHERE id = :id"
    )

    def delivered() -> bool:
        with bot.runtime.engine.connect() as connection:
            return bool(connection.execute(query, {"id": request.id}).scalar_one())

    until(delivered, "everything recorded was shown in Slack")


def claimed(bot: RunningBot, request: RollbackRequest, state: State) -> RollbackRequest:
    current = bot.workflow.get(request.id)
    assert current is not None and current.state is state and current.lease_until is not None
    return current


def lapse(bot: RunningBot, clock: Clock, request: RollbackRequest) -> None:
    """Run the lease out for the other replica (its clock), and in real time for the paused one."""
    assert request.lease_until is not None
    lease_until = request.lease_until
    clock.advance(max(0.0, (lease_until - clock()).total_seconds()) + 1)
    until(lambda: datetime.now(UTC) > lease_until, "the paused replica's lease ran out")


def kinds(bot: RunningBot, request: RollbackRequest) -> list[EventKind]:
    return [event.kind for event in bot.workflow.events(request.id)]


# --- paused


def test_paused_while_checking_the_request_is_settled_unsent_and_never_sends(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock, replica: Replica
) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    answer = threading.Event()
    before = len(wechat.calls_to(VERSION_INFO))
    wechat.fail_next(VERSION_INFO, Fault(hold=answer))
    response_url = replica.approve(request)
    until(lambda: len(wechat.calls_to(VERSION_INFO)) > before, "the replica asked whether the request is current")
    quiet(bot, request)
    replica.pause()

    lapse(bot, clock, claimed(bot, request, State.APPROVING))
    settled = wait_state(bot, slack, request.id, State.FAILED)
    assert "nothing was sent" in (settled.outcome or "")
    answer.set()
    replica.resume()

    notice = slack.wait_for(lambda s: ephemeral_text(s, response_url), timeout=PATIENCE)
    assert "already approved" in notice
    assert wechat.rollback_calls() == []
    final = bot.workflow.get(request.id)
    assert final is not None and (final.state, final.outcome) == (State.FAILED, settled.outcome)
    assert EventKind.WECHAT_CALLED not in kinds(bot, request)


def test_paused_before_re_sending_after_a_token_error_never_re_sends(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock, replica: Replica
) -> None:
    """The first send was refused for its token (proof that WeChat did nothing); the replica is paused while it
    fetches a new token, and must not re-send once its lease has run out."""
    request = request_rollback(bot, slack, "1.1.0")
    token = threading.Event()
    wechat.fail_next(REVERT, Fault(errcode=40001))
    before = len(wechat.calls_to(STABLE_TOKEN))
    wechat.fail_next(STABLE_TOKEN, Fault(hold=token))
    replica.approve(request)
    until(lambda: len(wechat.calls_to(STABLE_TOKEN)) > before, "the replica asked for a new token")
    quiet(bot, request)
    replica.pause()

    lapse(bot, clock, claimed(bot, request, State.SENDING))
    unknown = wait_state(bot, slack, request.id, State.UNKNOWN)
    assert "Re-checking" in (unknown.outcome or "")  # a paused sender may still send: never "not applied" here
    token.set()
    replica.resume()

    done = slack.wait_for(lambda _: _in_state(bot, request, State.FAILED), timeout=PATIENCE)
    assert "was not sent" in (done.outcome or "")  # the sender itself knows it did not send
    assert len(wechat.rollback_calls()) == 1  # only the one refused for its token
    assert wechat.online is not None and wechat.online.user_version == "1.2.0"


def test_paused_while_wechat_holds_the_answer_is_recorded_as_it_landed(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock, replica: Replica
) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    answer = threading.Event()
    wechat.fail_next(REVERT, Fault(hold=answer))  # received at once, carried out and answered when released
    replica.approve(request)
    until(lambda: len(wechat.rollback_calls()) == 1, "the rollback reached WeChat")
    quiet(bot, request)
    replica.pause()

    lapse(bot, clock, claimed(bot, request, State.SENDING))
    wait_state(bot, slack, request.id, State.UNKNOWN)  # not landed yet: unknown, re-checking
    answer.set()  # WeChat rolls back and answers; the paused replica reads the answer when resumed
    until(lambda: wechat.online is not None and wechat.online.user_version == "1.1.0", "WeChat rolled back")
    replica.resume()

    done = wait_verified(bot, slack, request.id, PATIENCE)  # the sender's own record, over the interim unknown
    assert EventKind.EXECUTED in kinds(bot, request) and done.wechat_errcode == 0
    assert len(wechat.rollback_calls()) == 1


def _in_state(bot: RunningBot, request: RollbackRequest, state: State) -> RollbackRequest | None:
    current = bot.workflow.get(request.id)
    return current if current is not None and current.state is state else None


# --- the database stalls or refuses


class Stall:
    """The paused replica's database stops answering: PostgreSQL behind a proxy, SQLite with its lock taken."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.proxy = None if database_url.startswith("sqlite") else TcpProxy.in_front_of(database_url)
        self._lock: sqlite3.Connection | None = None

    @property
    def replica_url(self) -> str:
        return self.proxy.through(self.url) if self.proxy else self.url

    def hold(self) -> None:
        if self.proxy:
            self.proxy.hold()
        else:  # every write waits for the lock, then fails after the busy timeout
            self._lock = sqlite3.connect(self.url.removeprefix("sqlite:///"), isolation_level=None)
            self._lock.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        if self.proxy:
            self.proxy.release()
        elif self._lock is not None:
            self._lock.rollback()
            self._lock.close()
            self._lock = None

    def close(self) -> None:
        self.release()
        if self.proxy:
            self.proxy.close()


@pytest.fixture
def stall(database_url: str) -> Iterator[Stall]:
    stall = Stall(database_url)
    yield stall
    stall.close()


@pytest.fixture
def stalling_replica(env: dict[str, str], slack: FakeSlack, tmp_path: Path, stall: Stall) -> Iterator[Replica]:
    extra = {"DATABASE_URL": stall.replica_url, "DATABASE_TIMEOUT_SECONDS": "2"}
    with running(start_replica(env, slack, tmp_path, **extra)) as started:
        yield started


def test_database_stalls_at_the_claim_nothing_is_recorded_or_sent(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, stall: Stall, stalling_replica: Replica
) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    stall.hold()
    notice = ephemeral_text_within(slack, stalling_replica.approve(request))
    stall.release()
    assert "could not be recorded" in notice and "nothing was sent" in notice
    current = bot.workflow.get(request.id)
    assert current is not None and current.state is State.PENDING
    assert wechat.rollback_calls() == []
    bot.sender.block_action(
        APPROVE, str(request.id), user="UCAROL", channel=request.channel_id, message_ts=request.message_ts
    )
    assert wait_verified(bot, slack, request.id, PATIENCE).decided_by == "UCAROL"
    assert len(wechat.rollback_calls()) == 1


def test_database_stalls_before_the_send_nothing_is_sent_and_the_approver_is_told(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock, stall: Stall, stalling_replica: Replica
) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    answer = threading.Event()
    before = len(wechat.calls_to(VERSION_INFO))
    wechat.fail_next(VERSION_INFO, Fault(hold=answer))
    response_url = stalling_replica.approve(request)
    until(lambda: len(wechat.calls_to(VERSION_INFO)) > before, "the replica asked whether the request is current")
    approving = claimed(bot, request, State.APPROVING)
    stall.hold()
    answer.set()  # the replica goes on to move the request to sending: the database does not answer
    notice = ephemeral_text_within(slack, response_url)
    stall.release()
    assert "approval was recorded" in notice and "nothing was sent" in notice

    # The replica names the real cause on the record as soon as the database answers again.
    settled = slack.wait_for(lambda _: _in_state(bot, request, State.FAILED), timeout=PATIENCE)
    assert "database stopped answering before the rollback went out" in (settled.outcome or "")
    lapse(bot, clock, approving)
    assert bot.workflow.settler.take_over_lapsed() == []  # nothing left to take over
    assert wechat.rollback_calls() == []


def test_database_stalls_after_the_send_the_outcome_is_settled_from_wechat(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock, stall: Stall, stalling_replica: Replica
) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    answer = threading.Event()
    wechat.fail_next(REVERT, Fault(hold=answer))
    response_url = stalling_replica.approve(request)
    until(lambda: len(wechat.rollback_calls()) == 1, "the rollback reached WeChat")
    sending = claimed(bot, request, State.SENDING)
    stall.hold()
    answer.set()  # WeChat rolls back and says so; the replica cannot record it
    notice = ephemeral_text_within(slack, response_url)
    stall.release()
    assert "The rollback was sent" in notice and "WeChat accepted" in notice and "Do not send it again" in notice

    # Recorded by the replica that sent it once the database answers, then verified; or, had that replica
    # stopped too, settled from WeChat's state once its lease ran out.
    lapse(bot, clock, sending)
    done = wait_verified(bot, slack, request.id, PATIENCE)
    assert done.wechat_errcode == 0 or "within its lease" in (done.outcome or "")
    assert len(wechat.rollback_calls()) == 1


def test_database_refuses_before_the_send_nothing_is_sent(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock, stall: Stall, stalling_replica: Replica
) -> None:
    if stall.proxy is None:
        pytest.skip("a SQLite file has no connections to refuse")
    request = request_rollback(bot, slack, "1.1.0")
    answer = threading.Event()
    before = len(wechat.calls_to(VERSION_INFO))
    wechat.fail_next(VERSION_INFO, Fault(hold=answer))
    response_url = stalling_replica.approve(request)
    until(lambda: len(wechat.calls_to(VERSION_INFO)) > before, "the replica asked whether the request is current")
    approving = claimed(bot, request, State.APPROVING)
    stall.proxy.refuse()
    answer.set()
    notice = ephemeral_text_within(slack, response_url)
    stall.proxy.restore()
    assert "approval was recorded" in notice and "nothing was sent" in notice

    lapse(bot, clock, approving)
    slack.wait_for(lambda _: _in_state(bot, request, State.FAILED), timeout=PATIENCE)
    assert wechat.rollback_calls() == []


def ephemeral_text_within(slack: FakeSlack, response_url: str) -> str:
    return slack.wait_for(lambda s: " ".join(p.body.get("text", "") for p in s.posts_to(response_url)), PATIENCE)
