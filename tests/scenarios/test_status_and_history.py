"""`/miniprogram-rollback status` and `history` agree with WeChat and with the database."""

from __future__ import annotations

import json
import time
from typing import Any

from bot.rollback.model import State
from bot.slack.ids import APPROVE
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import FakeWeChat
from tests.support.flow import click, request_rollback, wait_state, wait_verified
from tests.support.harness import RunningBot


def _answer(bot: RunningBot, slack: FakeSlack, text: str) -> str:
    _, response_url = bot.sender.command(text)
    body: dict[str, Any] = slack.wait_for(lambda s: [p.body for p in s.posts_to(response_url) if p.body.get("blocks")])[
        0
    ]
    return "\n".join(block["text"]["text"] for block in body["blocks"] if "text" in block)


def test_status_shows_versions_gray_release_open_request_and_last_rollback(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    before = _answer(bot, slack, "status")
    assert "*Online* *1.2.0*" in before and "*Open request* none" in before and "*Last rollback* none" in before
    done = request_rollback(bot, slack, "1.1.0")
    click(bot, done, APPROVE, "UBOB")
    wait_verified(bot, slack, done.id)
    wechat.release("1.3.0", "hotfix")
    wechat.set_gray_release(1, 5)
    after = _answer(bot, slack, "status")
    assert "*Online* *1.3.0*" in after
    assert "*Phased release* *running* at 5%, started <!date^" in after and "Stopping it sends" in after
    assert f"|#{done.id}>" in after and "*rolled back* by <@UBOB>" in after


def test_history_lists_requests_newest_first_with_links(bot: RunningBot, slack: FakeSlack) -> None:
    assert "No rollback requests" in _answer(bot, slack, "history")
    first = request_rollback(bot, slack, "1.1.0")
    click(bot, first, "rollback.cancel", "UALICE")
    wait_state(bot, slack, first.id, State.CANCELLED)
    second = request_rollback(bot, slack, "1.0.0", user="UCAROL")
    text = _answer(bot, slack, "history")
    assert text.index(f"#{second.id}>") < text.index(f"#{first.id}>")
    assert "*cancelled* by <@UALICE>" in text and "*pending*" in text
    assert "https://fake.slack.com/archives/CINCIDENT/p" in text


def test_status_of_another_app_is_refused(bot: RunningBot, wechat: FakeWeChat) -> None:
    response, _ = bot.sender.command("status wxc01e9a6e9d2be0e1")
    assert "I don't know the mini program `wxc01e9a6e9d2be0e1`" in response.json()["text"]
    assert wechat.calls == []


def _open_home(bot: RunningBot, user: str) -> None:
    body = {
        "token": "fake-verification-token",
        "team_id": FakeSlack.TEAM_ID,
        "api_app_id": FakeSlack.APP_ID,
        "type": "event_callback",
        "event_id": "Ev0HOME",
        "event_time": int(time.time()),
        "event": {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home", "event_ts": "1.2"},
    }
    response = bot.sender.post(json.dumps(body).encode(), content_type="application/json")
    assert response.status_code == 200


def test_app_home_shows_status_and_history(bot: RunningBot, slack: FakeSlack) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    _open_home(bot, "UCAROL")
    published = slack.wait_for(lambda s: s.calls_to("views.publish"))[0].args
    assert published["user_id"] == "UCAROL"
    text = "\n".join(b["text"]["text"] for b in published["view"]["blocks"] if "text" in b and "text" in b["text"])
    assert "*Online* *1.2.0*" in text
    assert f"|#{request.id}>" in text and "*pending*" in text  # the open request, linked, also in the history
    link = f"https://fake.slack.com/archives/{request.channel_id}/p{(request.message_ts or '').replace('.', '')}"
    assert f"<{link}|#{request.id}>" in text  # built as Slack builds permalinks, without asking per request
    _open_home(bot, "UDAVE")
    slack.wait_for(lambda s: len(s.calls_to("views.publish")) == 2)
    assert slack.calls_to("chat.getPermalink") == []
