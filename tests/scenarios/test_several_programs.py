"""Several mini programs from a configuration file: each with its own WeChat app, token, policy and channels."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.rollback.model import Event, EventKind, NewRequest, Refusal, RollbackRequest, State, Target
from bot.slack.ids import APPROVE, REASON_BLOCK, REASON_INPUT, REASON_VIEW
from bot.slack.messages.notices import refusal_notice
from bot.store.database import session_factory
from bot.store.request_store import RequestStore
from bot.web import READY_PATH
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import FakeWeChat, Fault
from tests.fakes.wechat_cloud import FakeWeChatCloud
from tests.scenarios.test_status_and_history import _open_home
from tests.support.flow import click, ephemeral_text, message_text, version_buttons, wait_posted, wait_verified
from tests.support.harness import SIGNING_SECRET, Clock, RunningBot

SHOP, GAMES = "wxaa9e86472dc91c8a", "wxddfcab586726c9df"
CONFIG = """
[defaults]
approval_ttl_seconds = 600

[programs.shop]
appid = "wxaa9e86472dc91c8a"
appsecret_env = "SHOP_APPSECRET"
channels = ["CSHOP", "CINCIDENT"]

[programs.games]
appid = "wxddfcab586726c9df"
appsecret_env = "GAMES_APPSECRET"
approvers = ["UGAMEOPS"]
"""


def _app(appid: str, secret: str, newest: str) -> FakeWeChat:
    app = FakeWeChat(appid=appid, secret=secret).start()
    app.release("1.0.0", f"{appid} first", 1_690_000_000)
    app.release("1.1.0", f"{appid} stable", 1_700_000_000)
    app.release(newest, f"{appid} newest", 1_710_000_000)
    return app


@pytest.fixture
def shop() -> Iterator[FakeWeChat]:
    app = _app(SHOP, "shop-secret-0123456789", "1.2.0")
    yield app
    app.stop()


@pytest.fixture
def games() -> Iterator[FakeWeChat]:
    app = _app(GAMES, "games-secret-0123456789", "3.0.0")
    yield app
    app.stop()


@pytest.fixture
def several(
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


def _answer(slack: FakeSlack, response_url: str) -> dict[str, Any]:
    return slack.wait_for(lambda s: [p for p in s.posts_to(response_url) if p.body.get("blocks")])[-1].body


def _texts(message: dict[str, Any]) -> str:
    return " ".join(
        [message.get("text", "")] + [block.get("text", {}).get("text", "") for block in message.get("blocks", [])]
    )


def _request(
    bot: RunningBot, slack: FakeSlack, picker: dict[str, Any], version: str, user: str, channel: str
) -> tuple[dict[str, Any], RollbackRequest]:
    button = next(b for b in version_buttons(picker) if b["text"]["text"] == f"Roll back to {version}")
    opened = len(slack.calls_to("views.open"))
    _, picker_url = bot.sender.block_action(
        button["action_id"], button["value"], user=user, channel=channel, container_ephemeral=True
    )
    view = slack.wait_for(lambda s: s.calls_to("views.open")[opened:])[0].args["view"]
    values = {REASON_BLOCK: {REASON_INPUT: {"type": "plain_text_input", "value": "login broken"}}}
    assert bot.sender.view_submission(REASON_VIEW, values, view["private_metadata"], user).status_code == 200
    return view, wait_posted(bot, slack, picker_url)


def test_no_name_offers_each_program_allowed_here_as_a_button(
    several: RunningBot, slack: FakeSlack, shop: FakeWeChat, games: FakeWeChat
) -> None:
    response, _ = several.sender.command("", channel="CINCIDENT")
    chooser = response.json()
    buttons = [block["accessory"] for block in chooser["blocks"] if "accessory" in block]
    assert [b["value"] for b in buttons] == [f"pick:{SHOP}", f"pick:{GAMES}"]
    assert shop.calls == [] and games.calls == []  # choosing asks WeChat nothing

    _, url = several.sender.block_action(
        buttons[1]["action_id"], buttons[1]["value"], user="UALICE", container_ephemeral=True
    )
    picker = _answer(slack, url)
    assert "games" in _texts(picker) and GAMES in _texts(picker)
    assert [b["value"] for b in version_buttons(picker)] == [f"{GAMES}:{v.app_version}" for v in games.history]
    assert shop.calls_to("/wxa/revertcoderelease") == []


def test_a_channel_where_only_one_program_is_allowed_goes_straight_to_its_picker(
    several: RunningBot, slack: FakeSlack
) -> None:
    _, url = several.sender.command("", channel="COTHER")  # shop is limited to CSHOP and CINCIDENT
    assert GAMES in _texts(_answer(slack, url))
    refused, _ = several.sender.command("shop", channel="COTHER")
    assert "requested only in <#CINCIDENT>, <#CSHOP>" in refused.json()["text"]


def test_each_program_rolls_back_its_own_app_under_its_own_policy(
    several: RunningBot, slack: FakeSlack, shop: FakeWeChat, games: FakeWeChat
) -> None:
    _, url = several.sender.command("shop", user="UALICE")
    _, shop_request = _request(several, slack, _answer(slack, url), "1.1.0", "UALICE", "CINCIDENT")
    _, url = several.sender.command("GAMES", user="UALICE")  # aliases ignore case
    _, games_request = _request(several, slack, _answer(slack, url), "1.1.0", "UALICE", "CINCIDENT")
    assert (shop_request.appid, games_request.appid) == (SHOP, GAMES)  # one open request per program, not in all
    assert f"Mini program `shop ({SHOP})`" in message_text(slack, shop_request)  # the channel knows it by name

    refused_url = click(several, games_request, APPROVE, "UBOB")  # games: only UGAMEOPS approves
    assert refusal_notice(Refusal.NOT_APPROVER, games_request) in ephemeral_text(slack, refused_url)
    click(several, shop_request, APPROVE, "UBOB")  # shop: anyone but the requester
    assert wait_verified(several, slack, shop_request.id).state is State.SUCCEEDED
    assert [c.query["app_version"] for c in shop.rollback_calls()] == [str(shop_request.target.app_version)]
    assert games.rollback_calls() == []

    click(several, games_request, APPROVE, "UGAMEOPS")
    wait_verified(several, slack, games_request.id)
    assert len(games.rollback_calls()) == 1 and len(shop.rollback_calls()) == 1
    assert games.online is not None and games.online.user_version == "1.1.0"


def test_status_and_history_take_a_name_or_offer_the_choice(several: RunningBot, slack: FakeSlack) -> None:
    chooser = several.sender.command("status")[0].json()
    assert [b["accessory"]["value"] for b in chooser["blocks"] if "accessory" in b] == [
        f"status:{SHOP}",
        f"status:{GAMES}",
    ]
    _, url = several.sender.command("status games")
    assert "games" in _texts(_answer(slack, url)) and "3.0.0" in _texts(_answer(slack, url))
    _, url = several.sender.command("shop history")
    assert "No rollback requests for `shop (wxaa9e86472dc91c8a)` yet" in _texts(_answer(slack, url))


def test_an_unknown_name_lists_the_programs(several: RunningBot) -> None:
    text = several.sender.command("payments")[0].json()["text"]
    assert text == "I don't know the mini program `payments`: this bot manages `shop`, `games`."


def test_readyz_reports_each_programs_token(several: RunningBot, slack: FakeSlack) -> None:
    assert requests.get(several.url + READY_PATH, timeout=10).json()["wechat_tokens"] == {
        "shop": "none yet",
        "games": "none yet",
    }
    _, url = several.sender.command("games")
    _answer(slack, url)
    tokens = requests.get(several.url + READY_PATH, timeout=10).json()["wechat_tokens"]
    assert tokens == {"shop": "none yet", "games": "fresh"}


def test_app_home_shows_every_program_even_when_one_fails(
    several: RunningBot, slack: FakeSlack, games: FakeWeChat
) -> None:
    for _ in range(5):  # more than the client's retries of a read
        games.fail_next("/wxa/getversioninfo", Fault(errcode=-1))  # WeChat's "system busy", for games only
    _open_home(several, "UALICE")
    view = slack.wait_for(lambda s: s.calls_to("views.publish"))[-1].args["view"]
    text = " ".join(str(block.get("text", {}).get("text", "")) for block in view["blocks"])
    assert "*Mini program `shop (wxaa9e86472dc91c8a)`*" in text and "*Online* *1.2.0*" in text
    assert "*Mini program `games (wxddfcab586726c9df)`*" in text and "No rollback requests for `games" in text
    assert "WeChat reported a system error" in text  # why games shows no status


def test_a_pending_request_of_a_program_taken_out_of_the_file_still_expires(
    several: RunningBot, slack: FakeSlack, clock: Clock
) -> None:
    store = RequestStore(session_factory(several.runtime.engine))
    now = clock()
    orphan = store.create(
        NewRequest(
            appid="wx4feb4d5a03d90b50",  # configured when it was requested, not any more
            channel_id="CINCIDENT",
            requester_id="UALICE",
            reason="login broken",
            online_version="2.0.0",
            target=Target(101, "1.9.0", "", 1_700_000_000),
            created_at=now,
            expires_at=now + timedelta(seconds=300),
        ),
        Event(EventKind.REQUESTED, "UALICE", now, detail="login broken"),
    )
    _, url = several.sender.command("shop")
    _, current = _request(several, slack, _answer(slack, url), "1.1.0", "UALICE", "CINCIDENT")
    assert several.runtime.sweeper.sweep() == 0  # neither is due yet
    clock.advance(301)
    several.runtime.sweeper.sweep()
    assert store.get(orphan.id).state is State.EXPIRED  # type: ignore[union-attr]
    assert store.get(current.id).state is State.PENDING  # type: ignore[union-attr]  # shop's TTL: 600 s
