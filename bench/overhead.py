"""The bot's overhead on an approved rollback, against calling the same fake endpoint directly.

One Approve click on an open request; the times that matter are when the rollback call reaches WeChat and when
the chat.update showing the outcome reaches Slack, both from just before the click was sent. The baseline is
one direct rollback call to the same fake endpoint, with the same latency, in the same run.

Two settings:
(a) only the rollback call is slow: the reads around it (online version before, phased-release plan, online
    version after, to verify) are fast, so the ratio is the bot's own overhead; target under 1.1.
(b) every WeChat call is slow: what the safety reads cost when WeChat itself is slow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from bench.report import Figure, Section
from bench.rig import (
    Database,
    Fakes,
    TimedSender,
    bots,
    direct_rollback_seconds,
    fakes,
    final_update,
    open_request,
    wait_until,
)
from bench.stats import median, ms
from bot.slack.ids import APPROVE
from tests.fakes.wechat import ANY_CALL, REVERT

TARGET_RATIO = 1.1


@dataclass(frozen=True)
class Round:
    to_wechat: float  # seconds from sending Approve to the rollback call arriving at WeChat
    to_update: float  # ... to the chat.update showing the outcome arriving at Slack
    direct: float  # one direct rollback call, same endpoint and latency
    outcome: str  # the final message's text

    @property
    def ratio(self) -> float:
        return self.to_update / self.direct


@dataclass
class Setting:
    name: str
    slow: str  # the latency key: REVERT (the rollback only) or ANY_CALL (every call)
    rounds: list[Round] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return median([r.ratio for r in self.rounds])


def measure(db: Database, *, rounds: int, latency: float = 2.5) -> list[Setting]:
    settings = [Setting("(a) rollback slow, reads fast", REVERT), Setting("(b) every WeChat call slow", ANY_CALL)]
    with fakes() as found, bots(found, db) as (bot,):
        sender = bot.sender(found.slack)
        for index, setting in enumerate(settings):
            for number in range(rounds):
                found.wechat.release(f"7.{index}.{number}", "a release to roll back from")
                setting.rounds.append(_approve_once(found, sender, setting.slow, latency))
    return settings


def _approve_once(found: Fakes, sender: TimedSender, slow: str, latency: float) -> Round:
    slack, wechat = found.slack, found.wechat
    request = open_request(sender, slack)  # at full speed: not what is measured
    before = len(wechat.rollback_calls())
    wechat.set_latency(slow, latency)
    try:
        prepared = sender.prepare(
            partial(sender.block_action, APPROVE, str(request.id), "UBOB", request.channel, request.message_ts)
        )
        started = sender.send(prepared).started
        timeout = 60 + 10 * latency
        rollback = wait_until(lambda: wechat.rollback_calls()[before:], timeout, "the rollback call")[0]
        update = wait_until(lambda: final_update(slack, request, rollback.at), timeout, "the outcome")
        direct = direct_rollback_seconds(wechat)
    finally:
        wechat.set_latency(slow, 0)
    return Round(rollback.at - started, update.at - started, direct, str(update.args.get("text") or ""))


def section(settings: list[Setting], *, rounds: int, latency: float) -> Section:
    result = Section(f"Approved rollback: overhead against a direct call ({latency:g} s WeChat latency)")
    for setting in settings:
        to_wechat = median([r.to_wechat * 1000 for r in setting.rounds])
        to_update = median([r.to_update * 1000 for r in setting.rounds])
        direct = median([r.direct * 1000 for r in setting.rounds])
        is_a = setting.slow == REVERT
        result.figures += [
            Figure(f"{setting.name}: Approve -> rollback reaches WeChat", ms(to_wechat)),
            Figure(f"{setting.name}: Approve -> outcome shown in Slack", ms(to_update)),
            Figure(f"{setting.name}: direct rollback call", ms(direct)),
            Figure(
                f"{setting.name}: ratio (outcome shown / direct)",
                f"{setting.ratio:.3f} (bot's own time {ms(to_update - direct)})",
                f"< {TARGET_RATIO}" if is_a else "",
                setting.ratio < TARGET_RATIO if is_a else None,
            ),
        ]
        outcomes = {r.outcome.split(" (", 1)[0] for r in setting.rounds}
        if any("Rolled back" not in outcome for outcome in outcomes):
            result.figures.append(Figure(f"{setting.name}: outcomes", "; ".join(sorted(outcomes))))
    result.how += [
        f"one `python app.py` process; per setting {rounds} round(s) of: a fresh request, one Approve click, then "
        "one direct rollback call (requests.get on the same fake endpoint); medians",
        "times are time.monotonic() across processes: the click's send time (load generator), the rollback call's "
        "arrival (FakeWeChat.calls) and the final chat.update's arrival (FakeSlack ApiCall.at)",
        "(a) FakeWeChat.set_latency(REVERT) delays the rollback only; (b) set_latency(ANY_CALL) delays every call, "
        "so the version check before, the phased-release check and the verification read after each cost it too",
    ]
    return result
