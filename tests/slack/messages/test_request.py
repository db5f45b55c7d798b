from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.rollback.model import State
from bot.slack.ids import APPROVE, CANCEL, REJECT
from bot.slack.messages.request import request_message
from tests.support.factories import T0, make_request


def _text(blocks: list[dict[str, Any]]) -> str:
    parts = []
    for block in blocks:
        if "text" in block:
            parts.append(block["text"]["text"])
        for element in block.get("elements", []):
            parts.append(str(element.get("text")))
    return "\n".join(parts)


def test_pending_request_has_the_facts_and_three_buttons() -> None:
    text, blocks = request_message(make_request())
    body = _text(blocks)
    assert "<@UALICE>" in body
    assert "`wx_app`" in body
    assert "*1.2.0* → *1.1.0* (app_version 101)" in body
    assert "checkout broken &lt;since&gt; 1.2.0 &amp; more" in body  # user text is escaped
    assert f"<!date^{int((T0 + timedelta(minutes=15)).timestamp())}^" in body  # expiry in reader's time
    actions = [block for block in blocks if block["type"] == "actions"]
    assert [element["action_id"] for element in actions[0]["elements"]] == [APPROVE, REJECT, CANCEL]
    assert all(element["value"] == "7" for element in actions[0]["elements"])
    assert "confirm" in actions[0]["elements"][0]
    assert "1.1.0" in text


@pytest.mark.parametrize("state", [s for s in State if s is not State.PENDING])
def test_decided_request_has_no_buttons(state: State) -> None:
    request = make_request(state=state, decided_by="UBOB", decided_at=T0, finished_at=T0, outcome="words")
    _, blocks = request_message(request)
    assert not [block for block in blocks if block["type"] == "actions"]


def test_success_shows_approver_and_outcome() -> None:
    request = make_request(
        state=State.SUCCEEDED, decided_by="UBOB", decided_at=T0, finished_at=T0, outcome="Rolled back to 1.1.0."
    )
    body = _text(request_message(request)[1])
    assert "*Approved by* <@UBOB>" in body
    assert "Rolled back to 1.1.0." in body
    assert ":white_check_mark:" in body


def test_long_user_text_stays_within_block_limits() -> None:
    request = make_request(reason="x" * 5000, target=replace(make_request().target, user_desc="y" * 5000))
    for block in request_message(request)[1]:
        if "text" in block:
            assert len(block["text"]["text"]) <= 3000


def test_a_database_failure_before_any_decision_is_told_as_nothing_recorded() -> None:
    from bot.rollback.model import StoreUnavailable
    from bot.slack.messages.problems import describe_problem

    told = describe_problem(StoreUnavailable("OperationalError"), "ref-1")
    assert "could not be recorded" in told and "nothing was sent" in told and "Something went wrong" not in told


def test_a_partly_approved_request_asks_only_those_who_have_not_approved() -> None:
    paged = ("UBOB", "UCAROL", "here")
    waiting = make_request(approvals_required=2, paged=paged, approvals=("UBOB",))
    body = _text(request_message(waiting)[1])
    assert "Needs 1 more approval by <@UCAROL> <!here>" in body, body
    everyone = make_request(approvals_required=3, paged=("UBOB", "UCAROL"), approvals=("UBOB", "UCAROL"))
    assert "Needs 1 more approval by someone other than <@UALICE>" in _text(request_message(everyone)[1])


def test_the_escalation_group_is_told_not_asked_to_approve() -> None:
    """Escalation pages a group for its attention: the message never says the approval must come from it."""
    alone = make_request(paged=("S0LEADS",), escalated_to="S0LEADS", reminders=2, reminded_at=T0)
    body = _text(request_message(alone)[1])
    assert "Needs approval by someone other than <@UALICE>" in body, body
    assert "Needs approval by <!subteam^S0LEADS>" not in body and "Escalated to <!subteam^S0LEADS>" in body, body
    beside = make_request(paged=("S0ONCALL", "S0LEADS"), escalated_to="S0LEADS", reminders=2, reminded_at=T0)
    body = _text(request_message(beside)[1])
    assert "Needs approval by <!subteam^S0ONCALL> (not <@UALICE>" in body, body
