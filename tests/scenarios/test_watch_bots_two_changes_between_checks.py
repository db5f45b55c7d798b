"""Review of issue 14: the version watch attributes changes to the bot one request at a time. When the bot makes two
changes between two checks (stop the phased release, then roll back, as the picker invites right after the stop),
neither request alone explains the combined difference, and the bot's own work is posted in the notify channel as a
change made outside the bot (and recorded so in the audit chain)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from bot.rollback.model import EventKind
from bot.slack.ids import APPROVE
from bot.store.database import session_factory
from bot.store.models import ReleaseWatchRow
from bot.store.watch_store import WatchStore
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.records import ApiCall
from tests.fakes.wechat import FakeWeChat
from tests.scenarios.test_stop_phased_release import ask_to_stop
from tests.support.flow import click, request_rollback, wait_verified
from tests.support.harness import Clock, RunningBot, bot_env

WATCH = "CWATCH"


class Ticking(Clock):
    """The real time, as the watch's own clock is."""

    def __call__(self) -> datetime:
        return datetime.now(UTC)


def _checked(watched: WatchStore, appid: str) -> datetime | None:
    seen = watched.get(appid)
    return None if seen is None else seen.checked_at


def _notices(slack: FakeSlack) -> list[ApiCall]:
    return [c for c in slack.calls_to("chat.postMessage") if c.args.get("channel") == WATCH and c.response.get("ok")]


def _check_now(bot: RunningBot, appid: str) -> None:
    """Make the next check due at once (the interval is an hour: no check falls between the bot's two changes)."""
    with bot.runtime.engine.begin() as connection:
        connection.execute(
            update(ReleaseWatchRow)
            .where(ReleaseWatchRow.appid == appid)
            .values(next_check_at=datetime.now(UTC) - timedelta(seconds=1))
        )


def test_the_bots_stop_then_rollback_between_two_checks_is_not_posted_as_a_change_made_outside_it(
    slack: FakeSlack, wechat: FakeWeChat, database_url: str
) -> None:
    wechat.start_phased_release("1.3.0", 5)
    env = bot_env(slack, wechat, database_url, VERSION_WATCH_SECONDS="3600", NOTIFY_CHANNEL_ID=WATCH)
    bot = RunningBot(env, slack, Ticking())
    try:
        watched = WatchStore(session_factory(bot.runtime.engine))
        first = slack.wait_for(lambda _: _checked(watched, wechat.APPID), 30)  # 1.2.0 online, the plan running

        stop_id = ask_to_stop(bot, slack)
        stop_request = bot.workflow.get(stop_id)
        assert stop_request is not None
        click(bot, stop_request, APPROVE, "UBOB")
        wait_verified(bot, slack, stop_id)
        rollback = request_rollback(bot, slack, "1.1.0")
        click(bot, rollback, APPROVE, "UBOB")
        wait_verified(bot, slack, rollback.id)

        _check_now(bot, wechat.APPID)
        slack.wait_for(lambda _: (_checked(watched, wechat.APPID) or first) > first, 30)
        seen = watched.get(wechat.APPID)
    finally:
        bot.stop()
    assert seen is not None
    outside = [e.detail for e in watched.outside_events(wechat.APPID) if e.kind is EventKind.CHANGED_OUTSIDE]
    posted = [call.args["text"] for call in _notices(slack)]
    # Both changes were the bot's own, approved and verified in Slack: nothing was changed outside it.
    assert outside == [] and posted == [], (outside, posted, seen.last_change)
