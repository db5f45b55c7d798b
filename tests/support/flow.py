"""Steps a person takes in Slack, driven through the real bot over signed HTTP requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from bot.rollback.model import RollbackRequest
from bot.rollback.workflow import RollbackWorkflow
from bot.slack.ids import NOTE_BLOCK, NOTE_INPUT, REASON_BLOCK, REASON_INPUT, REASON_VIEW
from tests.fakes.slack import FakeSlack
from tests.support.harness import RunningBot
from tests.support.slack_requests import SlackSender
from tests.support.words import posted_request_id, version_from_button


class Requests(Protocol):
    def get(self, request_id: int) -> RollbackRequest | None: ...


class Driven(Protocol):
    """What these steps need of a bot: a way in as Slack, and a way to read its requests."""

    @property
    def sender(self) -> SlackSender: ...

    @property
    def workflow(self) -> Requests: ...


@dataclass
class Replica:
    """A bot in a process of its own, as these steps need it: a way in (its HTTP port) and a way to read the record
    (a workflow over the same database; its WeChat is never called). Pass it where a RunningBot is asked for."""

    sender: SlackSender
    workflow: RollbackWorkflow


def open_picker(bot: Driven, slack: FakeSlack, user: str = "UALICE") -> dict[str, Any]:
    response, response_url = bot.sender.command("", user=user)
    assert response.status_code == 200
    posts = slack.wait_for(lambda s: [p for p in s.posts_to(response_url) if p.body.get("blocks")])
    return posts[-1].body


def version_buttons(picker: dict[str, Any]) -> list[dict[str, Any]]:
    return [block["accessory"] for block in picker["blocks"] if "accessory" in block]


def submit_reason(bot: Driven, slack: FakeSlack, reason: str, user: str = "UALICE") -> str:
    """Command, pick the newest offered version, submit the reason form; returns the picker's response_url, where
    the requester is told what became of the request."""
    button = version_buttons(open_picker(bot, slack, user))[0]
    opened_before = len(slack.calls_to("views.open"))
    _, picker_url = bot.sender.block_action(button["action_id"], button["value"], user, container_ephemeral=True)
    view = slack.wait_for(lambda s: s.calls_to("views.open")[opened_before:])[0].args["view"]
    values = {REASON_BLOCK: {REASON_INPUT: {"type": "plain_text_input", "value": reason}}}
    assert bot.sender.view_submission(REASON_VIEW, values, view["private_metadata"], user).status_code == 200
    return picker_url


def request_rollback(
    bot: Driven, slack: FakeSlack, user_version: str, user: str = "UALICE", reason: str = "checkout broken"
) -> RollbackRequest:
    """Command, pick the version, give the reason: returns the request as recorded once it is posted."""
    picker = open_picker(bot, slack, user)
    button = next(b for b in version_buttons(picker) if version_from_button(b["text"]["text"]) == user_version)
    opened_before = len(slack.calls_to("views.open"))
    response, picker_url = bot.sender.block_action(
        button["action_id"], button["value"], user=user, container_ephemeral=True
    )
    assert response.status_code == 200
    view = slack.wait_for(lambda s: s.calls_to("views.open")[opened_before:])[0].args["view"]
    values = {REASON_BLOCK: {REASON_INPUT: {"type": "plain_text_input", "value": reason}}}
    assert bot.sender.view_submission(REASON_VIEW, values, view["private_metadata"], user).status_code == 200
    return wait_posted(bot, slack, picker_url)


def wait_posted(bot: Driven, slack: FakeSlack, picker_url: str) -> RollbackRequest:
    def posted_id(s: FakeSlack) -> int | None:
        found = (posted_request_id(str(post.body.get("text", ""))) for post in s.posts_to(picker_url))
        return next((number for number in found if number is not None), None)

    request = bot.workflow.get(slack.wait_for(posted_id))
    assert request is not None and request.message_ts is not None
    return request


def click(bot: Driven, request: RollbackRequest, action_id: str, user: str) -> str:
    """Click a button on the request message; returns the click's response_url (where ephemerals go)."""
    response, response_url = bot.sender.block_action(
        action_id, str(request.id), user=user, channel=request.channel_id, message_ts=request.message_ts
    )
    assert response.status_code == 200
    return response_url


def wait_state(bot: Driven, slack: FakeSlack, request_id: int, *states: str) -> RollbackRequest:
    def current(_: FakeSlack) -> RollbackRequest | None:
        request = bot.workflow.get(request_id)
        return request if request is not None and request.state in states else None

    return slack.wait_for(current)


def ephemeral_text(slack: FakeSlack, response_url: str) -> str:
    return slack.wait_for(lambda s: " ".join(p.body.get("text", "") for p in s.posts_to(response_url)))


def message_text(slack: FakeSlack, request: RollbackRequest) -> str:
    assert request.message_ts is not None
    message = slack.message(request.channel_id, request.message_ts)
    parts = [message.get("text", "")]
    for block in message.get("blocks", []):
        if "text" in block:
            parts.append(block["text"]["text"])
        parts.extend(str(element.get("text")) for element in block.get("elements", []))
    return "\n".join(parts)


def has_buttons(slack: FakeSlack, request: RollbackRequest) -> bool:
    assert request.message_ts is not None
    blocks = slack.message(request.channel_id, request.message_ts).get("blocks", [])
    return any(block["type"] == "actions" for block in blocks)


def submit_note(
    bot: Driven, slack: FakeSlack, request: RollbackRequest, action_id: str, view_id: str, user: str, note: str
) -> str:
    """Click a button that opens a note modal (reject, break glass), fill it in and submit it."""
    opened_before = len(slack.calls_to("views.open"))
    response_url = click(bot, request, action_id, user)
    view = slack.wait_for(lambda s: s.calls_to("views.open")[opened_before:])[0].args["view"]
    values = {NOTE_BLOCK: {NOTE_INPUT: {"type": "plain_text_input", "value": note}}}
    response = bot.sender.view_submission(view_id, values, view["private_metadata"], user)
    assert response.status_code == 200
    return response_url


def wait_verified(bot: Driven, slack: FakeSlack, request_id: int, timeout: float = 10.0) -> RollbackRequest:
    """Rolled back and confirmed by reading the online version back (shown a moment after WeChat's answer)."""

    def verified(_: FakeSlack) -> RollbackRequest | None:
        request = bot.workflow.get(request_id)
        return request if request is not None and request.state == "succeeded" and request.verified else None

    return slack.wait_for(verified, timeout)


def seen_by_the_bot(bot: RunningBot, user: str) -> None:
    """The bot has read `user` from users.info (at an earlier click, or read ahead as a named approver), so that
    while Slack is down it knows them: someone never seen is refused until Slack can vouch for them."""
    bot.workflow.policy.people.person(user)
