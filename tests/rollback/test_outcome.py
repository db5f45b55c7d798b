from bot.rollback.model import State
from bot.rollback.outcome import judge_accepted, judge_refused, judge_unanswered
from bot.wechat.errors import OutcomeUnknown, WeChatError
from tests.factories import make_request

REQUEST = make_request()  # online 1.2.0, target 1.1.0
LOST = OutcomeUnknown("WeChat answered -1 (system error)", -1, "system error")


def test_accepted_and_read_back_is_verified_success() -> None:
    outcome = judge_accepted(REQUEST, "1.1.0")
    assert (outcome.state, outcome.verified, outcome.errcode) == (State.SUCCEEDED, True, 0)
    assert "Verified" in outcome.words


def test_accepted_but_unreadable_is_success_not_verified() -> None:
    outcome = judge_accepted(REQUEST, None)
    assert (outcome.state, outcome.verified) == (State.SUCCEEDED, False)
    assert "not yet confirmed" in outcome.words


def test_accepted_but_other_version_online_is_unknown() -> None:
    outcome = judge_accepted(REQUEST, "1.3.0")
    assert outcome.state is State.UNKNOWN
    assert "admin console" in outcome.words


def test_same_version_name_cannot_be_verified() -> None:
    request = make_request(online_version="1.1.0")
    assert judge_accepted(request, "1.1.0").verified is False
    assert judge_unanswered(request, LOST, "1.1.0").state is State.UNKNOWN


def test_refused_is_failure_with_explanation() -> None:
    outcome = judge_refused(REQUEST, WeChatError(87011, "wxa has a gray release plan, forbid revert release"))
    assert (outcome.state, outcome.errcode) == (State.FAILED, 87011)
    assert "phased (gray) release" in outcome.words
    assert "Not applied" in outcome.words


def test_lost_answer_then_target_online_is_verified_success() -> None:
    outcome = judge_unanswered(REQUEST, LOST, "1.1.0")
    assert (outcome.state, outcome.verified, outcome.errcode) == (State.SUCCEEDED, True, -1)


def test_lost_answer_then_old_version_online_is_verified_not_applied() -> None:
    outcome = judge_unanswered(REQUEST, LOST, "1.2.0")
    assert (outcome.state, outcome.verified) == (State.FAILED, True)
    assert "Not applied (verified)" in outcome.words
    assert "not retried" in outcome.words


def test_lost_answer_and_nothing_readable_is_unknown() -> None:
    outcome = judge_unanswered(REQUEST, OutcomeUnknown("no answer from WeChat within 15 s"), None)
    assert (outcome.state, outcome.verified) == (State.UNKNOWN, False)
    assert "Outcome unknown" in outcome.words
