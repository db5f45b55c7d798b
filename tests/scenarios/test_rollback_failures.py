"""Refusals, bad input and WeChat's errors, each explained to the person who acted, none rolled back twice."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from urllib.parse import urlencode

import pytest

from bot.rollback.model import EventKind, RollbackRequest, State
from bot.rollback.outcome import RECHECK_AFTER_SECONDS
from bot.slack.ids import (
    APPROVE,
    CANCEL,
    NOTE_BLOCK,
    NOTE_INPUT,
    REASON_BLOCK,
    REASON_INPUT,
    REASON_VIEW,
    REJECT,
    REJECT_VIEW,
    REPOST,
    STOP_GRAY,
)
from tests.fakes.slack import FakeSlack
from tests.fakes.wechat import FakeWeChat, Fault
from tests.support.flow import (
    click,
    ephemeral_text,
    has_buttons,
    message_text,
    open_picker,
    request_rollback,
    submit_reason,
    version_buttons,
    wait_posted,
    wait_state,
    wait_verified,
)
from tests.support.harness import Clock, RunningBot, bot_env

REVERT = "/wxa/revertcoderelease"


def test_help_and_unknown_text_get_usage(bot: RunningBot, wechat: FakeWeChat) -> None:
    help_response, _ = bot.sender.command("help")
    assert help_response.status_code == 200
    assert "second person approves" in help_response.json()["text"]
    unknown, _ = bot.sender.command("<script> please now")
    assert unknown.status_code == 200
    assert "I don't know `&lt;script&gt; please now`" in unknown.json()["text"]
    assert "second person approves" in unknown.json()["text"]
    not_a_program, _ = bot.sender.command("<script>please")
    assert "I don't know the mini program `&lt;script&gt;please`" in not_a_program.json()["text"]
    assert f"this bot manages `{wechat.APPID}`" in not_a_program.json()["text"]
    assert wechat.calls == []  # neither asked WeChat anything


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [(None, "v0=" + "0" * 64), (int(time.time()) - 600, None)],
    ids=["forged signature", "stale timestamp"],
)
def test_unsigned_or_stale_requests_are_refused(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, timestamp: int | None, signature: str | None
) -> None:
    body = urlencode({"command": "/miniprogram-rollback", "text": "", "user_id": "UALICE", "team_id": "T0FAKE"})
    response = bot.sender.post(body.encode(), timestamp=timestamp, signature=signature)
    assert response.status_code == 401
    assert wechat.calls == []
    assert not slack.response_posts


def test_empty_history_is_explained(bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat) -> None:
    wechat.history.clear()  # no earlier release
    picker = open_picker(bot, slack)
    assert version_buttons(picker) == []
    assert "WeChat lists no version to roll back to" in picker["blocks"][-1]["text"]["text"]


def test_listing_system_error_is_explained_after_bounded_retries(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    for _ in range(3):
        wechat.fail_next(REVERT + "#list", Fault(errcode=-1))
    _, response_url = bot.sender.command("")
    text = slack.wait_for(
        lambda s: [p.body["text"] for p in s.posts_to(response_url) if "system error" in p.body["text"]]
    )
    assert "WeChat reported a system error" in text[0] and "Nothing was changed" in text[0]
    assert len(wechat.calls_to(REVERT)) == 3
    assert wechat.rollback_calls() == []


def test_running_gray_release_is_explained_before_any_request(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    wechat.set_gray_release(1, 20)
    picker = open_picker(bot, slack)
    assert [button["action_id"] for button in version_buttons(picker)] == [STOP_GRAY]  # the versions wait
    assert "WeChat refuses every rollback while it runs or is paused" in picker["blocks"][1]["text"]["text"]


def test_blank_reason_is_refused_in_the_modal(bot: RunningBot, slack: FakeSlack) -> None:
    picker = open_picker(bot, slack)
    button = version_buttons(picker)[0]
    bot.sender.block_action(button["action_id"], button["value"], user="UALICE", container_ephemeral=True)
    view = slack.wait_for(lambda s: s.calls_to("views.open"))[0].args["view"]
    values = {REASON_BLOCK: {REASON_INPUT: {"type": "plain_text_input", "value": "   "}}}
    response = bot.sender.view_submission(REASON_VIEW, values, view["private_metadata"], "UALICE")
    assert response.json()["response_action"] == "errors"
    assert "reason" in response.json()["errors"][REASON_BLOCK]
    assert not slack.calls_to("chat.postMessage")


def test_request_not_postable_is_withdrawn_and_offered_again(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    """The bot is not in the channel: the request is withdrawn, the requester is told why in words that fit, and
    "Post again…" brings back the form with what they typed; once the bot is invited, it is posted."""
    slack.fail_next("chat.postMessage", "not_in_channel")
    picker_url = submit_reason(bot, slack, "checkout broken since 1.2.0")
    notice = slack.wait_for(lambda s: [p.body for p in s.posts_to(picker_url) if p.body.get("blocks")])[-1]
    assert "withdrawn" in notice["text"] and "`/invite`" in notice["text"] and "not a member" in notice["text"]
    request = slack.wait_for(lambda _: bot.workflow.get(1))
    assert request.state is State.CANCELLED
    assert len(slack.calls_to("chat.postMessage")) == 1  # a refusal for good is not repeated

    again = notice["blocks"][-1]["elements"][0]
    assert again["action_id"] == REPOST
    _, notice_url = bot.sender.block_action(REPOST, again["value"], "UALICE", container_ephemeral=True)
    form = slack.wait_for(lambda s: s.calls_to("views.open")[1:])[0].args["view"]
    typed = form["blocks"][1]["element"]["initial_value"]
    assert typed == "checkout broken since 1.2.0"
    values = {REASON_BLOCK: {REASON_INPUT: {"type": "plain_text_input", "value": typed}}}
    bot.sender.view_submission(REASON_VIEW, values, form["private_metadata"], "UALICE")
    posted = wait_posted(bot, slack, notice_url)
    assert posted.id == 2 and posted.reason == typed and posted.state is State.PENDING


def test_a_post_slack_keeps_refusing_is_withdrawn_with_the_cause(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    """Rate-limited on every try: waited out a few times, then withdrawn, and the requester hears it was Slack's
    limit, not that they should `/invite` the bot."""
    slack.rate_limit_next("chat.postMessage", retry_after=1, times=20)
    picker_url = submit_reason(bot, slack, "broken")
    notice = slack.wait_for(lambda s: [p.body for p in s.posts_to(picker_url) if p.body.get("blocks")], 60)[-1]
    assert "limiting how fast" in notice["text"] and "/invite" not in notice["text"]
    assert notice["blocks"][-1]["elements"][0]["action_id"] == REPOST
    assert bot.workflow.get(1).state is State.CANCELLED  # type: ignore[union-attr]
    assert 2 < len(slack.calls_to("chat.postMessage")) < 20  # tried again, a bounded number of times


def test_a_post_that_may_have_landed_is_never_repeated(bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat) -> None:
    """Slack's `internal_error` means some of the call may have happened: one post, no second copy, and the
    requester is told a copy that shows up cannot be approved."""
    slack.fail_next("chat.postMessage", "internal_error")
    picker_url = submit_reason(bot, slack, "broken")
    notice = ephemeral_text(slack, picker_url)
    assert "did not answer" in notice and "cannot be approved" in notice
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert bot.workflow.get(1).state is State.CANCELLED  # type: ignore[union-attr]


def test_a_direct_message_is_refused_at_the_command(bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat) -> None:
    """Not after the picker and the modal, with an `/invite` tip that cannot work there: at once, in one line."""
    response, _ = bot.sender.command("", user="UALICE", channel="D0DIRECT")
    assert response.status_code == 200
    assert "requested in a channel" in response.json()["text"]
    assert wechat.calls_to("/wxa/getversioninfo") == [] and slack.calls_to("views.open") == []


def test_a_reply_whose_response_url_expired_comes_as_an_ephemeral(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    """A reject form submitted after its response_url expired (30 minutes): the refusal reaches the person who
    submitted it through chat.postEphemeral, not nowhere."""
    request = request_rollback(bot, slack, "1.1.0")
    opened_before = len(slack.calls_to("views.open"))
    click(bot, request, REJECT, "UBOB")
    view = slack.wait_for(lambda s: s.calls_to("views.open")[opened_before:])[0].args["view"]
    click(bot, request, CANCEL, "UALICE")  # the request ends while the form is open
    slack.wait_for(lambda _: bot.workflow.get(request.id).state is State.CANCELLED)  # type: ignore[union-attr]
    slack.expire_response_urls()
    values = {NOTE_BLOCK: {NOTE_INPUT: {"type": "plain_text_input", "value": "not the cause"}}}
    assert bot.sender.view_submission(REJECT_VIEW, values, view["private_metadata"], "UBOB").status_code == 200
    told = slack.wait_for(lambda s: [c for c in s.calls_to("chat.postEphemeral") if c.args.get("user") == "UBOB"])
    assert "already cancelled" in told[0].args["text"] and told[0].args["channel"] == request.channel_id


def test_a_rate_limited_post_is_retried_not_withdrawn(bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat) -> None:
    """One HTTP 429 on posting the request (Slack did nothing) is waited out and the post made again: the request
    is posted, never withdrawn with an `/invite` tip."""
    slack.rate_limit_next("chat.postMessage", retry_after=1)
    request = request_rollback(bot, slack, "1.1.0")
    assert request.state is State.PENDING and request.message_ts is not None
    limited = [call for call in slack.calls_to("chat.postMessage") if call.response.get("error") == "ratelimited"]
    assert len(limited) == 1
    assert slack.message(request.channel_id, request.message_ts)  # the request message is in the channel


def test_only_listed_approvers_may_approve(
    slack: FakeSlack, wechat: FakeWeChat, database_url: str, clock: Clock
) -> None:
    bot = RunningBot(bot_env(slack, wechat, database_url, APPROVER_USER_IDS="UBOB"), slack, clock)
    try:
        request = request_rollback(bot, slack, "1.1.0")
        assert "not on the approver list" in ephemeral_text(slack, click(bot, request, APPROVE, "UCAROL"))
        assert wechat.rollback_calls() == []
        click(bot, request, APPROVE, "UBOB")
        assert wait_verified(bot, slack, request.id).decided_by == "UBOB"
    finally:
        bot.stop()
    assert len(wechat.rollback_calls()) == 1


def _approve_and_wait(bot: RunningBot, slack: FakeSlack, *states: State) -> str:
    """Request, approve, and return the request message's text once it shows the outcome."""
    request = request_rollback(bot, slack, "1.1.0")
    click(bot, request, APPROVE, "UBOB")

    def settled(_: FakeSlack) -> RollbackRequest | None:
        current = bot.workflow.get(request.id)
        assert current is not None
        if current.state not in states:
            return None
        # An accepted rollback is shown at once, then verified by the read that follows.
        verifying = current.state is State.SUCCEEDED and current.verified is False and current.recheck_at
        return None if verifying else current

    done = slack.wait_for(settled)
    assert done.outcome is not None
    ends = (done.outcome[:20], done.outcome[-20:])
    slack.wait_for(lambda s: not has_buttons(s, done) and all(end in message_text(s, done) for end in ends))
    return message_text(slack, done)


def test_gray_release_started_after_the_request_is_caught_before_sending(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    wechat.set_gray_release(1)
    click(bot, request, APPROVE, "UBOB")
    done = wait_state(bot, slack, request.id, State.FAILED)
    slack.wait_for(lambda s: "phased (gray) release is in progress" in message_text(s, done))
    assert "was not sent" in message_text(slack, done)
    assert wechat.rollback_calls() == []


def test_gray_release_refusal_from_wechat_is_explained(bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat) -> None:
    wechat.fail_next(REVERT, Fault(errcode=87011))  # the plan read clean, but WeChat still refused
    text = _approve_and_wait(bot, slack, State.FAILED)
    assert "phased (gray) release is in progress" in text and "(WeChat 87011:" in text
    assert len(wechat.rollback_calls()) == 1


def test_rollback_timeout_is_verified_never_retried(
    slack: FakeSlack, wechat: FakeWeChat, database_url: str, clock: Clock
) -> None:
    bot = RunningBot(bot_env(slack, wechat, database_url, WECHAT_TIMEOUT_SECONDS="1"), slack, clock)
    try:
        wechat.fail_next(REVERT, Fault(delay=1.6, apply=True))  # applied, but the answer comes too late
        applied = _approve_and_wait(bot, slack, State.SUCCEEDED)
        assert "no answer from WeChat within 1 s" in applied and "verified" in applied
        assert len(wechat.rollback_calls()) == 1
        wechat.release("1.3.0", "hotfix")
        wechat.fail_next(REVERT, Fault(delay=1.6))  # not applied, and the answer comes too late
        request = request_rollback(bot, slack, "1.1.0")
        click(bot, request, APPROVE, "UBOB")
        done = wait_state(bot, slack, request.id, State.UNKNOWN)
        slack.wait_for(lambda s: "Re-checking the online version (it reads 1.3.0)" in message_text(s, done))
        assert len(wechat.rollback_calls()) == 2
    finally:
        bot.stop()


def test_forbidden_version_fails_explained(bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat) -> None:
    wechat.fail_next(REVERT, Fault(errcode=87012))
    text = _approve_and_wait(bot, slack, State.FAILED)
    assert "WeChat refuses to roll back to this version" in text
    assert "(WeChat 87012: forbid revert this version release / 该版本不能回退" in text
    assert len(wechat.rollback_calls()) == 1


def test_system_error_not_applied_is_rechecked_and_not_retried(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, clock: Clock
) -> None:
    """A lost answer with the old version still online proves nothing yet (WeChat may apply it late): unknown,
    re-checked on schedule, never re-sent; unknown for good when it never shows."""
    wechat.fail_next(REVERT, Fault(errcode=-1))
    text = _approve_and_wait(bot, slack, State.UNKNOWN)
    assert "Outcome unknown so far" in text and "system error" in text and "Re-checking" in text
    request = bot.workflow.history(1)[0]
    for delay in RECHECK_AFTER_SECONDS:
        clock.advance(delay)
    done = slack.wait_for(lambda _: _settled(bot, request.id))
    assert done.state is State.UNKNOWN and "5 minutes later" in (done.outcome or "")
    assert len(wechat.rollback_calls()) == 1
    assert wechat.online is not None and wechat.online.user_version == "1.2.0"


def test_lost_response_of_applied_rollback_is_verified_success(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    wechat.fail_next(REVERT, Fault(errcode=-1, apply=True))
    text = _approve_and_wait(bot, slack, State.SUCCEEDED)
    assert "answer to the rollback was lost" in text and "verified" in text
    assert len(wechat.rollback_calls()) == 1


def test_unknown_outcome_when_nothing_can_be_read_back(bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    wechat.fail_next(REVERT, Fault(status=502))
    wechat.fail_next("/wxa/getversioninfo", Fault())  # the approval's check that the request is current passes
    for _ in range(3):  # every read of the verification fails
        wechat.fail_next("/wxa/getversioninfo", Fault(status=503))
    click(bot, request, APPROVE, "UBOB")
    done = wait_state(bot, slack, request.id, State.UNKNOWN)
    slack.wait_for(lambda s: "Outcome unknown" in message_text(s, done) and "admin console" in message_text(s, done))
    assert "could not be read" in (done.outcome or "")
    assert len(wechat.rollback_calls()) == 1
    assert bot.workflow.events(request.id)[-1].kind is EventKind.UNKNOWN


def test_invalid_token_is_refreshed_and_the_rollback_sent_once_more(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat
) -> None:
    wechat.fail_next(REVERT, Fault(errcode=40001))
    _approve_and_wait(bot, slack, State.SUCCEEDED)
    calls = wechat.rollback_calls()
    assert len(calls) == 2  # the first was refused for its token, which proves WeChat did nothing
    assert calls[0].query["access_token"] != calls[1].query["access_token"]
    assert wechat.online is not None and wechat.online.user_version == "1.1.0"


@pytest.mark.parametrize("first_landed", [False, True], ids=["not applied", "applied"])
def test_a_refused_re_send_is_read_back_before_not_applied(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, first_landed: bool
) -> None:
    """A re-send after a token error that WeChat refuses (87012: no second rollback) may follow a first send that
    landed after all: the online version decides, never the refusal alone."""
    wechat.fail_next(REVERT, Fault(errcode=40001, apply=first_landed))
    wechat.fail_next(REVERT, Fault(errcode=87012))
    text = _approve_and_wait(bot, slack, State.SUCCEEDED if first_landed else State.FAILED)
    done = bot.workflow.history(1)[0]
    assert done.verified is True and len(wechat.rollback_calls()) == 2
    assert ("Verified: WeChat reports 1.1.0 online" if first_landed else "Not applied") in text


def test_no_token_or_secret_reaches_the_logs(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, logged: Callable[[list[str]], io.StringIO]
) -> None:
    output_stream = logged(bot.runtime.settings.secrets())
    wechat.fail_next(REVERT, Fault(errcode=40001))
    _approve_and_wait(bot, slack, State.SUCCEEDED)
    output = output_stream.getvalue()
    assert "access_token=[redacted]" in output  # urllib3 logged the URLs, scrubbed
    issued = {call.query["access_token"] for call in wechat.calls if "access_token" in call.query}
    assert len(issued) == 2
    for secret in [*issued, wechat.SECRET, slack.BOT_TOKEN, bot.runtime.settings.slack_signing_secret]:
        assert secret and secret not in output


def test_daily_quota_used_up_fails_explained(bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat) -> None:
    wechat.fail_next(REVERT, Fault(errcode=45009))
    text = _approve_and_wait(bot, slack, State.FAILED)
    assert "The daily call quota for this API is used up" in text and "admin console" in text
    assert "(WeChat 45009:" in text
    assert len(wechat.rollback_calls()) == 1


@pytest.mark.parametrize("applied", [True, False], ids=["applied", "not applied"])
def test_a_non_json_answer_is_verified_never_retried(
    bot: RunningBot, slack: FakeSlack, wechat: FakeWeChat, applied: bool
) -> None:
    wechat.fail_next(REVERT, Fault(body="<html><body>Service Unavailable</body></html>", apply=applied))
    text = _approve_and_wait(bot, slack, State.SUCCEEDED if applied else State.UNKNOWN)
    assert ("verified" if applied else "re-checking") in text.lower()
    assert len(wechat.rollback_calls()) == 1
    assert wechat.online is not None and wechat.online.user_version == ("1.1.0" if applied else "1.2.0")


def _settled(bot: RunningBot, request_id: int) -> RollbackRequest | None:
    """Every planned read of the online version made."""
    request = bot.workflow.get(request_id)
    return request if request is not None and request.recheck_at is None else None
