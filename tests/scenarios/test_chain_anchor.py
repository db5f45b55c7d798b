"""A finished request's thread ends with the audit chain's head after its last step: Slack's own history keeps
an anchor, so a rewrite of the whole chain in the database shows (`audit verify --expect-head`)."""

from __future__ import annotations

from sqlalchemy import select

from bot.slack.ids import APPROVE
from bot.store import audit_check
from bot.store.database import make_engine
from bot.store.models import EventRow
from tests.fakes.slack import FakeSlack
from tests.support.flow import click, request_rollback, wait_verified
from tests.support.harness import RunningBot
from tests.support.words import anchor_head


def test_the_last_reply_of_a_finished_request_shows_the_chain_head(
    bot: RunningBot, slack: FakeSlack, database_url: str
) -> None:
    request = request_rollback(bot, slack, "1.1.0")
    click(bot, request, APPROVE, "UBOB")
    done = wait_verified(bot, slack, request.id)

    def thread(s: FakeSlack) -> list[str]:
        return [c.args["text"] for c in s.calls_to("chat.postMessage") if c.args.get("thread_ts") == done.message_ts]

    replies = slack.wait_for(lambda s: len(thread(s)) >= 5 and anchor_head(thread(s)[-1]) and thread(s))
    assert anchor_head(replies[0]) is None and anchor_head(replies[1]) is None  # open steps carry none
    shown = anchor_head(replies[-1])
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            last = connection.execute(
                select(EventRow.hash).where(EventRow.request_id == done.id).order_by(EventRow.id.desc())
            ).first()
        assert last is not None and shown == last.hash
        assert audit_check.verify(engine, expect_head=shown).ok
    finally:
        engine.dispose()
