"""The whole flow: the real Bolt app over HTTP, a fake Slack and a stateful fake WeChat on loopback."""

from __future__ import annotations

import threading

from bot.rollback.model import EventKind, RollbackRequest, State
from bot.slack.ids import APPROVE, CANCEL, REJECT, REJECT_VIEW
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import FakeWeChat
from tests.support.flow import (
    click,
    ephemeral_text,
    has_buttons,
    message_text,
    open_picker,
    request_rollback,
    seen_by_the_bot,
    submit_note,
    version_buttons,
    wait_state,
    wait_verified,
)
from tests.support.harness import Clock, RunningBot


def _thread(slack: FakeSlack, request: RollbackRequest) -> list[str]:
    return [
        call.args["text"]
        for call in slack.calls_to("chat.postMessage")
        if call.args.get("thread_ts") == request.message_ts
    ]


def _kinds(bot: RunningBot, request_id: int) -> list[EventKind]:
    return [event.kind for event in bot.workflow.events(request_id)]


def test_picker_lists_rollback_targets_and_the_online_version(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    picker = open_picker(bot, slack)
    buttons = version_buttons(picker)
    assert [b["text"]["text"] for b in buttons] == ["Roll back to 1.1.0", "Roll back to 1.0.0"]
    assert [b["value"] for b in buttons] == [f"{wechat.APPID}:{v.app_version}" for v in wechat.history]
    assert "Online now: *1.2.0*" in picker["blocks"][0]["text"]["text"]
    assert all(call.query.get("action") == "get_history_version" for call in wechat.calls_to("/wxa/revertcoderelease"))
    assert wechat.rollback_calls() == []
    # Slack ignores replace_original on a command's own response_url: the picker must not count on it.
    assert picker.get("replace_original") is False


def test_happy_path_rolls_back_once_and_records_every_step(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    target = next(v for v in wechat.history if v.user_version == "1.1.0")
    request = request_rollback(bot, slack, "1.1.0", reason="checkout broken since 1.2.0")
    assert request.state is State.PENDING
    assert request.online_version == "1.2.0"
    assert request.target.app_version == target.app_version
    posted = message_text(slack, request)
    assert "<@UALICE>" in posted and "checkout broken since 1.2.0" in posted
    assert has_buttons(slack, request)
    assert wechat.rollback_calls() == []

    click(bot, request, APPROVE, "UBOB")
    done = wait_verified(bot, slack, request.id)

    calls = wechat.rollback_calls()
    assert len(calls) == 1
    assert calls[0].query["app_version"] == str(target.app_version)
    assert wechat.online is not None and wechat.online.user_version == "1.1.0"
    assert done.decided_by == "UBOB" and done.verified is True and done.wechat_errcode == 0
    final = slack.wait_for(lambda s: "Verified" in message_text(s, done) and not has_buttons(s, done))
    assert final
    text = message_text(slack, done)
    assert "*Approved by* <@UBOB>" in text and "Verified" in text
    assert _kinds(bot, request.id) == [
        EventKind.REQUESTED,
        EventKind.APPROVED,
        EventKind.WECHAT_CALLED,
        EventKind.EXECUTED,
        EventKind.VERIFIED,
    ]
    # The thread reads as the timeline: requested, approved, WeChat called, its answer, the verification.
    thread = slack.wait_for(lambda s: len(_thread(s, done)) >= 5 and _thread(s, done))
    assert "<@UALICE> requested a rollback to *1.1.0*" in thread[0] and "checkout broken since 1.2.0" in thread[0]
    assert "<@UBOB> approved" in thread[1]
    assert "Asked WeChat to roll back" in thread[2]
    assert "WeChat's answer: errcode 0 (ok)" in thread[3] and "WeChat accepted" in thread[3]  # one reply per step
    assert "Verified" in thread[4] and len(thread) == 5


def test_requester_cannot_approve_own_request(bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    notice = ephemeral_text(slack, click(bot, request, APPROVE, "UALICE"))
    assert "can't approve your own" in notice
    assert wechat.rollback_calls() == []
    current = bot.workflow.get(request.id)
    assert current is not None and current.state is State.PENDING
    events = bot.workflow.events(request.id)
    assert events[-1].kind is EventKind.REFUSED and events[-1].actor_id == "UALICE"
    assert "self_approval" in events[-1].detail
    refused = slack.wait_for(lambda s: [line for line in _thread(s, request) if "tried to approve" in line])
    assert "<@UALICE> tried to approve: refused, the requester cannot approve their own request" in refused[0]


def test_concurrent_approvals_make_exactly_one_rollback_call(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    approvers = [f"UAPPROVER{n}" for n in range(8)] * 3  # eight people, each double- and triple-clicking
    start = threading.Barrier(len(approvers))
    urls: list[str] = []

    def approve(user: str) -> None:
        start.wait()
        urls.append(click(bot, request, APPROVE, user))

    threads = [threading.Thread(target=approve, args=(user,)) for user in approvers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = wait_verified(bot, slack, request.id)
    # Every losing click is told who won.
    slack.wait_for(lambda s: sum(1 for url in urls if s.posts_to(url)) == len(urls) - 1)
    losers = " ".join(p.body["text"] for url in urls for p in slack.posts_to(url))
    assert f"<@{done.decided_by}> already approved" in losers
    assert len(wechat.rollback_calls()) == 1
    assert _kinds(bot, request.id).count(EventKind.APPROVED) == 1


def test_expired_request_cannot_be_approved(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock
) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    clock.advance(bot.runtime.settings.programs[0].approval_ttl_seconds + 1)
    notice = ephemeral_text(slack, click(bot, request, APPROVE, "UBOB"))
    assert "expired" in notice and "can no longer be approved" in notice
    expired = wait_state(bot, slack, request.id, State.EXPIRED)
    slack.wait_for(lambda s: "expired" in message_text(s, expired) and not has_buttons(s, expired))
    assert wechat.rollback_calls() == []
    assert _kinds(bot, request.id)[-1] is EventKind.EXPIRED


def test_reject_by_another_user(bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    submit_note(bot, slack, request, REJECT, REJECT_VIEW, "UBOB", "the bug is in the backend, not the app")
    rejected = wait_state(bot, slack, request.id, State.REJECTED)
    assert rejected.decision_note == "the bug is in the backend, not the app"
    slack.wait_for(lambda s: "Rejected by* <@UBOB>" in message_text(s, rejected) and not has_buttons(s, rejected))
    assert "*Rejection reason* the bug is in the backend" in message_text(slack, rejected)
    notice = ephemeral_text(slack, click(bot, request, APPROVE, "UCAROL"))
    assert "<@UBOB> already rejected" in notice
    assert wechat.rollback_calls() == []


def test_only_the_requester_can_cancel(bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    assert "Only the requester" in ephemeral_text(slack, click(bot, request, CANCEL, "UBOB"))
    assert "use *Cancel*" in ephemeral_text(slack, click(bot, request, REJECT, "UALICE"))
    click(bot, request, CANCEL, "UALICE")
    cancelled = wait_state(bot, slack, request.id, State.CANCELLED)
    slack.wait_for(lambda s: "Cancelled" in message_text(s, cancelled) and not has_buttons(s, cancelled))
    assert _kinds(bot, request.id) == [
        EventKind.REQUESTED,
        EventKind.REFUSED,
        EventKind.REFUSED,
        EventKind.CANCELLED,
    ]
    assert wechat.rollback_calls() == []


def test_restart_between_request_and_approval(
    env: dict[str, str], slack: FakeSlack, wechat: FakeWeChat, clock: Clock
) -> None:
    first = RunningBot(env, slack, clock)
    try:
        request = request_rollback(first, slack, "1.1.0")
    finally:
        first.stop()
    second = RunningBot(env, slack, clock)
    try:
        click(second, request, APPROVE, "UBOB")
        done = wait_verified(second, slack, request.id)
        slack.wait_for(lambda s: "Rolled back" in message_text(s, done))
    finally:
        second.stop()
    assert len(wechat.rollback_calls()) == 1


def test_a_slack_outage_during_a_rollback_is_made_good_when_slack_is_back(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    """Approved and rolled back while Slack is down: the record is complete, and once Slack answers again the
    message and its thread show exactly what the database says, each step once, in order."""
    request = request_rollback(bot, slack, "1.1.0")
    seen_by_the_bot(bot, "UBOB")
    slack.outage()
    click(bot, request, APPROVE, "UBOB")
    done = wait_verified(bot, slack, request.id)
    assert "Rolled back" not in message_text(slack, done)  # nothing could be shown yet
    slack.restore()  # the sweeper's repair pass delivers what is behind
    slack.wait_for(lambda s: "Verified" in message_text(s, done) and not has_buttons(s, done), timeout=30)
    thread = slack.wait_for(lambda s: len(_thread(s, done)) >= 5 and _thread(s, done), timeout=30)
    steps = ["requested a rollback", "approved", "Asked WeChat", "WeChat's answer", "Verified"]
    assert len(thread) == len(steps) and all(step in line for step, line in zip(steps, thread, strict=True))
