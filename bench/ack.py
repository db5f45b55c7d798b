"""Ack latency: how long Slack waits for the bot's HTTP answer, with 50 requests at once while WeChat is slow.

Slack gives up after 3000 ms; the target is a p99 under 100 ms on loopback. Two kinds of request, each sent as
bursts of `clients` signed requests released together from as many threads:
- the slash command (each one then asks WeChat three things, every answer `latency` seconds late);
- a version button in the picker (opens the reason modal; no WeChat call);
beside the floor: the same bursts badly signed, refused before any listener. Approve, 50 people on one request,
is measured by bench/storm.py against a floor of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from bench.botprocess import BotProcess, bots
from bench.bursts import FLOOR, AckRun, drain_timeout, floor_burst, serve
from bench.loadgen import Timing
from bench.report import Figure, Section
from bench.rig import Database, Fakes, fakes
from bench.sender import TimedSender
from bench.steps import CHANNEL, open_picker, pickers_answered, version_buttons
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import ANY_CALL

TARGET_MS = 100.0
KINDS = ("floor", "command", "version")


def measure(
    db: Database, *, rounds: int, clients: int = 50, latency: float = 2.5, kinds: Sequence[str] = KINDS
) -> list[AckRun]:
    """`kinds`: a subset of KINDS, measured in that order."""
    with fakes() as found, bots(found, db) as (bot,):
        sender = bot.sender(found.slack)
        picker = open_picker(sender, found.slack)  # warm-up: the token is fetched, the code paths loaded
        floor_burst(AckRun("warm-up"), sender, clients)  # the load generator's process and the bot's server threads
        measured = {
            "floor": lambda: _floor(sender, rounds, clients),
            "command": lambda: _commands(found, bot, sender, rounds, clients, latency),
            "version": lambda: _version_clicks(found, bot, sender, picker, rounds, clients, latency),
        }
        return [measured[kind]() for kind in KINDS if kind in kinds]


def _floor(sender: TimedSender, rounds: int, clients: int) -> AckRun:
    run = AckRun(FLOOR)
    for _ in range(rounds):
        floor_burst(run, sender, clients)
    return run


def _commands(found: Fakes, bot: BotProcess, sender: TimedSender, rounds: int, clients: int, latency: float) -> AckRun:
    run = AckRun("slash command")
    found.wechat.set_latency(ANY_CALL, latency)
    for _ in range(rounds):
        prepared = [sender.prepare(partial(sender.command, "", f"UCMD{n:02d}", CHANNEL)) for n in range(clients)]
        urls = [p.response_url for p in prepared]
        # Every command's version list arrives before the next burst: rounds do not pile up.
        answered = partial(_pickers_answered, found.slack, urls)
        serve(run, bot, sender, prepared, answered, drain_timeout(clients, latency, 3))
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
        serve(run, bot, sender, prepared, partial(_modals_opened, found.slack, opened + clients), 60)
    found.wechat.set_latency(ANY_CALL, 0)
    return run


def _modals_opened(slack: FakeSlack, expected: int, _: list[Timing]) -> bool:
    return len(slack.calls_to("views.open")) >= expected


def ack_figures(run: AckRun) -> list[Figure]:
    """The ack of one kind of request against the fixed target, and whether each got a timely 200."""
    client = run.client
    figures = [
        Figure(
            f"{run.kind}: ack, sender's view",
            str(client),
            f"p99 < {TARGET_MS:.0f} ms (Slack: 3000)",
            client.p99 < TARGET_MS,
        ),
        Figure(f"{run.kind}: ack, bot's own log", str(run.server)),
    ]
    figures += timely(run)
    return figures


def timely(run: AckRun) -> list[Figure]:
    others = {status: n for status, n in run.statuses.items() if status != 200}
    if not others and not run.ack_warnings:
        return []
    words = f"statuses {dict(others) or 'all 200'}; Bolt 'didn't call ack()' x{run.ack_warnings}"
    return [Figure(f"{run.kind}: not a timely 200", words)]


def floor_figure(run: AckRun) -> Figure:
    statuses = ", ".join(f"{status} x{n}" for status, n in sorted(run.statuses.items()))
    return Figure(f"{run.kind}: refusal, sender's view", f"{run.client} ({statuses})")


def section(runs: list[AckRun], *, rounds: int, clients: int, latency: float) -> Section:
    result = Section(f"Ack latency: {clients} concurrent requests, WeChat answering after {latency:g} s")
    for run in runs:
        result.figures += [floor_figure(run)] if run.kind == FLOOR else ack_figures(run)
        result.seen += [f"{run.kind}: {n} x {text}" for text, n in run.warnings.most_common(4)]
    result.how += [
        f"one `python app.py` process in HTTP mode; {rounds} round(s) per kind, each a burst of {clients} "
        "signed requests released together from as many threads (bodies built beforehand)",
        "sender's view: time.monotonic() around each HTTP request, signed as SlackSender signs and sent over a new "
        "http.client connection from the load generator's own process (bench/loadgen.py), so the fakes' work "
        "does not delay the timing; bot's own log: the duration_ms of its access log line for the same requests "
        "(LOG_FORMAT=json), which does not count time queued before a server thread took it",
        f"every WeChat call answered after {latency:g} s (FakeWeChat.set_latency(ANY_CALL)); each burst is "
        "drained (every picker or modal delivered) before the next",
        "floor: the same bursts of commands with a wrong signature, refused (401) before any listener or database "
        "work: what loopback, the load generator's threads and the bot's HTTP stack cost by themselves here",
    ]
    return result
