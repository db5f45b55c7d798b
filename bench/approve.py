"""The approve path, one click at a time: how many WeChat round trips stand between Approve and what Slack shows.

Every WeChat call answers `latency` seconds late. Per round: a fresh request (opened at full speed), one Approve
click, and, once the verified outcome is shown, one direct rollback call to the fake with the same latency: one
WeChat round trip, the unit of every ratio here, measured in the same run. The moments, all time.monotonic()
across the processes: the click's send (load generator); the rollback call's arrival at the fake WeChat; the
arrival at the fake Slack of the chat.update showing "Rolled back ... (WeChat accepted)", then of the one showing
"Verified: ...". The channel shows what is recorded when its message is updated: when the sweeper held the message
as WeChat accepted and brought it straight to the verified outcome (a busy machine, a short latency), the verified
update is the first to show that WeChat accepted, and counts as both.

The bot's own time is Approve -> verified shown minus the time spent waiting on WeChat: the union of the
intervals (arrival -> answer, at the fake) during which at least one of its WeChat calls was outstanding, so
two calls made together count once.

Targets (issue 11): the rollback reaches WeChat within 1.3 round trips of the click (the two checks before it go
out together); "WeChat accepted" is shown within 2.2, verified within 3.2; the bot's own time under 10%.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from bench.botprocess import bots
from bench.report import Figure, Section
from bench.rig import Database, Fakes, fakes, wait_until
from bench.sender import TimedSender
from bench.stats import ms
from bench.steps import ACCEPTED, VERIFIED, OpenRequest, open_request, update_showing
from bench.wechat_timing import Exchange, direct_round_trip, waiting_seconds
from bot.slack.ids import APPROVE
from tests.fakes.slack import ApiCall, FakeSlack
from tests.fakes.wechat import ANY_CALL

APPROVER = "UBOB"
TO_WECHAT, TO_ACCEPTED, TO_VERIFIED = 1.3, 2.2, 3.2  # at most this many WeChat round trips after the click
OWN_SHARE = 0.10  # the bot's own time, as a share of Approve -> verified shown: under this


@dataclass(frozen=True)
class Round:
    round_trip: float  # one direct rollback call to the fake, same latency: seconds
    to_wechat: float  # seconds from sending Approve to the rollback call's arrival at WeChat
    to_accepted: float  # ... to the chat.update showing WeChat's acceptance arriving at Slack
    to_verified: float  # ... to the chat.update showing the verified outcome
    waiting: float  # of to_verified, the time at least one of the bot's WeChat calls was outstanding
    started: float  # time.monotonic() just before the click was sent
    calls: tuple[Exchange, ...]  # the WeChat calls between the click and the verified outcome

    @property
    def own(self) -> float:
        return self.to_verified - self.waiting

    @property
    def own_share(self) -> float:
        return self.own / self.to_verified


def measure(db: Database, *, rounds: int, latency: float = 2.5) -> list[Round]:
    with fakes() as found, bots(found, db) as (bot,):
        sender = bot.sender(found.slack)
        return [_approve_once(found, sender, number, latency) for number in range(rounds)]


def _approve_once(found: Fakes, sender: TimedSender, number: int, latency: float) -> Round:
    slack, wechat = found.slack, found.wechat
    wechat.release(f"7.{number}.0", "a release to roll back from")
    request = open_request(sender, slack)  # at full speed (the token fetched too): not what is measured
    before = len(wechat.rollback_calls())
    wechat.set_latency(ANY_CALL, latency)
    try:
        click = partial(sender.block_action, APPROVE, str(request.id), APPROVER, request.channel, request.message_ts)
        started = sender.send(sender.prepare(click)).started
        timeout = 60 + 10 * latency
        rollback = wait_until(lambda: wechat.rollback_calls()[before:], timeout, "the rollback call")[0]
        accepted = wait_until(lambda: _accepted_shown(slack, request, started), timeout, "WeChat accepted")
        verified = wait_until(lambda: update_showing(slack, request, VERIFIED, started), timeout, "the verification")
        round_trip = direct_round_trip(wechat)
    finally:
        wechat.set_latency(ANY_CALL, 0)
    calls = wechat.exchanges_between(started, verified.at)
    if not calls:
        raise RuntimeError("the timed fake WeChat recorded no answers: has FakeWeChat._answer been renamed?")
    return Round(
        round_trip=round_trip,
        to_wechat=rollback.at - started,
        to_accepted=accepted.at - started,
        to_verified=verified.at - started,
        waiting=waiting_seconds(calls, started, verified.at),
        started=started,
        calls=tuple(calls),
    )


def _accepted_shown(slack: FakeSlack, request: OpenRequest, started: float) -> ApiCall | None:
    """The first update showing that WeChat accepted: "(WeChat accepted)", or the verified outcome if the
    message went straight to it (see the module's docstring)."""
    return update_showing(slack, request, ACCEPTED, started) or update_showing(slack, request, VERIFIED, started)


def _ratio_figure(name: str, rounds: Sequence[Round], moment: Callable[[Round], float], target: float) -> Figure:
    ratios = [moment(r) / r.round_trip for r in rounds]
    ratio = statistics.median(ratios)
    seconds = statistics.median([moment(r) for r in rounds])
    trip = statistics.median([r.round_trip for r in rounds])
    spread = f", max {max(ratios):.2f}x" if len(ratios) > 1 else ""
    value = f"{ratio:.2f}x one round trip ({ms(seconds * 1000)} / {ms(trip * 1000)}{spread})"
    return Figure(name, value, f"<= {target}x", ratio <= target)


def _sequence(r: Round) -> str:
    """The WeChat calls of one approval, each with its arrival and answer after the click."""

    def after(moment: float) -> str:
        return ms((moment - r.started) * 1000)

    return ", ".join(f"{e.path.rsplit('/', 1)[-1]} {after(e.arrived)}-{after(e.answered)}" for e in r.calls)


def section(rounds: list[Round], *, latency: float) -> Section:
    result = Section(f"The approve path: one Approve click, every WeChat call answering after {latency:g} s")
    own = statistics.median([r.own_share for r in rounds])
    own_ms = statistics.median([r.own * 1000 for r in rounds])
    total_ms = statistics.median([r.to_verified * 1000 for r in rounds])
    waiting_ms = statistics.median([r.waiting * 1000 for r in rounds])
    result.figures += [
        Figure(
            "one WeChat round trip (a direct rollback call)",
            ms(statistics.median([r.round_trip * 1000 for r in rounds])),
        ),
        _ratio_figure("Approve -> the rollback reaches WeChat", rounds, lambda r: r.to_wechat, TO_WECHAT),
        _ratio_figure("Approve -> 'WeChat accepted' shown in Slack", rounds, lambda r: r.to_accepted, TO_ACCEPTED),
        _ratio_figure("Approve -> verified shown in Slack", rounds, lambda r: r.to_verified, TO_VERIFIED),
        Figure(
            "bot's own time, Approve -> verified shown",
            f"{own:.1%} ({ms(own_ms)} of {ms(total_ms)}; waiting on WeChat {ms(waiting_ms)})",
            f"< {OWN_SHARE:.0%}",
            own < OWN_SHARE,
        ),
        Figure("WeChat calls of the last approval (after the click)", _sequence(rounds[-1])),
    ]
    result.how += [
        f"one `python app.py` process; {len(rounds)} round(s) of: a fresh request opened at full speed, one "
        "Approve click, then one direct rollback call (requests.get on the same fake endpoint, same latency); "
        "ratios are per round against that round's direct call, then the median",
        "moments are time.monotonic() across processes: the click's send (load generator), the rollback call's "
        "arrival (FakeWeChat.calls), and the arrival at the fake Slack of the chat.update of the request message "
        f"whose outcome shows {ACCEPTED!r} (or the verified outcome, if the message went straight to it), then "
        f"{VERIFIED!r}",
        "bot's own time: Approve -> verified shown, minus the union of the intervals (arrival -> answer at the fake "
        "WeChat) during which at least one of the bot's WeChat calls was outstanding",
    ]
    return result
