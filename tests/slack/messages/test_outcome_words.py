"""Why a request was not sent, and why WeChat gave no usable answer: recorded as facts, told in each language."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from bot.i18n import speaking
from bot.rollback.model import NotSentCause, OutcomeCause, RequestKind, RollbackRequest, State
from bot.rollback.outcome import judge_abandoned, judge_accepted, judge_not_sent, judge_still_unconfirmed
from bot.rollback.verdict import Outcome
from bot.samples import sample_request
from bot.slack.messages.outcome import outcome_words
from bot.slack.messages.wechat_errors import unavailable_problem
from bot.wechat.errors import (
    NotSent,
    Part,
    TokenUnavailable,
    Unavailable,
    WeChatUnavailable,
    error_for,
    unavailable_from,
)

ENGLISH_RUN = re.compile(r"\b[A-Za-z]{2,}(?: [A-Za-z]{2,})+\b")
SENDING = sample_request(state=State.SENDING)
UNAVAILABLE = [
    WeChatUnavailable(Unavailable.CONNECT_TIMEOUT, seconds=3.05),
    WeChatUnavailable(Unavailable.UNREACHABLE),
    WeChatUnavailable(Unavailable.NO_ANSWER, seconds=15),
    WeChatUnavailable(Unavailable.CONNECTION_BROKE),
    WeChatUnavailable(Unavailable.REQUEST_FAILED, error="ChunkedEncodingError"),
    WeChatUnavailable(Unavailable.HTTP_STATUS, status=502),
    WeChatUnavailable(Unavailable.NOT_JSON),
    WeChatUnavailable(Unavailable.NOT_OBJECT),
    *(WeChatUnavailable(Unavailable.UNREADABLE, what=part) for part in Part),
    NotSent(),
    WeChatUnavailable(Unavailable.SOURCE_NO_ANSWER, seconds=10, service="https://tokens.internal/token"),
    WeChatUnavailable(Unavailable.SOURCE_UNREACHABLE, error="ConnectionError", service="https://tokens.internal/t"),
    WeChatUnavailable(Unavailable.SOURCE_HTTP_STATUS, status=500, service="https://tokens.internal/token"),
    WeChatUnavailable(Unavailable.SOURCE_NOT_STARTED, error="FileNotFoundError", command="/usr/bin/get-token"),
    WeChatUnavailable(Unavailable.SOURCE_TOO_SLOW, seconds=0.3, command="get-token"),
    WeChatUnavailable(Unavailable.SOURCE_EXIT_CODE, code=3, command="get-token"),
    WeChatUnavailable(Unavailable.SOURCE_NOT_JSON, command="get-token"),
    WeChatUnavailable(Unavailable.SOURCE_NOT_OBJECT, service="https://tokens.internal/token"),
    WeChatUnavailable(Unavailable.TOKEN_EXPIRES_IN),
    WeChatUnavailable(Unavailable.TOKEN_MISSING, field="access_token", command="get-token"),
    WeChatUnavailable(Unavailable.TOKEN_WAIT),
    WeChatUnavailable(Unavailable.TICKET_MISSING, env="PLATFORM_TICKET"),
    WeChatUnavailable(Unavailable.TICKET_EMPTY, file="/run/secrets/ticket"),
    WeChatUnavailable(Unavailable.TICKET_UNREADABLE, error="PermissionError", file="/run/secrets/ticket"),
    WeChatUnavailable(Unavailable.TICKET_QUERY_FAILED, error="OperationalError"),
    WeChatUnavailable(Unavailable.TICKET_QUERY_SHAPE, rows=2, columns=1),
    WeChatUnavailable(Unavailable.TICKET_NOT_TEXT, type="int"),
    TokenUnavailable(error_for(40164, "invalid ip rid: 1-2-3")),
    TokenUnavailable(failed="OperationalError"),
]


def english_in(text: str) -> list[str]:
    cleaned = re.sub(r"`[^`]*`|<[^>]*>|:[a-z_]+:|https?://\S+|\b[a-z]+_[a-z_]+\b|API IP|JSON|errmsg", " ", text)
    return ENGLISH_RUN.findall(cleaned.replace("invalid ip", " "))


def finished(request: RollbackRequest, outcome: Outcome) -> RollbackRequest:
    return replace(request, state=outcome.state, outcome=outcome.words, verified=outcome.verified, cause=outcome.cause)


def test_every_cause_is_exercised() -> None:
    assert {error.why for error in UNAVAILABLE} >= set(Unavailable) - {Unavailable.SYSTEM_ERROR, Unavailable.INTERNAL}


@pytest.mark.parametrize("error", UNAVAILABLE, ids=lambda error: f"{error.why}")
def test_no_usable_answer_is_told_in_chinese_and_logged_in_english(error: WeChatUnavailable) -> None:
    assert "?" not in str(error) and "token=" not in str(error)  # a log line: never a query, never the token
    with speaking("zh"):
        told = unavailable_problem(error)
    assert told and english_in(told) == [], told
    again = unavailable_from(error.record())  # as a not-sent outcome keeps it
    assert again is not None and (again.why, again.facts, str(again)) == (error.why, error.facts, str(error))


UNKNOWN_CAUSES = (NotSentCause.ANSWER_UNRECORDED, NotSentCause.NOT_SHOWN)  # the request may have reached WeChat
# A phased release never blocks its own stop; WeChat's unavailability is told with its facts, below.
CAUSES = [
    (cause, kind)
    for cause in NotSentCause
    for kind in RequestKind
    if cause not in (NotSentCause.WECHAT_UNAVAILABLE, *UNKNOWN_CAUSES)
    and (cause is not NotSentCause.GRAY_RELEASE or kind is RequestKind.ROLLBACK)
]


@pytest.mark.parametrize(("cause", "kind"), CAUSES)
def test_each_cause_of_not_sending_is_told_in_chinese(cause: NotSentCause, kind: RequestKind) -> None:
    request = replace(SENDING, kind=kind)
    outcome = judge_not_sent(request, cause)
    assert outcome.cause == OutcomeCause(cause) and outcome.state is State.FAILED
    shown = finished(request, outcome)
    assert outcome_words(shown) == outcome.words  # English: the record, as it always read
    with speaking("zh"):
        told = outcome_words(shown)
    assert "未发出" in told and english_in(told) == [], told
    if cause is NotSentCause.GRAY_RELEASE:
        assert "灰度" in told and "再重新申请" in told  # why, and what to do next


def test_wechat_unavailable_keeps_its_facts_on_the_record() -> None:
    outcome = judge_not_sent(SENDING, NotSentCause.WECHAT_UNAVAILABLE, TokenUnavailable(error_for(40164, "invalid ip")))
    recorded = OutcomeCause.load(outcome.cause.stored() if outcome.cause else None)
    assert recorded == outcome.cause
    with speaking("zh"):
        told = outcome_words(finished(SENDING, outcome))
    assert "白名单" in told and english_in(told) == [], told


@pytest.mark.parametrize("stored", [None, "", "not json", "[]", '{"cause": "from_a_newer_bot"}', '{"facts": 1}'])
def test_a_row_without_a_known_cause_reads_as_before(stored: str | None) -> None:
    assert OutcomeCause.load(stored) is None
    unsent = replace(SENDING, state=State.FAILED, outcome="Not applied: the rollback was not sent: why.", cause=None)
    with speaking("zh"):
        assert "未发出" in outcome_words(unsent)


@pytest.mark.parametrize("online", ["1.2.0", None])
def test_an_abandoned_send_left_unknown_says_why_in_chinese(online: str | None) -> None:
    """The replica that was sending stopped before recording WeChat's answer, and the online version does not
    settle it: a Chinese reader is told that, not that WeChat's answer was unclear."""
    outcome = judge_abandoned(SENDING, online)
    assert outcome.state is State.UNKNOWN and outcome.cause == OutcomeCause(NotSentCause.ANSWER_UNRECORDED)
    shown = finished(SENDING, outcome)
    assert outcome_words(shown) == outcome.words
    with speaking("zh"):
        told = outcome_words(shown)
    assert "租约" in told and "未重试" in told and english_in(told) == [], told


def test_an_abandoned_send_the_online_version_shows_is_verified() -> None:
    outcome = judge_abandoned(SENDING, SENDING.target.user_version)
    assert outcome.state is State.SUCCEEDED and outcome.verified and outcome.cause is None


@pytest.mark.parametrize("online", ["1.2.0", None])
def test_an_accepted_rollback_never_shown_is_told_in_chinese(online: str | None) -> None:
    """WeChat accepted, yet the last read-back still does not show the target: the reader is told WeChat accepted
    it and what the online version reads, not that WeChat's answer was unclear."""
    accepted = finished(SENDING, judge_accepted(SENDING))
    outcome = judge_still_unconfirmed(accepted, online)
    assert outcome.cause is not None and outcome.cause.cause is NotSentCause.NOT_SHOWN
    shown = finished(accepted, outcome)
    with speaking("zh"):
        told = outcome_words(shown)
    assert "微信已接受" in told and english_in(told) == [], told
    assert (online or "无法读取") in told, told
