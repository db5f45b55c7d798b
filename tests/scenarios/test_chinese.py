"""BOT_LANGUAGE=zh: the whole flow reads in Chinese, the bot a real process against the fake Slack and WeChat
(picker, request, refusal, approval, outcome, thread, status, history, App Home, an error); and a person's own Slack
locale (USER_LOCALE=true) for what they alone read, the channel keeping the bot's language."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.rollback.policy import ApprovalPolicy
from bot.rollback.workflow import RollbackWorkflow
from bot.sandbox.wechat import SimulatedWeChat
from bot.slack.ids import APPROVE
from bot.store.database import make_engine, session_factory
from bot.store.request_store import RequestStore
from bot.web import EVENTS_PATH
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import FakeWeChat, Fault
from tests.support.flow import (
    Replica,
    click,
    ephemeral_text,
    message_text,
    open_picker,
    request_rollback,
    version_buttons,
    wait_verified,
)
from tests.support.harness import SIGNING_SECRET, bot_env
from tests.support.processes import free_port, start_app, stop, wait_healthy
from tests.support.slack_requests import SlackSender

VERSION_INFO = "/wxa/getversioninfo"
# Words only the English messages use: none of them may show when the bot speaks Chinese.
ENGLISH = ("Rollback requested", "Approved by", "Requested by", "Reason", "approval", "Mini program", "Online")


@pytest.fixture
def process_bot(slack: FakeSlack, wechat: FakeWeChat, sqlite_url: str, tmp_path: Path) -> Iterator[Any]:
    """Start `python app.py` with the given settings; a Replica to drive it (and read the record) is returned."""
    started = []
    engine = make_engine(sqlite_url)

    def start(**settings: str) -> Replica:
        port = free_port()
        process = start_app(bot_env(slack, wechat, sqlite_url, PORT=str(port), **settings), tmp_path)
        started.append(process)
        assert wait_healthy(process, port).status_code == 200
        # The record, read from here; its WeChat is never called.
        record = RollbackWorkflow(
            wechat.APPID, RequestStore(session_factory(engine)), SimulatedWeChat(), ApprovalPolicy(), timedelta(1), _now
        )
        return Replica(SlackSender(f"http://127.0.0.1:{port}{EVENTS_PATH}", SIGNING_SECRET, slack), record)

    yield start
    errors = [stop(process) for process in started]
    engine.dispose()
    for process, error in zip(started, errors, strict=True):
        assert process.returncode == 0, error


def _answer(bot: Replica, slack: FakeSlack, text: str) -> str:
    _, response_url = bot.sender.command(text)
    body = slack.wait_for(lambda s: [p.body for p in s.posts_to(response_url) if p.body.get("blocks")])[0]
    return "\n".join(str(block["text"]["text"]) for block in body["blocks"] if "text" in block)


def _thread(slack: FakeSlack, ts: str) -> list[str]:
    return [str(c.args["text"]) for c in slack.calls_to("chat.postMessage") if c.args.get("thread_ts") == ts]


def _open_home(bot: Replica, user: str) -> None:
    body = {
        "token": "fake-verification-token",
        "team_id": FakeSlack.TEAM_ID,
        "api_app_id": FakeSlack.APP_ID,
        "type": "event_callback",
        "event_id": "Ev0HOMEZH",
        "event_time": int(time.time()),
        "event": {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home", "event_ts": "1.2"},
    }
    assert bot.sender.post(json.dumps(body).encode(), content_type="application/json").status_code == 200


def _no_english(text: str) -> None:
    assert [word for word in ENGLISH if word in text] == [], text


def test_the_whole_flow_reads_in_chinese(process_bot: Any, slack: FakeSlack, wechat: FakeWeChat) -> None:
    bot: Replica = process_bot(BOT_LANGUAGE="zh")
    help_text = bot.sender.command("help")[0].json()["text"]
    assert "列出微信允许小程序回滚到的版本" in help_text

    picker = open_picker(bot, slack)
    assert "*回滚小程序 `" in picker["blocks"][0]["text"]["text"] and "当前线上版本：*1.2.0*" in picker["text"] + str(
        picker["blocks"]
    )
    assert [button["text"]["text"] for button in version_buttons(picker)] == ["回滚到 1.1.0", "回滚到 1.0.0"]
    opened = version_buttons(picker)[0]["confirm"]
    assert opened["title"]["text"] == "申请此回滚？" and "在另一人审批之前不会有任何变更" in opened["text"]["text"]

    request = request_rollback(bot, slack, "1.1.0")
    modal = slack.calls_to("views.open")[-1].args["view"]
    assert (modal["title"]["text"], modal["submit"]["text"]) == ("申请回滚", "提交申请")
    posted = message_text(slack, request)
    assert ":hourglass_flowing_sand: 已申请回滚：等待审批" in posted and "*申请人* <@UALICE>" in posted
    assert "微信规定 *每次发布只能回滚一次*" in posted and "审批通过" in posted
    _no_english(posted)

    refused = ephemeral_text(slack, click(bot, request, APPROVE, "UALICE"))
    assert (
        "你不能审批自己的回滚申请：须由另一人审批。" in refused
        and "_规则：双人规则（申请人不能审批自己的申请）。_" in refused
    )

    click(bot, request, APPROVE, "UBOB")
    done = wait_verified(bot, slack, request.id)
    assert done.message_ts is not None
    finished = slack.wait_for(lambda s: ":white_check_mark: 已回滚" in message_text(s, done) and message_text(s, done))
    assert "*审批人* <@UBOB>" in finished
    assert "*结果* 已回滚到 *1.1.0*（app_version 101）。已核实：微信显示线上版本为 1.1.0。" in finished
    _no_english(finished)
    ts = str(done.message_ts)
    thread = "\n".join(slack.wait_for(lambda s: "审计链头" in "".join(_thread(s, ts)) and _thread(s, ts)))
    assert "<@UALICE> 申请回滚到 *1.1.0*（app_version" in thread and "理由：checkout broken" in thread
    assert "<@UALICE> 尝试审批通过：被拒绝，申请人不能审批自己的申请。" in thread
    assert "<@UBOB> 已审批通过。" in thread and "已请求微信回滚到 *1.1.0*" in thread
    assert "微信的返回：errcode 0（ok）。" in thread
    assert "微信已接受回滚到 *1.1.0*（app_version 101）的请求。" in thread
    assert "从微信回读：已回滚到 *1.1.0*（app_version 101）。已核实：微信显示线上版本为 1.1.0。" in thread
    assert "此步骤之后的审计链头" in thread
    _no_english(thread)

    status = _answer(bot, slack, "status")
    assert "*线上版本* *1.1.0*" in status and "*进行中的申请* 无" in status and "*已回滚*（<@UBOB>）" in status
    _no_english(status)
    history = _answer(bot, slack, "history")
    assert "最近的回滚申请" in history and "*已回滚*（<@UBOB>）" in history

    _open_home(bot, "UCAROL")
    home = slack.wait_for(lambda s: s.calls_to("views.publish"))[0].args["view"]
    assert home["blocks"][0]["text"]["text"] == "小程序回滚"
    assert "本页面每次打开时刷新" in json.dumps(home, ensure_ascii=False)

    # An error: WeChat refuses the status read; its errmsg and the documented Chinese beside the explanation.
    wechat.fail_next(VERSION_INFO, Fault(errcode=48001))
    _, response_url = bot.sender.command("status")
    problem = slack.wait_for(
        lambda s: [
            p.body.get("text", "")
            for p in s.posts_to(response_url)
            if "微信" in str(p.body.get("text", "")) and "48001" in str(p.body.get("text", ""))
        ]
    )[0]
    assert (
        problem.startswith(":x: 该令牌无权调用此接口。") and "（微信 48001：" in problem and "api 功能未授权" in problem
    )
    assert problem.endswith("未做任何变更。")
    unknown = bot.sender.command("status nothere")[0].json()["text"]
    assert "不认识小程序 `nothere`" in unknown


def test_a_person_reads_their_own_language_and_the_channel_the_bots(
    process_bot: Any, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    slack.add_user("UALICE", locale="zh-CN")
    slack.add_user("UBOB", locale="en-US")
    bot: Replica = process_bot(USER_LOCALE="true")  # BOT_LANGUAGE: English, by default
    picker = open_picker(bot, slack, "UALICE")
    assert version_buttons(picker)[0]["text"]["text"] == "回滚到 1.1.0"  # Alice's own language
    request = request_rollback(bot, slack, "1.1.0")
    assert ":hourglass_flowing_sand: Rollback requested: waiting for approval" in message_text(slack, request)
    assert "你不能审批自己的回滚申请" in ephemeral_text(slack, click(bot, request, APPROVE, "UALICE"))
    assert open_picker(bot, slack, "UBOB")["text"] == "A rollback request is already open"  # Bob's: English
    asked = [call.args for call in slack.calls_to("users.info") if call.args.get("user") == "UALICE"]
    assert any(str(args.get("include_locale")).lower() in ("true", "1") for args in asked)


def _now() -> datetime:
    return datetime.now(UTC)
