"""Review of issue 14: a stop request is bound to "the plan the requester saw" by its create_timestamp alone. When
WeChat gives none (the case the review of #14 made stoppable: the button's value `appid:0`), a plan stopped in the
console and replaced by another while the request waits is indistinguishable: the approval stops a phased release
(another version, another percentage) that the requester never saw and the approver was never shown."""

from __future__ import annotations

from bot.slack.ids import APPROVE
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import REVERT_GRAY, FakeWeChat
from tests.scenarios.test_stop_phased_release import ask_to_stop
from tests.support.flow import click, wait_state
from tests.support.harness import RunningBot


def test_a_stop_of_a_plan_without_create_timestamp_does_not_stop_the_plan_that_replaced_it(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    wechat.start_phased_release("1.3.0", 5, created=0)  # answered without create_timestamp
    request_id = ask_to_stop(bot, slack)
    pending = bot.workflow.get(request_id)
    assert pending is not None and "5%" in pending.target.user_desc
    # Meanwhile, in the admin console: 1.3.0's phased release is stopped, and 1.4.0's started at 50%.
    assert wechat.revert_gray()["errcode"] == 0
    wechat.start_phased_release("1.4.0", 50, created=0)
    click(bot, pending, APPROVE, "UBOB")
    settled = wait_state(bot, slack, request_id, "succeeded", "failed", "unknown", "cancelled")
    assert wechat.calls_to(REVERT_GRAY) == [], settled.outcome
    assert wechat.gray_status == 1 and settled.state == "cancelled", settled.outcome
