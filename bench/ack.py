"""Ack latency: how long Slack waits for the bot's HTTP answer, with 50 requests at once while WeChat is slow.

Slack gives up after 3000 ms; the target is a p99 under 100 ms on loopback. Three kinds of request, each
sent as bursts of `clients` signed requests released together from as many threads:
- the slash command (each one then asks WeChat three things, every answer `latency` seconds late);
- a version button in the picker (opens the reason modal; no WeChat call);
- Approve on one open request, by `clients` different people: one wins and rolls back, the rest are refused.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from bench.report import Figure, Section
from bench.rig import (
    CHANNEL,
    BotProcess,
    Database,
    Fakes,
    OpenRequest,
    Prepared,
    TimedSender,
    Timing,
    bots,
    burst,
    fakes,
    final_update,
    open_picker,
    open_request,
    pickers_answered,
    version_buttons,
    wait_until,
)
from bench.stats import Spread
from bot.slack.ids import APPROVE
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import ANY_CALL

TARGET_MS = 100.0
FLOOR = "badly signed command (floor)"
KINDS = ("floor", "command", "version", "approve")
LISTENER_THREADS_HINT = 16  # bot/runtime.py LISTENER_THREADS: how many listeners run at once


@dataclass
class AckRun:
    kind: str
    client_s: list[float] = field(default_factory=list)  # each request's response time, seen by the sender
    server_ms: list[float] = field(default_factory=list)  # the same requests, as the bot logged them
    statuses: Counter[int] = field(default_factory=Counter)
    rollbacks: list[int] = field(default_factory=list)  # Approve: WeChat rollback calls, per round
    refused: list[int] = field(default_factory=list)  # Approve: clicks told no, per round
    ack_warnings: int = 0  # Bolt's "didn't call ack()": no ack within 3 s, so Bolt answered 404 instead
    warnings: Counter[str] = field(default_factory=Counter)  # the bot's warnings while the bursts were served

    @property
    def client(self) -> Spread:
        return Spread.of_seconds(self.client_s)

    @property
    def server(self) -> Spread:
        return Spread.of_ms(self.server_ms)


def measure(
    db: Database, *, rounds: int, clients: int = 50, latency: float = 2.5, kinds: Sequence[str] = KINDS
) -> list[AckRun]:
    """`kinds`: a subset of KINDS, measured in that order."""
    with fakes() as found, bots(found, db) as (bot,):
        sender = bot.sender(found.slack)
        picker = open_picker(sender, found.slack)  # warm-up: the token is fetched, the code paths loaded
        measured = {
            "floor": lambda: _floor(bot, sender, rounds, clients),
            "command": lambda: _commands(found, bot, sender, rounds, clients, latency),
            "version": lambda: _version_clicks(found, bot, sender, picker, rounds, clients, latency),
            "approve": lambda: _approve_clicks(found, bot, sender, rounds, clients, latency),
        }
        return [measured[kind]() for kind in KINDS if kind in kinds]


def _drain_timeout(clients: int, latency: float, calls_each: int) -> float:
    # Listeners run LISTENER_THREADS_HINT at a time, each waiting `calls_each` slow answers; then some margin.
    return 60 + 2 * math.ceil(clients / LISTENER_THREADS_HINT) * calls_each * latency


def _round(
    run: AckRun, bot: BotProcess, sender: TimedSender, prepared: list[Prepared],
    done: Callable[[list[Timing]], bool], timeout: float,
) -> list[Timing]:  # fmt: skip
    """Send a burst, wait until `done(timings)` (everything the burst asked for delivered), record the times."""
    mark = bot.mark()
    timings = burst(len(prepared), lambda n: sender.send(prepared[n]))
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


def _floor(bot: BotProcess, sender: TimedSender, rounds: int, clients: int) -> AckRun:
    """The same bursts of slash commands with a wrong signature: the HTTP server and Bolt refuse them (401)
    before any listener or database is involved, so this is what loopback, the load generator's threads and
    the bot's HTTP stack cost by themselves on this machine."""
    run = AckRun(FLOOR)
    forged = "v0=" + "0" * 64
    for _ in range(rounds):
        prepared = [sender.prepare(partial(sender.command, "", f"UFLOOR{n:02d}", CHANNEL)) for n in range(clients)]
        timings = burst(clients, partial(_forged, sender, prepared, forged))
        run.client_s += [timing.seconds for timing in timings]
        run.statuses.update(timing.status for timing in timings)
    return run


def _forged(sender: TimedSender, prepared: list[Prepared], signature: str, index: int) -> Timing:
    sender.post(prepared[index].body, signature=signature)
    return sender.last


def _commands(found: Fakes, bot: BotProcess, sender: TimedSender, rounds: int, clients: int, latency: float) -> AckRun:
    run = AckRun("slash command")
    found.wechat.set_latency(ANY_CALL, latency)
    for _ in range(rounds):
        prepared = [sender.prepare(partial(sender.command, "", f"UCMD{n:02d}", CHANNEL)) for n in range(clients)]
        urls = [p.response_url for p in prepared]
        # Every command's version list arrives before the next burst: rounds do not pile up.
        answered = partial(_pickers_answered, found.slack, urls)
        _round(run, bot, sender, prepared, answered, _drain_timeout(clients, latency, 3))
    found.wechat.set_latency(ANY_CALL, 0)
    return run


def _pickers_answered(slack: FakeSlack, urls: list[str], _: list[Timing]) -> bool:
    return pickers_answered(slack, urls)


def _version_clicks(
    found: Fakes, bot: BotProcess, sender: TimedSender, picker: dict[str, Any], rounds: int, clients: int,
    latency: float,
) -> AckRun:  # fmt: skip
    run = AckRun("version-button click")
    button = version_buttons(picker)[0]
    found.wechat.set_latency(ANY_CALL, latency)  # unused by this click, but the bot works in the same conditions
    click = partial(
        sender.block_action, button["action_id"], button["value"], channel=CHANNEL, container_ephemeral=True
    )
    for _ in range(rounds):
        prepared = [sender.prepare(partial(click, user=f"UPICK{n:02d}")) for n in range(clients)]
        opened = len(found.slack.calls_to("views.open"))
        _round(run, bot, sender, prepared, partial(_modals_opened, found.slack, opened + clients), 60)
    found.wechat.set_latency(ANY_CALL, 0)
    return run


def _modals_opened(slack: FakeSlack, expected: int, _: list[Timing]) -> bool:
    return len(slack.calls_to("views.open")) >= expected


def _approve_clicks(
    found: Fakes, bot: BotProcess, sender: TimedSender, rounds: int, clients: int, latency: float
) -> AckRun:
    run = AckRun("Approve click")
    slack, wechat = found.slack, found.wechat
    for round_number in range(rounds):
        wechat.set_latency(ANY_CALL, 0)  # opening the request is not what is measured
        wechat.release(f"5.{round_number}.0", "a release to roll back from")
        request = open_request(sender, slack)
        click = partial(sender.block_action, APPROVE, str(request.id), channel=request.channel,
                        message_ts=request.message_ts)  # fmt: skip
        prepared = [sender.prepare(partial(click, f"UAPPROVER{n:02d}")) for n in range(clients)]
        urls = [p.response_url for p in prepared]
        rollbacks_before = len(wechat.rollback_calls())
        wechat.set_latency(ANY_CALL, latency)
        settled = partial(_storm_settled, slack, request, urls)
        _round(run, bot, sender, prepared, settled, _drain_timeout(clients, latency, 4))
        run.rollbacks.append(len(wechat.rollback_calls()) - rollbacks_before)
        run.refused.append(sum(1 for url in urls if slack.posts_to(url)))
    wechat.set_latency(ANY_CALL, 0)
    return run


def _storm_settled(slack: FakeSlack, request: OpenRequest, urls: list[str], timings: list[Timing]) -> bool:
    """Everyone but the winner was told no, and the message shows the rollback's outcome."""
    told = sum(1 for url in urls if slack.posts_to(url))
    return told >= len(urls) - 1 and final_update(slack, request, min(t.started for t in timings)) is not None


def section(runs: list[AckRun], *, rounds: int, clients: int, latency: float) -> Section:
    result = Section(f"Ack latency: {clients} concurrent requests, WeChat answering after {latency:g} s")
    for run in runs:
        client = run.client
        if run.kind == FLOOR:
            statuses = ", ".join(f"{status} x{n}" for status, n in sorted(run.statuses.items()))
            result.figures.append(Figure(f"{run.kind}: refusal, sender's view", f"{client} ({statuses})"))
            continue
        result.figures.append(
            Figure(
                f"{run.kind}: ack, sender's view",
                str(client),
                f"p99 < {TARGET_MS:.0f} ms (Slack: 3000)",
                client.p99 < TARGET_MS,
            )
        )
        result.figures.append(Figure(f"{run.kind}: ack, bot's own log", str(run.server)))
        others = {status: n for status, n in run.statuses.items() if status != 200}
        if others or run.ack_warnings:
            result.figures.append(
                Figure(
                    f"{run.kind}: not a timely 200",
                    f"statuses {dict(others) or 'all 200'}; Bolt 'didn't call ack()' x{run.ack_warnings}",
                )
            )
        result.seen += [f"{run.kind}: {n} x {text}" for text, n in run.warnings.most_common(4)]
        if run.rollbacks:
            result.figures.append(
                Figure(
                    f"{run.kind}: outcome per round",
                    f"rollbacks {run.rollbacks}, refused {run.refused} of {clients}",
                    "1 rollback, the rest refused",
                    all(n == 1 for n in run.rollbacks) and all(n == clients - 1 for n in run.refused),
                )
            )
    result.how += [
        f"one `python app.py` process in HTTP mode; {rounds} round(s) per kind, each a burst of {clients} "
        "signed requests released together from as many threads (bodies built beforehand)",
        "sender's view: time.monotonic() around each HTTP request on the load generator (signed as SlackSender "
        "signs, sent over a new http.client connection); bot's own log: the duration_ms of its access log line "
        "for the same requests (LOG_FORMAT=json), which does not count time queued before a server thread took it",
        f"every WeChat call answered after {latency:g} s (FakeWeChat.set_latency(ANY_CALL)); each burst is "
        "drained (every picker, modal or outcome delivered) before the next",
        "Approve: a fresh request per round, clicked by as many different users",
        "floor: the same bursts of commands with a wrong signature, refused (401) before any listener or database "
        "work: what loopback, the load generator's threads and the bot's HTTP stack cost by themselves here",
    ]
    return result
