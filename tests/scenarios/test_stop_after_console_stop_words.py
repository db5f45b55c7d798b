"""Review of issue 14: approving a stop after the plan was stopped from the admin console withdraws the request, but
when WeChat then reads the plan as initial (status 0) or gives none at all (the answers after a revert the fake
models, as WeChat documents none), the plan has no create_timestamp any more, and the request is withdrawn saying
"another phased release replaced the one it would stop": untrue, nothing replaced it (the channel must tell the
truth)."""

from __future__ import annotations

import pytest

from bot.slack.ids import APPROVE
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import REVERT_GRAY, FakeWeChat
from tests.scenarios.test_stop_phased_release import ask_to_stop
from tests.support.flow import click, message_text, wait_state
from tests.support.harness import RunningBot


@pytest.mark.parametrize("after_revert", ["initial", "absent"])
def test_a_stop_approved_after_a_console_stop_does_not_say_another_plan_replaced_it(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, after_revert: str
) -> None:
    wechat.after_revert = after_revert
    wechat.start_phased_release("1.3.0", 5)
    request_id = ask_to_stop(bot, slack)
    pending = bot.workflow.get(request_id)
    assert pending is not None
    assert wechat.revert_gray()["errcode"] == 0  # stopped from the admin console meanwhile
    click(bot, pending, APPROVE, "UBOB")
    withdrawn = wait_state(bot, slack, request_id, "cancelled")
    assert wechat.calls_to(REVERT_GRAY) == []
    shown = slack.wait_for(lambda s: message_text(s, withdrawn) if "ithdrawn" in message_text(s, withdrawn) else None)
    assert "replaced" not in (withdrawn.outcome or "") and "replaced" not in shown, withdrawn.outcome
