"""Why a request was not sent, and why WeChat gave no usable answer: recorded as facts, told in each language."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from bot.i18n import speaking
from bot.rollback.model import NotSentCause, OutcomeCause, RequestKind, RollbackRequest, State
from bot.rollback.outcome import judge_not_sent
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
    TokenUnavailable(error_for(40164, "invalid ip rid: 1-2-3")),
    TokenUnavailable(failed="OperationalError"),
]


def english_in(text: str) -> list[str]:
    cleaned = re.sub(r"`[^`]*`|<[^>]*>|:[a-z_]+:|app_version|access_token|errcode|errmsg|invalid ip|API IP", " ", text)
    return ENGLISH_RUN.findall(cleaned)


def finished(request: RollbackRequest, outcome: Outcome) -> RollbackRequest:
    return replace(request, state=outcome.state, outcome=outcome.words, verified=outcome.verified, cause=outcome.cause)


@pytest.mark.parametrize("error", UNAVAILABLE, ids=lambda error: f"{error.why}")
def test_no_usable_answer_is_told_in_chinese_and_logged_in_english(error: WeChatUnavailable) -> None:
    assert "://" not in str(error) and "token=" not in str(error)  # a log line: never the URL or the token
    with speaking("zh"):
        told = unavailable_problem(error)
    assert told and english_in(told) == [], told
    again = unavailable_from(error.record())  # as a not-sent outcome keeps it
    assert again is not None and (again.why, again.facts, str(again)) == (error.why, error.facts, str(error))


# A phased release never blocks its own stop; WeChat's unavailability is told with its facts, below.
CAUSES = [
    (cause, kind)
    for cause in NotSentCause
    for kind in RequestKind
    if cause is not NotSentCause.WECHAT_UNAVAILABLE
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
