"""Acknowledge first, work after: Slack is answered the moment a listener acknowledges, and a listener's work
waits while other Slack requests of the process are still unanswered (a burst of clicks is acknowledged before
any of its work competes with it)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, BoltContext

from bot.slack.acks import AckFirst, AckThenYield
from bot.slack.errors import reported
from bot.slack.listening import _LISTENERS


def _context(pool: ThreadPoolExecutor) -> BoltContext:
    context = BoltContext()
    context[_LISTENERS] = pool
    return context


def test_slack_is_answered_at_the_ack_while_the_listener_goes_on() -> None:
    release, finished = threading.Event(), threading.Event()

    def listener(ack: Ack) -> None:
        ack(text="on it")
        release.wait(10)
        finished.set()

    with ThreadPoolExecutor(2) as pool:
        run = reported(listener)
        answer = run(Ack(), {}, None, None, None, None, None, _context(pool))
        assert answer is not None and answer.body == "on it" and not finished.is_set()
        release.set()
        assert finished.wait(10)


def test_a_failure_before_the_ack_is_bolts_to_answer() -> None:
    def listener(ack: Ack) -> None:
        raise ValueError("malformed")

    with ThreadPoolExecutor(2) as pool:
        try:
            reported(listener)(Ack(), {}, None, None, None, None, None, _context(pool))
        except ValueError as error:
            assert str(error) == "malformed"
        else:
            raise AssertionError("the failure was swallowed")


def test_work_after_the_ack_waits_until_every_request_is_answered() -> None:
    acks = AckFirst(patience=60)
    worked = threading.Event()
    arrived, answer = threading.Event(), threading.Event()

    def other_request() -> None:  # arrives, and is answered only when the test says
        with acks.answering():
            arrived.set()
            answer.wait(10)

    def listener_work(ack: Any) -> None:
        ack()  # yields to the unanswered request
        worked.set()

    with ThreadPoolExecutor(2) as pool:
        pool.submit(other_request)
        assert arrived.wait(10)
        pool.submit(listener_work, AckThenYield(Ack(), threading.Event(), acks))
        assert not worked.wait(0.2)  # still waiting: a request is unanswered (a check that may pass early only)
        answer.set()
        assert worked.wait(10)
