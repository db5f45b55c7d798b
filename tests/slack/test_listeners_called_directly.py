"""Listeners are module-level functions: called here as Bolt calls them, with Bolt's own Ack and context."""

from __future__ import annotations

import pytest
from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.slack import payloads
from bot.slack.actions.repost import repost
from bot.slack.ids import REASON_BLOCK
from bot.slack.views.reason_submitted import reason_submitted


def test_a_damaged_form_is_refused_in_the_form_before_anything_else() -> None:
    ack = Ack()
    view = {"private_metadata": "not json"}
    reason_submitted(ack=ack, body={}, view=view, client=WebClient(), context=BoltContext())
    assert ack.response is not None and ack.response.status == 200
    assert '"response_action": "errors"' in ack.response.body and REASON_BLOCK in ack.response.body


def test_a_forged_post_again_button_changes_nothing() -> None:
    ack = Ack()
    body = {"actions": [{"value": '{"appid": 7}'}], "user": {"id": "UALICE"}}
    with pytest.raises(payloads.BadPayload):
        repost(ack=ack, body=body, client=WebClient(), respond=None, context=BoltContext())  # type: ignore[arg-type]
    assert ack.response is not None  # acknowledged first: Slack is never left waiting
