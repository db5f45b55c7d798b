"""The approval rules, enforced on the server for every path: open requests, staleness, expiry, who and where."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from bot.rollback.model import EventKind, State
from bot.rollback.workflow import AlreadyOpen
from bot.slack.ids import APPROVE, BREAK_GLASS, BREAK_GLASS_VIEW, REJECT, REJECT_VIEW
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import FakeWeChat
from tests.support.flow import (
    click,
    ephemeral_text,
    has_buttons,
    message_text,
    open_picker,
    request_rollback,
    submit_note,
    version_buttons,
    wait_state,
    wait_verified,
)
from tests.support.harness import Clock, RunningBot, bot_env

MakeBot = Callable[..., RunningBot]


@pytest.fixture
def make_bot(slack: FakeSlack, wechat: FakeWeChat, database_url: str, clock: Clock) -> Iterator[MakeBot]:
    started: list[RunningBot] = []

    def make(**settings: str) -> RunningBot:
        bot = RunningBot(bot_env(slack, wechat, database_url, **settings), slack, clock)
        started.append(bot)
        return bot

    yield make
    for bot in started:
        bot.stop()


def _kinds(bot: RunningBot, request_id: int) -> list[EventKind]:
    return [event.kind for event in bot.workflow.events(request_id)]


def test_a_second_request_is_refused_with_a_link_to_the_open_one(bot: RunningBot, slack: FakeSlack) -> None:
    first = request_rollback(bot, slack, "1.1.0")
    picker = open_picker(bot, slack, user="UCAROL")
    assert version_buttons(picker) == []
    notice = picker["blocks"][-1]["text"]["text"]
    assert f"request #{first.id}" in notice and "<https://fake.slack.com/archives/CINCIDENT/p" in notice
    click(bot, first, "rollback.cancel", "UALICE")
    wait_state(bot, slack, first.id, State.CANCELLED)
    assert request_rollback(bot, slack, "1.1.0", user="UCAROL").id != first.id  # the slot is free again


def test_concurrent_requests_open_only_one(bot: RunningBot) -> None:
    workflow = bot.workflow
    barrier = threading.Barrier(6)
    opened: list[int] = []
    refused: list[AlreadyOpen] = []

    def ask(user: str) -> None:
        barrier.wait()
        try:
            opened.append(workflow.open_request(user, "CINCIDENT", 101, "checkout broken").id)
        except AlreadyOpen as error:
            refused.append(error)

    threads = [threading.Thread(target=ask, args=(f"UREQ{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(opened) == 1 and len(refused) == 5
    assert {error.existing.id for error in refused} == set(opened)


def test_approval_of_a_stale_request_is_refused(bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    wechat.release("1.3.0", "released while the request waited")
    notice = ephemeral_text(slack, click(bot, request, APPROVE, "UBOB"))
    assert "stale" in notice and "from 1.2.0 to 1.3.0" in notice and "<@UALICE>" in notice
    stale = wait_state(bot, slack, request.id, State.CANCELLED)
    slack.wait_for(lambda s: "Withdrawn as stale" in message_text(s, stale) and not has_buttons(s, stale))
    assert wechat.rollback_calls() == []
    assert _kinds(bot, request.id)[-1] is EventKind.STALE


def test_expired_requests_are_rewritten_without_a_click(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock
) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    clock.advance(bot.runtime.settings.programs[0].approval_ttl_seconds + 1)
    expired = wait_state(bot, slack, request.id, State.EXPIRED)
    slack.wait_for(lambda s: "expired" in message_text(s, expired).lower() and not has_buttons(s, expired))
    assert _kinds(bot, request.id) == [EventKind.REQUESTED, EventKind.EXPIRED]
    assert wechat.rollback_calls() == []


def test_approver_user_group(make_bot: MakeBot, slack: FakeSlack, wechat: FakeWeChat) -> None:
    slack.usergroup_members["S0ONCALL"] = ["UBOB"]
    bot = make_bot(APPROVER_USERGROUP_ID="S0ONCALL")
    request = request_rollback(bot, slack, "1.1.0")
    assert "not on the approver list" in ephemeral_text(slack, click(bot, request, APPROVE, "UCAROL"))
    click(bot, request, REJECT, "UCAROL")  # the group is Slack's to tell: the form opens, then turns into the refusal
    refused = slack.wait_for(lambda s: [c for c in s.calls_to("views.update") if c.response.get("ok")])
    assert "not on the approver list" in str(refused[-1].args["view"])
    click(bot, request, APPROVE, "UBOB")
    assert wait_verified(bot, slack, request.id).decided_by == "UBOB"
    assert _kinds(bot, request.id).count(EventKind.REFUSED) == 2
    assert len(slack.calls_to("usergroups.users.list")) == 1  # cached between the checks
    assert len(wechat.rollback_calls()) == 1


def test_command_only_in_allowed_channels(make_bot: MakeBot, slack: FakeSlack, wechat: FakeWeChat) -> None:
    bot = make_bot(ALLOWED_CHANNEL_IDS="COPS,CINCIDENT2")
    response, _ = bot.sender.command("", channel="CRANDOM")
    assert "only in <#CINCIDENT2>, <#COPS>" in response.json()["text"]
    assert wechat.calls == []
    assert bot.sender.command("", channel="COPS")[0].status_code == 200


def test_break_glass_is_off_by_default(bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    assert "Break glass" not in message_text(slack, request)
    assert "not enabled" in ephemeral_text(slack, click(bot, request, BREAK_GLASS, "UALICE"))
    assert not slack.calls_to("views.open")[1:]  # only the reason modal was ever opened
    assert wechat.rollback_calls() == []


def test_break_glass_when_enabled(make_bot: MakeBot, slack: FakeSlack, wechat: FakeWeChat) -> None:
    bot = make_bot(BREAK_GLASS_ENABLED="true", APPROVER_USER_IDS="UBOB,UDAVE")
    request = request_rollback(bot, slack, "1.1.0")
    assert "Break glass" in message_text(slack, request)
    assert "Only the requester" in ephemeral_text(slack, click(bot, request, BREAK_GLASS, "UCAROL"))
    assert not slack.calls_to("views.open")[1:]  # refused before any form opened: the rule needs nothing from Slack
    justification = "payments down for everyone, both approvers unreachable by phone"
    submit_note(bot, slack, request, BREAK_GLASS, BREAK_GLASS_VIEW, "UALICE", justification)
    done = wait_verified(bot, slack, request.id)
    assert done.policy_bypass and done.decided_by == "UALICE" and done.decision_note == justification
    loud = slack.wait_for(lambda s: [c for c in s.calls_to("chat.postMessage") if "Break-glass" in c.args["text"]])
    assert "<@UBOB> <@UDAVE>" in loud[0].args["text"] and justification in loud[0].args["text"]
    # Posted durably, as the bypass's step in the thread, and broadcast to the channel.
    assert loud[0].args.get("thread_ts") == request.message_ts and loud[0].args.get("reply_broadcast") is True
    assert len(loud) == 1
    slack.wait_for(lambda s: "approved by the requester alone" in message_text(s, done))
    assert EventKind.BREAK_GLASS in _kinds(bot, request.id)
    assert len(wechat.rollback_calls()) == 1


def test_reject_reason_is_optional(bot: RunningBot, slack: FakeSlack) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    submit_note(bot, slack, request, REJECT, REJECT_VIEW, "UBOB", "")
    rejected = wait_state(bot, slack, request.id, State.REJECTED)
    assert rejected.decision_note is None and rejected.decided_by == "UBOB"
