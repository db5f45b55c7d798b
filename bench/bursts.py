"""Bursts of signed Slack requests released together, each request timed until its ack, and the floor: the same
bursts badly signed, which the bot refuses before any listener or database is involved."""

from __future__ import annotations

import contextlib
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from bench.botprocess import BotProcess
from bench.loadgen import Timing
from bench.rig import wait_until
from bench.sender import Prepared, TimedSender
from bench.stats import Spread
from bench.steps import CHANNEL

FLOOR = "badly signed command (floor)"
LISTENER_THREADS_HINT = 16  # for the drain timeout only: listeners that surely run at once (the bot has more)


@dataclass
class AckRun:
    kind: str
    client_s: list[float] = field(default_factory=list)  # each request's response time, seen by the sender
    server_ms: list[float] = field(default_factory=list)  # the same requests, as the bot logged them
    statuses: Counter[int] = field(default_factory=Counter)
    ack_warnings: int = 0  # Bolt's "didn't call ack()": no ack within 3 s, so Bolt answered 404 instead
    warnings: Counter[str] = field(default_factory=Counter)  # the bot's warnings while the bursts were served

    @property
    def client(self) -> Spread:
        return Spread.of_seconds(self.client_s)

    @property
    def server(self) -> Spread:
        return Spread.of_ms(self.server_ms)


def drain_timeout(clients: int, latency: float, calls_each: int) -> float:
    # Listeners run LISTENER_THREADS_HINT at a time, each waiting `calls_each` slow answers; then some margin.
    return 60 + 2 * math.ceil(clients / LISTENER_THREADS_HINT) * calls_each * latency


def serve(
    run: AckRun, bot: BotProcess, sender: TimedSender, prepared: list[Prepared],
    done: Callable[[list[Timing]], bool], timeout: float,
) -> list[Timing]:  # fmt: skip
    """Send a burst, wait until `done(timings)` (everything the burst asked for delivered), record the times."""
    mark = bot.mark()
    timings = sender.send_together(prepared)
    wait_until(lambda: done(timings), timeout, f"the {run.kind} burst to be answered")
    run.client_s += [timing.seconds for timing in timings]
    run.statuses.update(timing.status for timing in timings)
    with contextlib.suppress(TimeoutError):  # the drain thread may be a moment behind the bot
        wait_until(lambda: len(bot.access_ms(mark)) >= len(prepared), 10, "the access log lines")
    run.server_ms += bot.access_ms(mark)
    warned = bot.warnings(mark)
    run.ack_warnings += sum("didn't call ack()" in line for line in warned)
    run.warnings.update(re.sub(r"\b\d+\b", "N", line.splitlines()[0])[:160] for line in warned if line.strip())
    return timings


def floor_burst(run: AckRun, sender: TimedSender, clients: int, prepared: list[Prepared] | None = None) -> None:
    """One burst with a wrong signature (slash commands, or the `prepared` requests themselves): the HTTP server
    and Bolt refuse them (401) before any listener or database is involved, so this is what loopback, the load
    generator's threads and the bot's HTTP stack cost by themselves on this machine, at this moment."""
    forged = "v0=" + "0" * 64
    if prepared is None:
        prepared = [sender.prepare(partial(sender.command, "", f"UFLOOR{n:02d}", CHANNEL)) for n in range(clients)]
    timings = sender.send_together(prepared, signature=forged)
    run.client_s += [timing.seconds for timing in timings]
    run.statuses.update(timing.status for timing in timings)
