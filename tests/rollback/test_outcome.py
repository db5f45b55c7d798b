from bot.rollback.model import NotSentCause, State
from bot.rollback.outcome import (
    judge_abandoned,
    judge_accepted,
    judge_not_sent,
    judge_refused,
    judge_still_unconfirmed,
    judge_unanswered,
    judge_verified,
)
from bot.wechat.errors import OutcomeUnknown, TokenUnavailable, Unavailable, WeChatError
from tests.support.factories import make_request

REQUEST = make_request()  # online 1.2.0, target 1.1.0
LOST = OutcomeUnknown(Unavailable.SYSTEM_ERROR, -1, "system error")


def test_accepted_is_shown_at_once_and_verified_after() -> None:
    outcome = judge_accepted(REQUEST)
    assert (outcome.state, outcome.verified, outcome.errcode, outcome.recheck) == (State.SUCCEEDED, False, 0, True)
    assert "WeChat accepted" in outcome.words
    verified = judge_verified(REQUEST, "1.1.0")
    assert (verified.state, verified.verified) == (State.SUCCEEDED, True)
    assert "Verified: WeChat reports 1.1.0 online" in verified.words


def test_same_version_name_cannot_be_verified_and_is_not_rechecked() -> None:
    request = make_request(online_version="1.1.0")
    accepted = judge_accepted(request)
    assert (accepted.verified, accepted.recheck) == (False, False)
    lost = judge_unanswered(request, LOST, "1.1.0")
    assert (lost.state, lost.recheck) == (State.UNKNOWN, False)
    assert "cannot tell" in lost.words and "admin console" in lost.words and "Re-checking" not in lost.words


def test_refused_is_failure_with_explanation() -> None:
    outcome = judge_refused(REQUEST, WeChatError(87011, "wxa has a gray release plan, forbid revert release"))
    assert (outcome.state, outcome.errcode) == (State.FAILED, 87011)
    assert "phased (gray) release" in outcome.words
    assert "Not applied" in outcome.words


def test_lost_answer_then_target_online_is_verified_success() -> None:
    outcome = judge_unanswered(REQUEST, LOST, "1.1.0")
    assert (outcome.state, outcome.verified, outcome.errcode) == (State.SUCCEEDED, True, -1)
    assert "verified" in outcome.words


def test_lost_answer_then_old_version_online_stays_open_to_rechecks() -> None:
    """The rollback may still land (a slow WeChat, a paused sender): never "not applied" from a lost answer."""
    outcome = judge_unanswered(REQUEST, LOST, "1.2.0")
    assert (outcome.state, outcome.verified, outcome.recheck) == (State.UNKNOWN, False, True)
    assert "not retried" in outcome.words and "Re-checking" in outcome.words


def test_lost_answer_and_nothing_readable_is_unknown() -> None:
    outcome = judge_unanswered(REQUEST, OutcomeUnknown(Unavailable.NO_ANSWER, facts={"seconds": 15}), None)
    assert (outcome.state, outcome.verified) == (State.UNKNOWN, False)
    assert "Outcome unknown" in outcome.words and "could not be read" in outcome.words


def test_abandoned_sender_is_settled_from_the_online_version_only() -> None:
    assert judge_abandoned(REQUEST, "1.1.0").state is State.SUCCEEDED
    assert judge_abandoned(REQUEST, "1.2.0").state is State.UNKNOWN
    assert judge_abandoned(REQUEST, None).state is State.UNKNOWN


def test_not_sent_and_still_unconfirmed_say_so() -> None:
    not_sent = judge_not_sent(REQUEST, NotSentCause.WECHAT_UNAVAILABLE, TokenUnavailable(failed="OSError"))
    assert (not_sent.state, not_sent.sent) == (State.FAILED, False)
    assert judge_unanswered(REQUEST, LOST, None).sent
    final = judge_still_unconfirmed(REQUEST, "1.2.0")
    assert (final.state, final.verified) == (State.UNKNOWN, False)
    assert "5 minutes later" in final.words and "admin console" in final.words


def test_a_refused_resend_is_read_back_before_not_applied() -> None:
    refused = WeChatError(87012, "forbid revert this version release", after_resend=True)
    assert judge_refused(REQUEST, refused, "1.1.0").state is State.SUCCEEDED  # the first send had landed
    not_applied = judge_refused(REQUEST, refused, "1.2.0")
    assert (not_applied.state, not_applied.verified) == (State.FAILED, True)
