"""The channel ends up saying exactly what the database says, whatever Slack does on the way: rate limits on every
method the bot calls, and Slack down at each step of a rollback (posting the request, approval, outcome, expiry).

Slack's outage here lasts until the bot has met it more than once at that step (events, not a wall-clock 60 s:
what matters is that every attempt during it failed), and the channel must be right within a minute of recovery.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.rollback.model import RollbackRequest, State
from bot.slack.ids import (
    APPROVE,
    BREAK_GLASS,
    BREAK_GLASS_VIEW,
    CANCEL,
    NOTE_BLOCK,
    NOTE_INPUT,
    REASON_BLOCK,
    REASON_INPUT,
    REASON_VIEW,
    REJECT,
)
from bot.slack.messages.request import request_message
from bot.slack.messages.timeline import timeline_lines
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import FakeWeChat
from tests.support.flow import (
    click,
    ephemeral_text,
    open_picker,
    request_rollback,
    seen_by_the_bot,
    version_buttons,
    wait_state,
)
from tests.support.harness import Clock, RunningBot, bot_env

RECOVERY = 60.0  # seconds after Slack is back by which the channel must show the record


def _section_texts(blocks: list[dict[str, Any]]) -> list[str]:
    texts = []
    for block in blocks:
        if "text" in block:
            texts.append(block["text"]["text"])
        texts.extend(str(element.get("text")) for element in block.get("elements", []))
    return texts


def _thread(slack: FakeSlack, request: RollbackRequest) -> list[str]:
    """The replies Slack took in the request's thread, in the order it took them."""
    return [
        call.args["text"]
        for call in slack.calls_to("chat.postMessage")
        if call.args.get("thread_ts") == request.message_ts and call.response.get("ok")
    ]


def _shows_the_record(bot: RunningBot, slack: FakeSlack, request_id: int) -> bool:
    """The message is what the record renders to, and the thread holds each recorded step once, in order."""
    request = bot.workflow.get(request_id)
    assert request is not None and request.message_ts is not None
    text, blocks = request_message(request, break_glass=bot.workflow.policy.break_glass, program=bot.workflow.name)
    message = slack.message(request.channel_id, request.message_ts)
    steps = ["\n".join(timeline_lines(event, request)) for event in bot.workflow.events(request_id)]
    thread = _thread(slack, request)
    # A finished request's newest reply also shows the audit chain head after it (anchor_line): not a step.
    anchored = bool(thread) and ":link: Audit chain head" in thread[-1]
    return (
        message.get("text") == text
        and _section_texts(message.get("blocks", [])) == _section_texts(blocks)
        and [_without_anchor(reply) for reply in thread] == steps
        and anchored == request.state.is_final
    )


def _without_anchor(reply: str) -> str:
    return "\n".join(line for line in reply.split("\n") if not line.startswith(":link: Audit chain head"))


def _failed_calls(slack: FakeSlack) -> int:
    return sum(1 for call in slack.calls if call.response.get("error") == "service_unavailable")


def _down_until_met_twice(slack: FakeSlack) -> None:
    """Slack stays down until the bot met the outage twice more (a listener's try and a repair pass's)."""
    before = _failed_calls(slack)
    slack.wait_for(lambda s: _failed_calls(s) >= before + 2, timeout=30)


def test_rate_limits_on_every_method_change_nothing_shown(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    """HTTP 429 with Retry-After 1 to 5 s on each method a rollback uses: waited out, nothing lost, nothing
    posted twice, one rollback."""
    # views.open waits least: its trigger_id lasts 3 s (Slack's limit, not the bot's).
    waits = {"views.open": 1, "chat.postMessage": 2, "chat.update": 5, "chat.postEphemeral": 3, "auth.test": 4}
    for method, retry_after in waits.items():
        slack.rate_limit_next(method, retry_after=retry_after)
    request = request_rollback(bot, slack, "1.1.0")
    click(bot, request, APPROVE, "UBOB")
    click(bot, request, APPROVE, "UCAROL")  # a loser, told with an ephemeral
    wait_state(bot, slack, request.id, State.SUCCEEDED)
    assert slack.wait_for(lambda s: _shows_the_record(bot, s, request.id), timeout=RECOVERY)
    assert len(wechat.rollback_calls()) == 1
    limited = {call.method for call in slack.calls if call.response.get("error") == "ratelimited"}
    assert {"views.open", "chat.postMessage", "chat.update"} <= limited


def test_slack_down_while_the_request_is_posted(bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat) -> None:
    """Nobody can approve a request nobody sees: it is withdrawn, the requester is told, and no copy of it turns
    up in the channel once Slack is back."""
    picker = open_picker(bot, slack)
    button = version_buttons(picker)[0]
    _, picker_url = bot.sender.block_action(button["action_id"], button["value"], "UALICE", container_ephemeral=True)
    view = slack.wait_for(lambda s: s.calls_to("views.open"))[0].args["view"]
    slack.outage()
    values = {REASON_BLOCK: {REASON_INPUT: {"type": "plain_text_input", "value": "checkout broken"}}}
    bot.sender.view_submission(REASON_VIEW, values, view["private_metadata"], "UALICE")
    told = slack.wait_for(lambda s: [p for p in s.posts_to(picker_url) if "withdrawn" in p.body.get("text", "")], 30)
    assert "Slack" in told[0].body["text"]
    slack.restore()
    withdrawn = bot.workflow.get(1)
    assert withdrawn is not None and withdrawn.state is State.CANCELLED and withdrawn.message_ts is None
    after = request_rollback(bot, slack, "1.1.0")  # once Slack is back, the next request goes through
    posted = [c for c in slack.calls_to("chat.postMessage") if c.response.get("ok") and "thread_ts" not in c.args]
    assert [c.response["ts"] for c in posted] == [after.message_ts]  # no copy of the withdrawn one
    assert wechat.rollback_calls() == []


def test_slack_down_at_the_approval(bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    seen_by_the_bot(bot, "UBOB")
    slack.outage()
    click(bot, request, APPROVE, "UBOB")
    wait_state(bot, slack, request.id, State.SUCCEEDED)
    _down_until_met_twice(slack)
    slack.restore()
    assert slack.wait_for(lambda s: _shows_the_record(bot, s, request.id), timeout=RECOVERY)
    assert len(wechat.rollback_calls()) == 1


def test_an_approver_slack_cannot_vouch_for_is_refused_during_an_outage(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    """Never seen by the bot and Slack not answering users.info: whether they are a guest cannot be told, so the
    click is refused with the rule's name and changes nothing; once Slack answers, the same click approves."""
    request = request_rollback(bot, slack, "1.1.0")
    slack.outage()
    try:
        refused = click(bot, request, APPROVE, "UBOB")
        assert "could not tell me whether you are a guest" in ephemeral_text(slack, refused)
        unchanged = bot.workflow.get(request.id)
        assert unchanged is not None and unchanged.state is State.PENDING
    finally:
        slack.restore()
    click(bot, request, APPROVE, "UBOB")
    wait_state(bot, slack, request.id, State.SUCCEEDED)
    assert len(wechat.rollback_calls()) == 1


def test_slack_down_at_the_outcome(bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat) -> None:
    """The approval is shown; Slack goes down while WeChat rolls back: the outcome and its verification follow
    once Slack is back."""
    wechat.set_latency("/wxa/revertcoderelease", 1.0)
    request = request_rollback(bot, slack, "1.1.0")
    click(bot, request, APPROVE, "UBOB")
    slack.wait_for(lambda _: wechat.rollback_calls())
    slack.outage()
    wait_state(bot, slack, request.id, State.SUCCEEDED)
    _down_until_met_twice(slack)
    slack.restore()
    assert slack.wait_for(lambda s: _shows_the_record(bot, s, request.id), timeout=RECOVERY)
    assert len(wechat.rollback_calls()) == 1


def test_slack_down_at_the_expiry(bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    assert slack.wait_for(lambda s: _shows_the_record(bot, s, request.id))
    slack.outage()
    clock.advance(24 * 3600)
    wait_state(bot, slack, request.id, State.EXPIRED)
    _down_until_met_twice(slack)
    slack.restore()
    assert slack.wait_for(lambda s: _shows_the_record(bot, s, request.id), timeout=RECOVERY)
    assert wechat.rollback_calls() == []


def test_a_long_retry_after_defers_the_delivery_instead_of_outliving_its_lease(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    """Slack answers the approval's chat.update with 429 and Retry-After 20 s: no call to it is made before then
    (the delivery waits without holding its lease, so no stale headline lands late over a newer one), and then
    the message shows the outcome, each step once."""
    request = request_rollback(bot, slack, "1.1.0")
    slack.rate_limit_next("chat.update", retry_after=20)
    click(bot, request, APPROVE, "UBOB")
    wait_state(bot, slack, request.id, State.SUCCEEDED)
    assert slack.wait_for(lambda s: _shows_the_record(bot, s, request.id), timeout=RECOVERY)
    updates = slack.calls_to("chat.update")
    limited = next(i for i, call in enumerate(updates) if call.response.get("error") == "ratelimited")
    assert updates[limited + 1].at - updates[limited].at >= 20  # Slack's wait, honoured by every thread
    assert len(wechat.rollback_calls()) == 1


def test_a_channel_shut_to_the_bot_for_a_while_gets_everything_once_it_is_back(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    """The bot removed from the channel and invited back: what it could not show then is shown later, not
    dropped as if the message were gone for good."""
    request = request_rollback(bot, slack, "1.1.0")
    assert slack.wait_for(lambda s: _shows_the_record(bot, s, request.id))
    slack.fail_next("chat.update", "not_in_channel")  # removed; invited back before the next try
    click(bot, request, CANCEL, "UALICE")
    wait_state(bot, slack, request.id, State.CANCELLED)
    assert slack.wait_for(lambda s: _shows_the_record(bot, s, request.id), timeout=2 * RECOVERY)


def test_a_request_message_the_bot_never_recorded_is_adopted_by_the_first_click(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    """Slack posted the request but its answer never reached the bot (or the bot stopped before recording it):
    the first click on that message makes it the request's, and it then shows everything recorded, not
    "waiting for approval" with live buttons after the rollback."""
    request = bot.workflow.open_request("UALICE", "CINCIDENT", wechat.history[1].app_version, "checkout broken")
    text, blocks = request_message(request, break_glass=False, program=bot.workflow.name)
    posted = WebClient(token=slack.BOT_TOKEN, base_url=slack.api_url).chat_postMessage(
        channel="CINCIDENT", text=text, blocks=blocks
    )  # as the bot posted it, the answer lost on the way back
    assert bot.workflow.get(request.id).message_ts is None  # type: ignore[union-attr]
    bot.sender.block_action(APPROVE, str(request.id), "UBOB", message_ts=str(posted["ts"]))
    wait_state(bot, slack, request.id, State.SUCCEEDED)
    adopted = bot.workflow.get(request.id)
    assert adopted is not None and adopted.message_ts == posted["ts"]
    assert slack.wait_for(lambda s: _shows_the_record(bot, s, request.id), timeout=RECOVERY)
    assert len(wechat.rollback_calls()) == 1


def test_a_break_glass_made_while_slack_is_down_is_announced_once_it_is_back(
    slack: FakeSlack, wechat: FakeWeChat, database_url: str, clock: Clock
) -> None:
    env = bot_env(slack, wechat, database_url, BREAK_GLASS_ENABLED="true", APPROVER_USER_IDS="UBOB,UDAVE")
    bot = RunningBot(env, slack, clock)
    try:
        request = request_rollback(bot, slack, "1.1.0")
        opened_before = len(slack.calls_to("views.open"))
        click(bot, request, BREAK_GLASS, "UALICE")
        view = slack.wait_for(lambda s: s.calls_to("views.open")[opened_before:])[0].args["view"]
        slack.outage()
        note = {NOTE_BLOCK: {NOTE_INPUT: {"type": "plain_text_input", "value": "payments down, approvers asleep"}}}
        bot.sender.view_submission(BREAK_GLASS_VIEW, note, view["private_metadata"], "UALICE")
        wait_state(bot, slack, request.id, State.SUCCEEDED)
        _down_until_met_twice(slack)
        slack.restore()
        loud = slack.wait_for(
            lambda s: [
                c for c in s.calls_to("chat.postMessage") if c.response.get("ok") and c.args.get("reply_broadcast")
            ],
            timeout=RECOVERY,
        )
        assert len(loud) == 1 and "<@UBOB> <@UDAVE>" in loud[0].args["text"]
    finally:
        bot.stop()


def test_a_reply_whose_answer_was_lost_is_not_posted_again(bot: RunningBot, slack: FakeSlack) -> None:
    """Slack posted the step but its answer never came: the next delivery finds it in the thread (by the event id
    in its metadata) instead of posting it twice."""
    request = request_rollback(bot, slack, "1.1.0")
    assert slack.wait_for(lambda s: _shows_the_record(bot, s, request.id))
    slack.lose_answer_next("chat.postMessage")
    click(bot, request, CANCEL, "UALICE")
    wait_state(bot, slack, request.id, State.CANCELLED)
    assert slack.wait_for(lambda s: _shows_the_record(bot, s, request.id), timeout=RECOVERY)
    assert slack.wait_for(lambda s: s.calls_to("conversations.replies"))  # it looked before posting again


def test_a_request_message_whose_answer_was_lost_is_found_not_withdrawn(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    slack.lose_answer_next("chat.postMessage")
    request = request_rollback(bot, slack, "1.1.0")  # told "posted", with the message Slack holds
    assert request.state is State.PENDING and request.message_ts is not None
    assert len([c for c in slack.calls_to("chat.postMessage") if "thread_ts" not in c.args]) == 1
    click(bot, request, APPROVE, "UBOB")
    wait_state(bot, slack, request.id, State.SUCCEEDED)
    assert slack.wait_for(lambda s: _shows_the_record(bot, s, request.id), timeout=RECOVERY)


def test_a_request_recorded_but_never_posted_is_withdrawn_not_left_blocking(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock
) -> None:
    """The bot stopped between recording a request and posting it: a sweep withdraws it, so the mini program is
    not blocked by a request nobody can see, decide or cancel."""
    clock.advance(-600)  # recorded ten minutes ago, as far as the sweep can tell
    stranded = bot.workflow.open_request("UALICE", "CINCIDENT", wechat.history[1].app_version, "checkout broken")
    withdrawn = wait_state(bot, slack, stranded.id, State.CANCELLED)
    assert withdrawn.message_ts is None
    clock.advance(600)
    request = request_rollback(bot, slack, "1.1.0")  # the next request is not refused as "already open"
    assert request.id == stranded.id + 1


def test_a_request_whose_message_landed_unrecorded_is_found_by_the_sweep(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock
) -> None:
    clock.advance(-600)
    request = bot.workflow.open_request("UALICE", "CINCIDENT", wechat.history[1].app_version, "checkout broken")
    text, blocks = request_message(request, break_glass=False, program=bot.workflow.name)
    metadata = {"event_type": "miniprogram_rollback_request", "event_payload": {"request_id": request.id}}
    posted = WebClient(token=slack.BOT_TOKEN, base_url=slack.api_url).chat_postMessage(
        channel="CINCIDENT", text=text, blocks=blocks, metadata=metadata
    )  # as the bot posted it, before it stopped
    found = slack.wait_for(lambda _: (r := bot.workflow.get(request.id)) is not None and r.message_ts and r)
    assert found.message_ts == posted["ts"] and found.state is State.PENDING
    assert slack.wait_for(lambda s: _shows_the_record(bot, s, request.id), timeout=RECOVERY)


def test_a_slow_users_info_does_not_keep_a_form_from_opening(bot: RunningBot, slack: FakeSlack) -> None:
    """The reject form opens within the trigger_id's 3 seconds even when the rules wait for Slack to answer
    users.info (here rate-limited for 3 s): the form is opened first, the rules checked after."""
    request = request_rollback(bot, slack, "1.1.0")
    slack.rate_limit_next("users.info", retry_after=3, times=2)
    opened_before = len(slack.calls_to("views.open"))
    click(bot, request, REJECT, "UBOB")
    opened = slack.wait_for(lambda s: s.calls_to("views.open")[opened_before:], timeout=30)
    assert opened[0].response.get("ok"), opened[0].response
    slack.wait_for(lambda s: s.calls_to("users.info") and s.calls_to("users.info")[-1].response.get("ok"), 30)
    assert not [c for c in slack.calls_to("views.update") if "Close" in str(c.args.get("view"))]  # still a form


def test_a_click_that_reached_the_bot_too_late_to_open_its_form_says_click_again(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    """views.open answers expired_trigger_id when the click reached the bot after Slack's 3 seconds (a slow network,
    a busy bot): the person is told to click again, not that the bot failed; nothing is recorded."""
    [button, *_] = version_buttons(open_picker(bot, slack))
    slack.deliver_late(True)
    _, picker_url = bot.sender.block_action(button["action_id"], button["value"], "UALICE", container_ephemeral=True)
    told = slack.wait_for(lambda s: ephemeral_text(s, picker_url))
    assert "click again" in told and "went wrong" not in told, told
    assert [call.response.get("error") for call in slack.calls_to("views.open")] == ["expired_trigger_id"]
    assert bot.workflow.history() == []
    slack.deliver_late(False)
    bot.sender.block_action(button["action_id"], button["value"], "UALICE", container_ephemeral=True)
    slack.wait_for(lambda s: [call for call in s.calls_to("views.open") if call.response.get("ok")])
