"""The fake WeChat, timed: when each call arrived and when it was answered, so that a benchmark can tell the time
the bot spent waiting on WeChat from its own; and one direct call, the round trip every ratio is measured against.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import requests

from tests.fakes.wechat import REVERT, FakeWeChat

VERSION_INFO = "/wxa/getversioninfo"
GRAY_PLAN = "/wxa/getgrayreleaseplan"
READS = (VERSION_INFO, GRAY_PLAN)  # what the bot reads around an approval (the listing shares REVERT's path)


@dataclass(frozen=True)
class Exchange:
    """One call to the fake WeChat, from its arrival to its answer (latency included)."""

    path: str
    arrived: float
    answered: float


class TimedWeChat(FakeWeChat):
    """FakeWeChat that also records each call's answer time. It wraps the fake's one dispatch point, `_answer`,
    which waits out the set latency and answers; the HTTP write that follows is left out (microseconds)."""

    def __init__(self) -> None:
        super().__init__()
        self.exchanges: list[Exchange] = []
        self._timing_lock = threading.Lock()

    def __enter__(self) -> TimedWeChat:
        self.start()
        return self

    def _answer(self, method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        arrived = time.monotonic()
        try:
            return super()._answer(method, path, *args, **kwargs)
        finally:
            with self._timing_lock:
                self.exchanges.append(Exchange(path, arrived, time.monotonic()))

    def exchanges_between(self, start: float, end: float) -> list[Exchange]:
        with self._timing_lock:
            return [exchange for exchange in self.exchanges if start <= exchange.arrived <= end]

    def reads_since(self, start: float) -> int:
        """getversioninfo and getgrayreleaseplan calls that arrived since `start`."""
        return sum(1 for call in list(self.calls) if call.at >= start and call.path in READS)


def waiting_seconds(exchanges: Sequence[Exchange], start: float, end: float) -> float:
    """How long, between `start` and `end`, at least one of these calls was waiting for WeChat's answer: the
    union of their intervals, so concurrent calls count once."""
    spans = sorted((max(e.arrived, start), min(e.answered, end)) for e in exchanges)
    total, reach = 0.0, start
    for begin, finish in spans:
        begin = max(begin, reach)
        if finish > begin:
            total += finish - begin
            reach = finish
    return total


def direct_round_trip(wechat: TimedWeChat) -> float:
    """One rollback call straight to the fake (a fresh release makes it possible), timed from this process: one
    WeChat round trip, with whatever latency is set, the unit of every ratio."""
    wechat.release(f"9.{time.monotonic_ns()}", "baseline release")
    target = wechat.history[0].app_version
    token = wechat.issue_token()
    started = time.monotonic()
    params = {"access_token": token, "app_version": str(target)}
    answer = requests.get(wechat.base_url + REVERT, params=params, timeout=60).json()
    took = time.monotonic() - started
    if answer.get("errcode") != 0:
        raise RuntimeError(f"the direct rollback was refused: {answer}")
    return took
