"""The facts the workflow hands over about the version watch's changes, stale withdrawals and a stop's plan, worded
here in the reader's language: in English as the record words them, in Chinese with no English left."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from bot.i18n import speaking
from bot.rollback.changes import Change, ChangeKind, SeenChange
from bot.rollback.model import Event, EventKind, RequestKind, State, Target
from bot.rollback.staleness import StaleCause, Staleness
from bot.slack.messages.kinds import plan_summary, stale_reason
from bot.slack.messages.request import request_message
from bot.slack.messages.timeline import timeline_lines
from bot.slack.messages.watch import seen_words
from tests.support.factories import T0, make_request

EVERY_CHANGE = (
    Change(ChangeKind.RELEASED, version="1.3.0", before="1.2.0"),
    Change(ChangeKind.ROLLED_BACK, version="1.1.0", before=None),
    Change(ChangeKind.GRAY_STARTED, status=1, percentage=5),
    Change(ChangeKind.GRAY_MOVED, from_percentage=5, percentage=20),
    Change(ChangeKind.GRAY_PAUSED, percentage=20),
    Change(ChangeKind.GRAY_RESUMED, percentage=20),
    Change(ChangeKind.GRAY_FINISHED),
    Change(ChangeKind.GRAY_STOPPED, percentage=20),
)
EVERY_CAUSE = (
    Staleness(StaleCause.ONLINE_CHANGED, before="1.2.0", after="1.3.0"),
    Staleness(StaleCause.GRAY_BLOCKS, status=2),
    Staleness(StaleCause.GRAY_STOPPED),
    Staleness(StaleCause.GRAY_REPLACED),
    Staleness(StaleCause.GRAY_ENDED, status=3),
    Staleness(StaleCause.GRAY_UNTOLD),
    Staleness(StaleCause.GRAY_CHANGED, status=1, percentage=10),
)
# Two English words in a row (version names and mentions taken out first).
ENGLISH_RUN = re.compile(r"\b[A-Za-z]{2,}(?: [A-Za-z]{2,})+\b")


def _english(text: str) -> list[str]:
    return ENGLISH_RUN.findall(re.sub(r"`[^`]*`|<[^>]*>|:[a-z_]+:|app_version", " ", text))


@pytest.mark.parametrize("by_requests", [(), (3,), (3, 4)])
def test_a_change_reads_in_english_as_recorded(by_requests: tuple[int, ...]) -> None:
    seen = SeenChange(EVERY_CHANGE, by_requests)
    with speaking("en"):
        assert seen_words(seen) == seen.words


@pytest.mark.parametrize("by_requests", [(), (3, 4)])
def test_a_change_reads_in_chinese(by_requests: tuple[int, ...]) -> None:
    with speaking("zh"):
        said = seen_words(SeenChange(EVERY_CHANGE, by_requests))
    assert _english(said) == [], said
    assert "1.3.0" in said and "20%" in said and ("#4" in said) == bool(by_requests)


def test_the_facts_survive_the_record() -> None:
    seen = SeenChange(EVERY_CHANGE, (3,))
    assert SeenChange.from_json(seen.to_json()) == seen
    assert SeenChange.from_json(None) is None and SeenChange.from_json("not json") is None
    for why in EVERY_CAUSE:
        assert Staleness.from_json(why.to_json()) == why


def test_a_change_recorded_before_the_facts_reads_as_recorded() -> None:
    with speaking("zh"):
        assert seen_words("released 1.3.0 <!channel>") == "released 1.3.0 &lt;!channel&gt;"


@pytest.mark.parametrize("why", EVERY_CAUSE, ids=lambda why: why.cause.value)
def test_every_stale_cause_reads_in_chinese_in_the_thread_and_the_outcome(why: Staleness) -> None:
    kind = RequestKind.ROLLBACK if why.cause in (StaleCause.ONLINE_CHANGED, StaleCause.GRAY_BLOCKS) else None
    request = make_request(state=State.CANCELLED, finished_at=T0, decision_note=why.words, stale=why)
    if kind is None:
        request = replace(request, kind=RequestKind.STOP_GRAY, target=_plan_target(created=1_700_000_000))
    request = replace(request, outcome=f"Withdrawn as stale: changed outside the bot: {why.words}.")
    watch = Event(EventKind.STALE, None, T0, detail=f"changed outside the bot: {why.words}")
    with speaking("zh"):
        [line] = timeline_lines(watch, request)
        _, blocks = request_message(request)
    shown = "\n".join(block["text"]["text"] for block in blocks if "text" in block)
    assert _english(line) == [] and "审批时" not in line, line
    assert _english(shown.replace("checkout broken", "").replace("stable build", "")) == [], shown
    with speaking("en"):
        [line] = timeline_lines(watch, request)
        assert "by the version watch" in line and "tried to approve" not in line, line
        assert stale_reason(request, why.words) != ""


def test_a_stale_request_recorded_before_the_facts_reads_as_recorded_in_english() -> None:
    request = make_request(state=State.CANCELLED, decision_note="the online version changed from 1.2.0 to 1.3.0")
    with speaking("en"):
        assert stale_reason(request, str(request.decision_note)) == "the online version changed from 1.2.0 to 1.3.0"
    with speaking("zh"):
        assert _english(stale_reason(request, str(request.decision_note))) == []


@pytest.mark.parametrize("created", [0, 1_700_000_000])
def test_a_stops_plan_reads_in_the_readers_language(created: int) -> None:
    request = make_request(kind=RequestKind.STOP_GRAY, target=_plan_target(created))
    with speaking("zh"):
        said = plan_summary(request)
    assert _english(said) == [] and "进行中" in said and "5%" in said, said
    with speaking("en"):
        said = plan_summary(request)
    assert said.startswith("running at 5%, start"), said
    assert ("<!date^1700000000^" in said) == bool(created), said


def _plan_target(created: int) -> Target:
    started = "2023-11-14 22:13 UTC" if created else "?"
    traits = "5% experiencer_first=False debuger_first=False"
    return Target(0, traits, f"running at 5%, started {started}", created, plan_status=1, plan_percentage=5)


def test_a_stop_whose_plan_is_known_only_in_words_shows_them_as_recorded() -> None:
    """The store reads the bot's own summary back for rows from before revision 0012 (tests/store/
    test_migrations.py); words of any other form reach the messages as words: shown as recorded to an English
    reader, in general terms to others."""
    other = replace(_plan_target(1_700_000_000), user_desc="a plan", plan_status=None, plan_percentage=None)
    request = make_request(kind=RequestKind.STOP_GRAY, target=other)
    assert request.plan is None
    with speaking("en"):
        assert plan_summary(request) == "a plan"
    with speaking("zh"):
        said = plan_summary(request)
    assert _english(said) == [] and "<!date^1700000000^" in said, said


def test_a_stops_plan_is_told_from_its_facts_not_its_words() -> None:
    """The recorded words are for the record: what each reader is told comes from the facts beside them."""
    target = replace(_plan_target(1_700_000_000), user_desc="paused at 50%, started 2020-01-01 00:00 UTC")
    request = make_request(kind=RequestKind.STOP_GRAY, target=target)
    assert request.plan is not None and (request.plan.status, request.plan.percentage) == (1, 5)
    with speaking("en"):
        said = plan_summary(request)
    assert said.startswith("running at 5%, started <!date^1700000000^"), said
