"""Stopping a phased release whatever getgrayreleaseplan answers, end to end against the fake Slack and WeChat on
SQLite and PostgreSQL (found by the review of issue 14): a plan WeChat gives no `create_timestamp` is stopped from
its button (whose value `appid:0` was refused as malformed), malformed button values are still refused, and a stop
is verified whether the plan then reads deleted (4), initial (0) or is absent: WeChat documents none of them."""

from __future__ import annotations

import pytest

from bot.slack.ids import APPROVE, STOP_GRAY
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import REVERT_GRAY, FakeWeChat
from tests.scenarios.test_stop_phased_release import ask_to_stop
from tests.support.flow import click, open_picker, version_buttons, wait_verified
from tests.support.harness import RunningBot


def test_a_plan_without_create_timestamp_is_stopped_from_its_button(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    wechat.start_phased_release("1.3.0", 5, created=0)  # answered without create_timestamp
    [stop] = version_buttons(open_picker(bot, slack))
    assert stop["value"] == f"{wechat.APPID}:0"
    request_id = ask_to_stop(bot, slack)
    request = bot.workflow.get(request_id)
    assert request is not None
    click(bot, request, APPROVE, "UBOB")
    stopped = wait_verified(bot, slack, request_id, timeout=30)
    assert "Verified: WeChat reports the phased release stopped" in (stopped.outcome or "")
    assert len(wechat.calls_to(REVERT_GRAY)) == 1


@pytest.mark.parametrize("value", ["wxfake:-1", "wxfake:", ":5", "wxfake:1x", "wx fake:3", "wxfake:1234567890123"])
def test_a_malformed_stop_button_value_is_refused(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, value: str
) -> None:
    wechat.start_phased_release("1.3.0", 5)
    _, answer_url = bot.sender.block_action(STOP_GRAY, value.replace("wxfake", wechat.APPID), "UALICE")
    slack.wait_for(lambda s: s.posts_to(answer_url) or s.calls_to("chat.postEphemeral"), 30)
    assert slack.calls_to("views.open") == []


@pytest.mark.parametrize("after_revert", ["deleted", "initial", "absent"])
def test_a_stop_is_verified_whatever_the_plan_reads_after_the_revert(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, after_revert: str
) -> None:
    wechat.after_revert = after_revert
    wechat.start_phased_release("1.3.0", 5)
    request_id = ask_to_stop(bot, slack)
    request = bot.workflow.get(request_id)
    assert request is not None
    click(bot, request, APPROVE, "UBOB")
    stopped = wait_verified(bot, slack, request_id, timeout=30)
    assert "Verified: WeChat reports the phased release stopped" in (stopped.outcome or "")
    assert len(wechat.calls_to(REVERT_GRAY)) == 1
