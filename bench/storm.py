"""Fifty people press Approve on one request at once (fifty different users), every WeChat call `latency` late.

Per round, in one bot process: a fresh request opened at full speed, a floor burst (the round's Approve clicks
badly signed, refused before any listener), then the Approve clicks released together. Each round is
drained (every loser told, the verified outcome shown) before the next.

Targets (issue 11), per round: exactly one rollback reaches WeChat; at most 3 WeChat reads for the approval
(getversioninfo and getgrayreleaseplan calls arriving from the first click on: the winner's two checks, made
together, and its read-back); every loser told "already approved" without waiting for WeChat, that is before the
winner's rollback even reaches WeChat; and over the rounds, the Approve ack's p99 at most 1.5 times the floor's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from bench.ack import floor_figure, timely
from bench.botprocess import BotProcess, bots
from bench.bursts import AckRun, drain_timeout, floor_burst, serve
from bench.loadgen import Timing
from bench.report import Figure, Section
from bench.rig import Database, Fakes, fakes, wait_until
from bench.sender import TimedSender
from bench.stats import median, ms
from bench.steps import VERIFIED, open_request, update_showing
from bot.slack.ids import APPROVE
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import ANY_CALL

MAX_READS = 3
ACK_OVER_FLOOR = 1.5  # the Approve ack's p99, at most this many times the floor's p99
# The floor is the round's own clicks, badly signed: the same bytes cross loopback, the HTTP server and Bolt's
# parsing and are refused at the signature. A slash command's body is a tenth of a click's (which carries the
# request message with its blocks), so a floor of commands would count the size of Slack's payload as the bot's.
CLICK_FLOOR = "badly signed Approve click (floor)"
ALREADY_APPROVED = "already approved"  # what a losing click is told (bot/slack/messages/notices.py)


@dataclass(frozen=True)
class StormRound:
    rollbacks: int  # rollback calls that reached WeChat
    reads: int  # getversioninfo and getgrayreleaseplan calls that reached WeChat
    losers_told: int  # clicks answered "already approved"
    other_notices: tuple[str, ...]  # anything else a click was told
    last_notice: float  # seconds from the first click's send to the last "already approved" reaching Slack
    rollback_at: float  # ... to the rollback call's arrival at WeChat (nan: none)


@dataclass
class Storm:
    clients: int
    floor: AckRun = field(default_factory=lambda: AckRun(CLICK_FLOOR))
    approve: AckRun = field(default_factory=lambda: AckRun("Approve click"))
    rounds: list[StormRound] = field(default_factory=list)
    floor_cpu: list[float] = field(default_factory=list)  # the bot's CPU seconds per floor burst
    approve_cpu: list[float] = field(default_factory=list)  # ... per storm, from the clicks to the last loser told

    @property
    def ack_over_floor(self) -> float:
        return self.approve.client.p99 / self.floor.client.p99


def measure(db: Database, *, rounds: int, clients: int = 50, latency: float = 2.5) -> Storm:
    storm = Storm(clients)
    with fakes() as found, bots(found, db) as (bot,):
        sender = bot.sender(found.slack)
        floor_burst(AckRun("warm-up"), sender, clients)  # the load generator's process and the bot's server threads
        for number in range(rounds):
            storm.rounds.append(_storm_once(storm, found, bot, sender, number, latency))
    return storm


def _storm_once(
    storm: Storm, found: Fakes, bot: BotProcess, sender: TimedSender, number: int, latency: float
) -> StormRound:
    slack, wechat = found.slack, found.wechat
    wechat.release(f"5.{number}.0", "a release to roll back from")
    request = open_request(sender, slack)  # at full speed (the token fetched too): not what is measured
    click = partial(sender.block_action, APPROVE, str(request.id), channel=request.channel,
                    message_ts=request.message_ts)  # fmt: skip
    prepared = [sender.prepare(partial(click, f"UAPPROVER{n:02d}")) for n in range(storm.clients)]
    urls = [p.response_url for p in prepared]
    cpu = bot.cpu_seconds()
    floor_burst(storm.floor, sender, storm.clients, prepared)  # the same bytes, refused at the signature
    storm.floor_cpu.append(bot.cpu_seconds() - cpu)
    rollbacks_before = len(wechat.rollback_calls())
    wechat.set_latency(ANY_CALL, latency)
    try:
        cpu = bot.cpu_seconds()
        everyone_told = partial(_losers_told, slack, urls)
        timings = serve(storm.approve, bot, sender, prepared, everyone_told, drain_timeout(storm.clients, latency, 4))
        storm.approve_cpu.append(bot.cpu_seconds() - cpu)
        first = min(t.started for t in timings)
        verified = partial(update_showing, slack, request, VERIFIED, first)
        wait_until(verified, drain_timeout(storm.clients, latency, 4), "the verified outcome")
    finally:
        wechat.set_latency(ANY_CALL, 0)
    rollbacks = wechat.rollback_calls()[rollbacks_before:]
    told = [post for url in urls for post in slack.posts_to(url)]
    texts = [(post, str(post.body.get("text", ""))) for post in told]
    losers = [post for post, text in texts if ALREADY_APPROVED in text]
    others = tuple(text[:120] for _, text in texts if ALREADY_APPROVED not in text)
    return StormRound(
        rollbacks=len(rollbacks),
        reads=wechat.reads_since(first),
        losers_told=len(losers),
        other_notices=others,
        last_notice=max((post.at for post in losers), default=float("nan")) - first,
        rollback_at=(rollbacks[0].at - first) if rollbacks else float("nan"),
    )


def _losers_told(slack: FakeSlack, urls: list[str], _: list[Timing]) -> bool:
    """Everyone but the winner was told something."""
    return sum(1 for url in urls if slack.posts_to(url)) >= len(urls) - 1


def section(storm: Storm, *, latency: float) -> Section:
    rounds, losers = storm.rounds, storm.clients - 1
    result = Section(
        f"{storm.clients} people press Approve on one request at once, WeChat answering after {latency:g} s"
    )
    margins = [r.rollback_at - r.last_notice for r in rounds]
    result.figures += [
        Figure(
            "rollbacks per round",
            str([r.rollbacks for r in rounds]),
            "exactly 1",
            all(r.rollbacks == 1 for r in rounds),
        ),
        Figure(
            "WeChat reads per round (getversioninfo + getgrayreleaseplan after the clicks)",
            str([r.reads for r in rounds]),
            f"<= {MAX_READS}",
            all(r.reads <= MAX_READS for r in rounds),
        ),
        Figure(
            "losers told 'already approved', per round",
            f"{[r.losers_told for r in rounds]} of {losers}",
            f"all {losers}",
            all(r.losers_told == losers for r in rounds),
        ),
        Figure(
            "last loser's notice -> the rollback reaches WeChat",
            f"{ms(min(margins) * 1000)} before it (last notice "
            f"{', '.join(ms(r.last_notice * 1000) for r in rounds)} after the clicks; rollback "
            f"{', '.join(ms(r.rollback_at * 1000) for r in rounds)})",
            "every notice first",
            all(margin > 0 for margin in margins),
        ),
        floor_figure(storm.floor),
        Figure(f"{storm.approve.kind}: ack, sender's view", str(storm.approve.client)),
        Figure(f"{storm.approve.kind}: ack, bot's own log", str(storm.approve.server)),
        Figure(
            "the bot's CPU time per request",
            f"Approve click {ms(median(storm.approve_cpu) * 1000 / storm.clients)} (from the clicks to the last "
            f"loser told); badly signed {ms(median(storm.floor_cpu) * 1000 / storm.clients)} (medians per burst)",
        ),
        Figure(
            "Approve ack p99 / floor p99",
            f"{storm.ack_over_floor:.2f}x ({ms(storm.approve.client.p99)} / {ms(storm.floor.client.p99)})",
            f"<= {ACK_OVER_FLOOR}x",
            storm.ack_over_floor <= ACK_OVER_FLOOR,
        ),
        *timely(storm.approve),
    ]
    others = sorted({text for r in rounds for text in r.other_notices})
    if others:
        result.figures.append(Figure("clicks told something else", "; ".join(others)))
    result.seen += [f"Approve: {n} x {text}" for text, n in storm.approve.warnings.most_common(4)]
    result.how += [
        f"one `python app.py` process; {len(rounds)} round(s) of: a fresh request (opened at full speed), a burst of "
        f"its {storm.clients} Approve clicks badly signed (the floor: the same bytes), then the {storm.clients} "
        "clicks by as many users, released together from as many threads; each round drained before the next",
        "reads: calls to /wxa/getversioninfo and /wxa/getgrayreleaseplan arriving at the fake WeChat from the first "
        "click's send until the verified outcome was shown and every loser answered",
        "notices: the ephemeral answers posted to each click's response_url, timed on arrival at the fake Slack; "
        "the rollback: its arrival at the fake WeChat (both time.monotonic() in the benchmark process)",
        "acks: time.monotonic() around each HTTP request, sent from the load generator's own process; the floor's "
        "requests are refused (401) before any listener or database work, so the ratio leaves out what the machine "
        "costs by itself; CPU: utime + stime of the bot process (/proc/<pid>/stat, 10 ms ticks) around each burst",
    ]
    return result
