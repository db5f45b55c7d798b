"""The version watch racing the bot's own rollback: a rollback that finishes while the watch is reading WeChat
is the bot's, not a change made outside it (found by a review of issue 14)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from bot.slack.ids import APPROVE
from bot.store.database import session_factory
from bot.store.watch_store import WatchStore
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.records import ApiCall
from tests.fakes.wechat import GRAY_PLAN, FakeWeChat, Fault
from tests.support.flow import click, request_rollback, wait_verified
from tests.support.harness import Clock, RunningBot, bot_env

WATCH = "CWATCH"


class Ticking(Clock):
    """The real time, as the watch's own clock is: the race is between the watch's reading and the rollback's
    finishing, both in real time (a test clock standing still would put every rollback before every reading)."""

    def __call__(self) -> datetime:
        return datetime.now(UTC)


def _checked(watched: WatchStore, appid: str) -> datetime | None:
    seen = watched.get(appid)
    return None if seen is None else seen.checked_at


def _wait_next_check(slack: FakeSlack, watched: WatchStore, appid: str) -> datetime:
    before = _checked(watched, appid)
    return slack.wait_for(
        lambda _: (lambda now: now if now and (before is None or now > before) else None)(_checked(watched, appid)), 30
    )


def _notices(slack: FakeSlack) -> list[ApiCall]:
    return [c for c in slack.calls_to("chat.postMessage") if c.args.get("channel") == WATCH and c.response.get("ok")]


def test_the_bots_own_rollback_finishing_during_a_watch_read_is_not_a_change_made_outside_it(
    slack: FakeSlack, wechat: FakeWeChat, database_url: str
) -> None:
    env = bot_env(slack, wechat, database_url, VERSION_WATCH_SECONDS="1", NOTIFY_CHANNEL_ID=WATCH)
    bot = RunningBot(env, slack, Ticking())
    hold = threading.Event()
    try:
        watched = WatchStore(session_factory(bot.runtime.engine))
        _wait_next_check(slack, watched, wechat.APPID)
        reads = len(wechat.calls_to(GRAY_PLAN))
        wechat.fail_next(GRAY_PLAN, Fault(hold=hold))  # the watch's next read of the plan answers late
        slack.wait_for(lambda _: len(wechat.calls_to(GRAY_PLAN)) > reads, 30)  # it has read 1.2.0 online
        rollback = request_rollback(bot, slack, "1.1.0")
        click(bot, rollback, APPROVE, "UBOB")
        wait_verified(bot, slack, rollback.id)
        hold.set()
        _wait_next_check(slack, watched, wechat.APPID)  # the held reading recorded (1.2.0 online)
        seen = slack.wait_for(
            lambda _: (lambda w: w if w and w.last_change and w.notice is None else None)(watched.get(wechat.APPID)), 30
        )
    finally:
        hold.set()
        bot.stop()
    assert "by the bot" in (seen.last_change or ""), seen.last_change
    assert _notices(slack) == [], [call.args["text"] for call in _notices(slack)]
