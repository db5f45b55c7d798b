"""Review of issue 14: `history` (and the App Home, which shows it) says a stop *stopped* the phased release as soon
as WeChat accepted the call, before (and whether or not) reading the plan back verified it. While the plan still
reads running, the record's own outcome says "Reading the plan back to verify…", the request message says so, and
the history line claims an outcome that was not verified."""

from __future__ import annotations

from typing import Any

from bot.slack.ids import APPROVE
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import REVERT_GRAY, FakeWeChat, Fault
from tests.scenarios.test_stop_phased_release import ask_to_stop
from tests.support.flow import click
from tests.support.harness import RunningBot


def _answer(bot: RunningBot, slack: FakeSlack, text: str) -> str:
    _, response_url = bot.sender.command(text)
    body: dict[str, Any] = slack.wait_for(lambda s: [p.body for p in s.posts_to(response_url) if p.body.get("blocks")])[
        0
    ]
    return "\n".join(block["text"]["text"] for block in body["blocks"] if "text" in block)


def test_history_does_not_say_stopped_while_the_plan_still_reads_running(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    wechat.start_phased_release("1.3.0", 5)
    request_id = ask_to_stop(bot, slack)
    pending = bot.workflow.get(request_id)
    assert pending is not None
    # WeChat answers ok, yet the plan keeps running (what the bot must verify, not assume).
    wechat.fail_next(REVERT_GRAY, Fault(body='{"errcode": 0, "errmsg": "ok"}'))
    click(bot, pending, APPROVE, "UBOB")
    accepted = slack.wait_for(
        lambda _: (lambda r: r if r is not None and r.state == "succeeded" and r.recheck_at is not None else None)(
            bot.workflow.get(request_id)
        ),
        30,
    )
    assert not accepted.verified and wechat.gray_status == 1
    text = _answer(bot, slack, "history")
    line = next(line for line in text.splitlines() if f"#{request_id}" in line)
    assert "*stopped*" not in line, line
