"""A signed modal submission replayed within Slack's five-minute window is acted on once (by view id and hash),
whichever replica receives the replay."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.rollback.model import State
from bot.slack.ids import CANCEL, REASON_BLOCK, REASON_INPUT, REASON_VIEW
from bot.store.database import make_engine
from bot.store.models import RequestRow
from tests.fakes.slack import FakeSlack
from tests.support.flow import click, open_picker, version_buttons, wait_posted, wait_state
from tests.support.harness import Clock, RunningBot

VIEW_ID, VIEW_HASH = "VREPLAYED1", "1700000000.abcd1234"


def requests_recorded(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(RequestRow)).scalar_one())
    finally:
        engine.dispose()


def reason_form(bot: RunningBot, slack: FakeSlack) -> tuple[str, str]:
    """The reason modal opened from the picker: its private_metadata, and the picker's response_url."""
    button = version_buttons(open_picker(bot, slack))[0]
    opened_before = len(slack.calls_to("views.open"))
    _, picker_url = bot.sender.block_action(button["action_id"], button["value"], "UALICE", container_ephemeral=True)
    view = slack.wait_for(lambda s: s.calls_to("views.open")[opened_before:])[0].args["view"]
    return str(view["private_metadata"]), picker_url


def wait_replay_ignored(slack: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    """The replay's listener has run to its end (without the guard it would open a request instead)."""
    slack.wait_for(lambda _: any("already acted on" in record.getMessage() for record in caplog.records))


def values(reason: str) -> dict[str, Any]:
    return {REASON_BLOCK: {REASON_INPUT: {"type": "plain_text_input", "value": reason}}}


def test_a_replayed_reason_form_opens_no_second_request(
    bot: RunningBot, slack: FakeSlack, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    metadata, picker_url = reason_form(bot, slack)
    submit = dict(view_id=VIEW_ID, view_hash=VIEW_HASH)
    assert bot.sender.view_submission(REASON_VIEW, values("checkout broken"), metadata, "UALICE", **submit).ok
    request = wait_posted(bot, slack, picker_url)
    click(bot, request, CANCEL, "UALICE")  # closed: a replay now would otherwise open a new request
    wait_state(bot, slack, request.id, State.CANCELLED)

    replay = bot.sender.view_submission(REASON_VIEW, values("checkout broken"), metadata, "UALICE", **submit)
    assert replay.status_code == 200
    wait_replay_ignored(slack, caplog)
    assert requests_recorded(database_url) == 1
    # A different view (a new form) is a new submission: the guard is on the view, not on the person.
    assert bot.sender.view_submission(REASON_VIEW, values("again"), metadata, "UALICE").ok
    slack.wait_for(lambda _: requests_recorded(database_url) == 2 or None)


def test_a_corrected_form_still_counts_after_field_errors(bot: RunningBot, slack: FakeSlack, database_url: str) -> None:
    """Field errors keep the modal open with the same id and hash: only a submission acted on is remembered."""
    metadata, picker_url = reason_form(bot, slack)
    submit = dict(view_id=VIEW_ID, view_hash=VIEW_HASH)
    refused = bot.sender.view_submission(REASON_VIEW, values("  "), metadata, "UALICE", **submit)
    assert refused.json()["response_action"] == "errors"
    assert bot.sender.view_submission(REASON_VIEW, values("checkout broken"), metadata, "UALICE", **submit).ok
    assert wait_posted(bot, slack, picker_url).reason == "checkout broken"


@pytest.fixture
def second_replica(env: dict[str, str], slack: FakeSlack, clock: Clock) -> Iterator[RunningBot]:
    replica = RunningBot(env, slack, clock)
    yield replica
    replica.stop()


def test_a_replay_to_another_replica_is_refused_too(
    bot: RunningBot,
    second_replica: RunningBot,
    slack: FakeSlack,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    metadata, picker_url = reason_form(bot, slack)
    submit = dict(view_id=VIEW_ID, view_hash=VIEW_HASH)
    assert bot.sender.view_submission(REASON_VIEW, values("checkout broken"), metadata, "UALICE", **submit).ok
    request = wait_posted(bot, slack, picker_url)
    click(bot, request, CANCEL, "UALICE")
    wait_state(bot, slack, request.id, State.CANCELLED)
    sender = second_replica.sender
    assert sender.view_submission(REASON_VIEW, values("checkout broken"), metadata, "UALICE", **submit).ok
    wait_replay_ignored(slack, caplog)
    assert requests_recorded(database_url) == 1
