"""Review of issue 17: two mini programs of different languages in one bot, driven side by side (each listener
and each delivery must write in its own program's language, whatever the thread ran before).

Both tests here PASS on the reviewed commit (67a2260): no leak and no held ack found; kept as guards."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.slack.ids import APPROVE, REASON_BLOCK, REASON_INPUT, REASON_VIEW
from bot.web import EVENTS_PATH
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import FakeWeChat
from tests.fakes.wechat_cloud import FakeWeChatCloud
from tests.review.test_review_i18n import english_in
from tests.scenarios.test_several_programs import GAMES, SHOP, _answer, games, shop
from tests.support.flow import click, message_text, version_buttons, wait_posted, wait_verified
from tests.support.harness import SIGNING_SECRET, Clock, RunningBot, bot_env
from tests.support.processes import free_port, start_app, stop, wait_healthy
from tests.support.slack_requests import SlackSender

__all__ = ["games", "shop"]  # the fixtures, used by name

CONFIG = """
[programs.shop]
appid = "wxaa9e86472dc91c8a"
appsecret_env = "SHOP_APPSECRET"
language = "zh"

[programs.games]
appid = "wxddfcab586726c9df"
appsecret_env = "GAMES_APPSECRET"
language = "en"
"""


@pytest.fixture
def two_languages(
    shop: FakeWeChat, games: FakeWeChat, slack: FakeSlack, sqlite_url: str, tmp_path: Path, clock: Clock
) -> Iterator[RunningBot]:
    config = tmp_path / "rollback.toml"
    config.write_text(CONFIG)
    with FakeWeChatCloud(shop, games) as cloud:
        env = {
            "SLACK_BOT_TOKEN": slack.BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": sqlite_url,
            "WECHAT_API_BASE": cloud.base_url,
            "WECHAT_API_FALLBACK": "off",
            "ROLLBACK_CONFIG": str(config),
            "SHOP_APPSECRET": shop.secret,
            "GAMES_APPSECRET": games.secret,
        }
        running = RunningBot(env, slack, clock)
        yield running
        running.stop()


def _ask(bot: RunningBot, slack: FakeSlack, alias: str, channel: str) -> tuple[str, str]:
    """Open the program's picker and the reason modal of its second-newest version; (the modal's metadata, the
    picker's response_url)."""
    _, url = bot.sender.command(alias, user="UALICE", channel=channel)
    button = version_buttons(_answer(slack, url))[0]
    opened = len(slack.calls_to("views.open"))
    _, picker_url = bot.sender.block_action(
        button["action_id"], button["value"], user="UALICE", channel=channel, container_ephemeral=True
    )
    view = slack.wait_for(lambda s: s.calls_to("views.open")[opened:])[0].args["view"]
    return str(view["private_metadata"]), picker_url


def test_a_chinese_and_an_english_program_side_by_side(two_languages: RunningBot, slack: FakeSlack) -> None:
    bot = two_languages
    values = {REASON_BLOCK: {REASON_INPUT: {"type": "plain_text_input", "value": "x"}}}
    shop_meta, shop_url = _ask(bot, slack, "shop", "CSHOP")
    games_meta, games_url = _ask(bot, slack, "games", "CGAMES")
    # Both submitted before either is posted, then both approved before either settles.
    assert bot.sender.view_submission(REASON_VIEW, values, shop_meta, "UALICE").status_code == 200
    assert bot.sender.view_submission(REASON_VIEW, values, games_meta, "UALICE").status_code == 200
    shop_request, games_request = wait_posted(bot, slack, shop_url), wait_posted(bot, slack, games_url)
    assert (shop_request.appid, games_request.appid) == (SHOP, GAMES)
    click(bot, shop_request, APPROVE, "UBOB")
    click(bot, games_request, APPROVE, "UBOB")
    shop_done = wait_verified(bot, slack, shop_request.id, timeout=30)
    games_done = wait_verified(bot, slack, games_request.id, timeout=30)
    shop_text = slack.wait_for(lambda s: "已回滚" in (t := message_text(s, shop_done)) and t)
    games_text = slack.wait_for(lambda s: "Rolled back" in (t := message_text(s, games_done)) and t)
    assert english_in(shop_text.replace(f"{SHOP} first", "").replace(f"{SHOP} stable", "")) == [], shop_text
    assert not any("\u4e00" <= char <= "\u9fff" for char in games_text), games_text
    shop_thread = slack.wait_for(lambda s: ":mag:" in (t := _thread(s, shop_done.message_ts)) and t)
    games_thread = slack.wait_for(lambda s: ":mag:" in (t := _thread(s, games_done.message_ts)) and t)
    assert "已请求微信回滚到" in shop_thread, shop_thread
    assert not any("\u4e00" <= char <= "\u9fff" for char in games_thread), games_thread


def _thread(slack: FakeSlack, ts: str | None) -> str:
    calls = slack.calls_to("chat.postMessage")
    return "\n".join(str(c.args["text"]) for c in calls if ts is not None and c.args.get("thread_ts") == ts)


def test_a_stalled_users_info_does_not_hold_the_acknowledgement(
    slack: FakeSlack, wechat: FakeWeChat, sqlite_url: str, tmp_path: Path
) -> None:
    """USER_LOCALE=true and Slack's users.info stalled (its answer held until the test lets it go): the slash
    command is still acknowledged, in the program's language, while the lookup is outstanding. PASSES on the
    reviewed commit (the lookup gives up after LOOKUP_TIMEOUT, 1 s, and never retries): kept as a guard."""
    slack.add_user("UALICE", locale="zh-CN")
    gate = threading.Event()
    slack.hold_answer_next("users.info", gate)
    port = free_port()
    process = start_app(bot_env(slack, wechat, sqlite_url, PORT=str(port), USER_LOCALE="true"), tmp_path)
    try:
        assert wait_healthy(process, port).status_code == 200
        sender = SlackSender(f"http://127.0.0.1:{port}{EVENTS_PATH}", SIGNING_SECRET, slack)
        response, _url = sender.command("status")
        answered_while_held = not gate.is_set()
        gate.set()
    finally:
        gate.set()
        error = stop(process)
    assert process.returncode == 0, error
    assert response.status_code == 200 and answered_while_held
    assert [call for call in slack.calls_to("users.info") if call.args.get("user") == "UALICE"]
