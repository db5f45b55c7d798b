"""Nobody waits for an approver, end to end over HTTP against the fake Slack and WeChat, on SQLite and PostgreSQL:
the request pages its approvers, reminders and the escalation follow in its thread, more than one approval is
counted and shown, guests and other organisations are refused, and status tells it all."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest

from bot.rollback.model import EventKind, Refusal, RequestRefused, RollbackRequest, State
from bot.slack.ids import APPROVE, CANCEL, REJECT, REJECT_VIEW
from bot.slack.messages.notices import refused_words
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import FakeWeChat
from tests.support.flow import (
    click,
    ephemeral_text,
    message_text,
    open_picker,
    request_rollback,
    seen_by_the_bot,
    submit_note,
    submit_reason,
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


def _reminded(bot: RunningBot, request: RollbackRequest, times: int) -> Callable[[FakeSlack], bool]:
    """Waits until the request has been reminded of the given number of times."""
    return lambda _: _kinds(bot, request).count(EventKind.REMINDED) == times


def _kinds(bot: RunningBot, request: RollbackRequest) -> list[EventKind]:
    return [event.kind for event in bot.workflow.events(request.id)]


def _thread(slack: FakeSlack, request: RollbackRequest) -> list[str]:
    calls = slack.calls_to("chat.postMessage")
    return [c.args["text"] for c in calls if c.args.get("thread_ts") == request.message_ts and c.response.get("ok")]


def _status(bot: RunningBot, slack: FakeSlack) -> str:
    _, response_url = bot.sender.command("status")
    body = slack.wait_for(lambda s: [p.body for p in s.posts_to(response_url) if p.body.get("blocks")])[0]
    return "\n".join(block["text"]["text"] for block in body["blocks"] if "text" in block)


def test_the_request_pages_the_group_then_reminds_and_escalates_in_its_thread(
    make_bot: MakeBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock
) -> None:
    slack.usergroup_members["S0ONCALL"] = ["UBOB"]
    bot = make_bot(
        APPROVER_USERGROUP_ID="S0ONCALL",
        APPROVAL_REMIND_SECONDS="300",
        ESCALATION_USERGROUP_ID="S0LEADS",
        ESCALATE_AFTER_SECONDS="600",
    )
    request = request_rollback(bot, slack, "1.1.0")
    posted = next(c for c in slack.calls_to("chat.postMessage") if c.response.get("ts") == request.message_ts)
    assert "<!subteam^S0ONCALL>" in posted.args["text"]  # the notification pages the group
    assert "Needs approval by <!subteam^S0ONCALL>" in message_text(slack, request)

    clock.advance(300)  # the sweeper (every second) finds the first reminder due
    first = slack.wait_for(lambda s: [t for t in _thread(s, request) if "Reminder 1" in t])[0]
    assert "<!subteam^S0ONCALL>, please approve or reject" in first and "after 5 min" in first
    slack.wait_for(lambda s: "waiting for approval for 5 min" in message_text(s, request))

    clock.advance(300)
    escalated = slack.wait_for(lambda s: [t for t in _thread(s, request) if "Escalated" in t])[0]
    assert "<!subteam^S0ONCALL>, please approve or reject. <!subteam^S0LEADS>: for your attention" in escalated
    slack.wait_for(lambda s: "Escalated to <!subteam^S0LEADS>" in message_text(s, request))
    assert _kinds(bot, request) == [EventKind.REQUESTED, EventKind.REMINDED, EventKind.ESCALATED]
    status = _status(bot, slack)
    assert "2 reminders" in status and "escalated to <!subteam^S0LEADS>" in status and "0 of 1 approvals" in status

    click(bot, request, APPROVE, "UBOB")
    done = wait_verified(bot, slack, request.id)
    clock.advance(600)
    bot.runtime.sweeper.sweep()  # a sweep after the decision: no reminder for a decided request
    assert _kinds(bot, done).count(EventKind.REMINDED) == 1 and len(wechat.rollback_calls()) == 1
    reminders = [t for t in _thread(slack, done) if "Reminder" in t or "Escalated" in t]
    assert len(reminders) == 2  # each once in the thread


def test_reminders_slack_could_not_take_are_shown_later_without_paging_anyone(
    make_bot: MakeBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock
) -> None:
    """Two reminders fall due while Slack is down, and the request is approved before it is back: the thread
    shows the last, counting the other, and pages nobody (a burst of stale pings is noise at 3 a.m.)."""
    bot = make_bot(APPROVER_USER_IDS="UBOB", APPROVAL_REMIND_SECONDS="300")
    request = request_rollback(bot, slack, "1.1.0")
    seen_by_the_bot(bot, "UBOB")
    slack.outage()
    try:
        for number in (1, 2):
            clock.advance(300)
            slack.wait_for(_reminded(bot, request, number))
        still = [t for t in _thread(slack, request) if "Reminder" in t]
        click(bot, request, APPROVE, "UBOB")
        wait_state(bot, slack, request.id, State.SUCCEEDED)
    finally:
        slack.restore()
    done = wait_verified(bot, slack, request.id)
    slack.wait_for(lambda s: any("Verified" in t for t in _thread(s, done)))
    [reminder] = [t for t in _thread(slack, done) if "Reminder" in t]  # one reply, not a burst
    assert still == [] and "Reminder 2" in reminder and "nobody is paged for it now" in reminder
    assert "(1 earlier reminder could not be posted while Slack was unreachable.)" in reminder and "<@" not in reminder


def test_the_last_reminder_still_pages_once_slack_is_back(make_bot: MakeBot, slack: FakeSlack, clock: Clock) -> None:
    bot = make_bot(APPROVER_USER_IDS="UBOB", APPROVAL_REMIND_SECONDS="300")
    request = request_rollback(bot, slack, "1.1.0")
    slack.outage()
    try:
        for number in (1, 2):
            clock.advance(300)
            slack.wait_for(_reminded(bot, request, number))
    finally:
        slack.restore()
    [reminder] = slack.wait_for(lambda s: [t for t in _thread(s, request) if "Reminder" in t])
    assert "Reminder 2: still waiting" in reminder and "<@UBOB>, please approve or reject" in reminder
    assert "(1 earlier reminder could not be posted while Slack was unreachable.)" in reminder


def test_listed_approvers_are_paged_and_reminders_can_be_turned_off(
    make_bot: MakeBot, slack: FakeSlack, clock: Clock
) -> None:
    bot = make_bot(APPROVER_USER_IDS="UCAROL,UBOB", APPROVAL_REMIND_SECONDS="0", APPROVAL_CHANNEL_MENTION="here")
    request = request_rollback(bot, slack, "1.1.0")
    assert "Needs approval by <@UBOB> <@UCAROL> <!here>" in message_text(slack, request)
    clock.advance(600)
    bot.runtime.sweeper.sweep()
    assert _kinds(bot, request) == [EventKind.REQUESTED]


def test_two_approvals_are_counted_shown_and_the_second_rolls_back_once(
    make_bot: MakeBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    bot = make_bot(APPROVALS_REQUIRED="2")
    request = request_rollback(bot, slack, "1.1.0")
    assert "Needs 2 more approvals by someone other than <@UALICE>" in message_text(slack, request)

    click(bot, request, APPROVE, "UBOB")
    slack.wait_for(lambda s: "*1 of 2 approvals:* <@UBOB>" in message_text(s, request))
    slack.wait_for(lambda s: [t for t in _thread(s, request) if "<@UBOB> approved (1 of 2 approvals)" in t])
    assert "1 of 2 approvals* (<@UBOB>)" in _status(bot, slack)
    again = ephemeral_text(slack, click(bot, request, APPROVE, "UBOB"))
    assert "You already approved this request" in again and "Rule: distinct approvers" in again
    assert wechat.rollback_calls() == []

    click(bot, request, APPROVE, "UCAROL")
    done = wait_verified(bot, slack, request.id)
    assert done.approvals == ("UBOB", "UCAROL") and done.decided_by == "UCAROL"
    slack.wait_for(lambda s: "(2 of 2 approvals: <@UBOB>, <@UCAROL>)" in message_text(s, done))
    kinds = _kinds(bot, done)
    assert kinds[:3] == [EventKind.REQUESTED, EventKind.APPROVAL_COUNTED, EventKind.APPROVED]
    assert len(wechat.rollback_calls()) == 1


def test_a_request_that_nobody_could_complete_is_refused_before_anyone_is_paged(
    make_bot: MakeBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    """Two approvals from a list of two: a listed approver asking leaves one who may approve. The pick is
    refused with why and what to do, no form opens, nothing is recorded; someone off the list may ask."""
    bot = make_bot(APPROVER_USER_IDS="UALICE,UBOB", APPROVALS_REQUIRED="2")
    button = version_buttons(open_picker(bot, slack, "UALICE"))[0]
    _, picker_url = bot.sender.block_action(button["action_id"], button["value"], "UALICE", container_ephemeral=True)
    refused = ephemeral_text(slack, picker_url)
    # The refusal's facts, worded by the message function: 2 approvals needed, 1 approver besides the requester.
    assert refused == refused_words(RequestRefused(Refusal.NO_ONE_COULD_APPROVE, required=2, others=1))
    assert slack.calls_to("views.open") == [] and bot.workflow.get(1) is None
    request = request_rollback(bot, slack, "1.1.0", user="UCAROL")
    click(bot, request, APPROVE, "UALICE")
    click(bot, request, APPROVE, "UBOB")
    wait_verified(bot, slack, request.id)
    assert len(wechat.rollback_calls()) == 1


def test_someone_of_another_organisation_cannot_page_the_on_call_with_a_request(
    make_bot: MakeBot, slack: FakeSlack
) -> None:
    slack.add_user("UPARTNER", external=True)
    bot = make_bot(APPROVER_USER_IDS="UBOB")
    picker_url = submit_reason(bot, slack, "looks broken from our side", user="UPARTNER")
    assert "member of another organisation" in ephemeral_text(slack, picker_url)
    assert bot.workflow.get(1) is None
    assert not [call for call in slack.calls_to("chat.postMessage") if "<@UBOB>" in str(call.args)]  # nobody paged


def test_break_glass_beside_a_two_person_rule_is_said_at_start_up(
    make_bot: MakeBot, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.wiring"):
        make_bot(BREAK_GLASS_ENABLED="true", APPROVALS_REQUIRED="2")
    assert "a requester may roll back alone, without the 2 approvals required" in caplog.text


def test_a_reject_ends_a_partly_approved_request(make_bot: MakeBot, slack: FakeSlack, wechat: FakeWeChat) -> None:
    bot = make_bot(APPROVALS_REQUIRED="2")
    request = request_rollback(bot, slack, "1.1.0")
    click(bot, request, APPROVE, "UBOB")
    slack.wait_for(lambda s: "1 of 2 approvals" in message_text(s, request))
    submit_note(bot, slack, request, REJECT, REJECT_VIEW, "UCAROL", "wait for the CDN fix")
    rejected = wait_state(bot, slack, request.id, State.REJECTED)
    slack.wait_for(lambda s: "(after 1 of 2 approvals: <@UBOB>)" in message_text(s, rejected))
    assert "already rejected" in ephemeral_text(slack, click(bot, request, APPROVE, "UDAVE"))
    assert wechat.rollback_calls() == []


def test_guests_and_other_organisations_are_refused_told_the_rule_and_recorded(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    slack.add_user("UGUEST", guest=True)
    slack.add_user("USINGLE", guest="single")
    slack.add_user("UPARTNER", external=True)
    request = request_rollback(bot, slack, "1.1.0")
    guest = ephemeral_text(slack, click(bot, request, APPROVE, "UGUEST"))
    assert "Guests of this workspace cannot approve" in guest and "Rule: no guest approvers" in guest
    assert "Guests of this workspace" in ephemeral_text(slack, click(bot, request, APPROVE, "USINGLE"))
    partner = ephemeral_text(slack, click(bot, request, APPROVE, "UPARTNER"))
    assert "another organisation" in partner and "Rule: no approvers from another organisation" in partner
    click(bot, request, REJECT, "UGUEST")  # the form opens at once, then turns into the refusal
    slack.wait_for(
        lambda s: [c for c in s.calls_to("views.update") if "Guests of this workspace" in str(c.args.get("view"))]
    )
    assert _kinds(bot, request).count(EventKind.REFUSED) == 4
    replies = slack.wait_for(lambda s: [t for t in _thread(s, request) if "refused" in t][3:] and _thread(s, request))
    assert any("<@UGUEST> tried to approve: refused, guests may not approve or reject" in t for t in replies)
    assert any("<@UPARTNER> tried to approve: refused, people of another organisation" in t for t in replies)
    current = bot.workflow.get(request.id)
    assert current is not None and current.state is State.PENDING and wechat.rollback_calls() == []
    click(bot, request, APPROVE, "UBOB")
    wait_verified(bot, slack, request.id)


def test_a_setting_lets_guests_approve(make_bot: MakeBot, slack: FakeSlack, wechat: FakeWeChat) -> None:
    slack.add_user("UGUEST", guest=True)
    slack.add_user("UPARTNER", external=True)
    bot = make_bot(ALLOW_GUEST_APPROVERS="true")
    request = request_rollback(bot, slack, "1.1.0")
    assert "another organisation" in ephemeral_text(slack, click(bot, request, APPROVE, "UPARTNER"))
    click(bot, request, APPROVE, "UGUEST")
    assert wait_verified(bot, slack, request.id).decided_by == "UGUEST"
    assert len(wechat.rollback_calls()) == 1


def test_a_guest_requester_may_still_cancel(bot: RunningBot, slack: FakeSlack) -> None:
    slack.add_user("UGUESTREQ", guest=True)
    request = request_rollback(bot, slack, "1.1.0", user="UGUESTREQ")
    click(bot, request, CANCEL, "UGUESTREQ")
    wait_state(bot, slack, request.id, State.CANCELLED)
