"""Review of issue 14: a notice whose answer Slack lost is looked for in the notify channel's history before any
repost. The manifest grants chat:write.public, so the bot may post to a public notify channel it is not a member of;
conversations.history there answers `not_in_channel` (the fake models chat:write.public: tests/fakes/slack/channels.py).
The lookup then fails at every try, the notice stays in doubt, and since notices go out in
order every later change of that mini program waits behind it: the channel hears nothing for a day."""

from __future__ import annotations

from datetime import datetime

from bot.store.database import session_factory
from bot.store.watch_store import WatchStore
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.records import ApiCall
from tests.fakes.wechat import FakeWeChat
from tests.support.harness import Clock, RunningBot, bot_env

WATCH = "CWATCH"
PATIENCE = 60.0


def _posts(slack: FakeSlack) -> list[ApiCall]:
    return [c for c in slack.calls_to("chat.postMessage") if c.args.get("channel") == WATCH and c.response.get("ok")]


def _checked(watched: WatchStore, appid: str) -> datetime | None:
    seen = watched.get(appid)
    return None if seen is None else seen.checked_at


def _checks(slack: FakeSlack, watched: WatchStore, appid: str, count: int) -> None:
    for _ in range(count):
        before = _checked(watched, appid)
        slack.wait_for(
            lambda _: (lambda now: now is not None and (before is None or now > before))(  # noqa: B023
                _checked(watched, appid)
            ),
            PATIENCE,
        )


def _last_change(watched: WatchStore, appid: str) -> str:
    seen = watched.get(appid)
    return "" if seen is None else seen.last_change or ""


def _history_lookups(slack: FakeSlack) -> list[ApiCall]:
    return [c for c in slack.calls_to("conversations.history") if c.args.get("channel") == WATCH]


def test_a_notice_in_doubt_whose_lookup_slack_refuses_does_not_hold_back_later_notices(
    slack: FakeSlack, wechat: FakeWeChat, database_url: str, clock: Clock
) -> None:
    env = bot_env(
        slack, wechat, database_url, VERSION_WATCH_SECONDS="1", NOTIFY_CHANNEL_ID=WATCH, APPROVAL_LEASE_SECONDS="5"
    )
    running = RunningBot(env, slack, clock)
    try:
        watched = WatchStore(session_factory(running.runtime.engine))
        _checks(slack, watched, wechat.APPID, 1)
        slack.add_channel(WATCH, "public", bot_member=False)  # posts go in (chat:write.public); reads are refused
        slack.lose_answer_next("chat.postMessage")  # posted; the answer is lost
        wechat.release("1.3.0")
        slack.wait_for(_posts, PATIENCE)
        slack.wait_for(_history_lookups, PATIENCE)  # the bot looked for it, and was refused

        wechat.release("1.4.0", "a second console release")
        slack.wait_for(lambda _: "released 1.4.0" in _last_change(watched, wechat.APPID), PATIENCE)
        _checks(slack, watched, wechat.APPID, 3)
        waiting = [notice.text for notice in watched.waiting_notices(wechat.APPID)]
    finally:
        running.stop()
    texts = [call.args["text"] for call in _posts(slack)]
    assert any("released 1.4.0" in text for text in texts), (texts, waiting)
