"""Steps a person takes in Slack, against a bot in another process, and what the request message shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.rig import wait_until
from bench.sender import TimedSender
from bot.slack.ids import APPROVE, PICK_VERSION, REASON_BLOCK, REASON_INPUT, REASON_VIEW
from tests.fakes.slack import ApiCall, FakeSlack, ResponseUrlPost
from tests.support.words import posted_request_id

CHANNEL = "CINCIDENT"
REQUESTER = "UALICE"


def pickers_answered(slack: FakeSlack, response_urls: list[str]) -> bool:
    """Every command's version list (its replace_original post with blocks) has arrived."""
    answered = {post.key for post in slack.response_posts if post.body.get("blocks")}
    return all(url.rsplit("/", 1)[-1] in answered for url in response_urls)


def open_picker(sender: TimedSender, slack: FakeSlack, user: str = REQUESTER, timeout: float = 30) -> dict[str, Any]:
    response, response_url = sender.command("", user=user, channel=CHANNEL)
    if response.status_code != 200:
        raise RuntimeError(f"the command was answered {response.status_code}")
    posts: list[ResponseUrlPost] = wait_until(
        lambda: [post for post in slack.posts_to(response_url) if post.body.get("blocks")], timeout, "the picker"
    )
    return posts[-1].body


def version_buttons(picker: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        block["accessory"]
        for block in picker.get("blocks", [])
        if isinstance(block.get("accessory"), dict) and PICK_VERSION.match(str(block["accessory"].get("action_id")))
    ]


@dataclass(frozen=True)
class OpenRequest:
    id: int
    channel: str
    message_ts: str


def open_request(sender: TimedSender, slack: FakeSlack, user: str = REQUESTER, timeout: float = 30) -> OpenRequest:
    """Command, the newest version's button, the reason: returns the request once its message is posted."""
    buttons = version_buttons(open_picker(sender, slack, user, timeout))
    if not buttons:
        raise RuntimeError("the picker offered no version to roll back to")
    opened_before = len(slack.calls_to("views.open"))
    response, picker_url = sender.block_action(
        buttons[0]["action_id"], buttons[0]["value"], user=user, channel=CHANNEL, container_ephemeral=True
    )
    if response.status_code != 200:
        raise RuntimeError(f"the version button was answered {response.status_code}")
    view = wait_until(lambda: slack.calls_to("views.open")[opened_before:], timeout, "the reason modal")[0].args["view"]
    values = {REASON_BLOCK: {REASON_INPUT: {"type": "plain_text_input", "value": "benchmark"}}}
    if sender.view_submission(REASON_VIEW, values, view["private_metadata"], user).status_code != 200:
        raise RuntimeError("the reason was refused")

    def posted_id() -> int | None:
        found = (posted_request_id(str(post.body.get("text", ""))) for post in slack.posts_to(picker_url))
        return next((number for number in found if number is not None), None)

    request_id = wait_until(posted_id, timeout, "the request to be posted")
    return OpenRequest(request_id, CHANNEL, request_message_ts(slack, request_id))


def request_message_ts(slack: FakeSlack, request_id: int) -> str:
    """The ts of the channel message carrying this request's Approve button."""
    for call in reversed(slack.calls_to("chat.postMessage")):
        for block in call.args.get("blocks") or []:
            elements = block.get("elements") if isinstance(block, dict) and block.get("type") == "actions" else None
            for element in elements or []:
                if element.get("action_id") == APPROVE and element.get("value") == str(request_id):
                    return str(call.response["ts"])
    raise LookupError(f"no message carries request #{request_id}")


# ---- what the request message shows: the chat.update calls on it, as they reach the fake Slack

ACCEPTED = "(WeChat accepted)"  # the outcome shown as soon as WeChat answers errcode 0
VERIFIED = "Verified: WeChat reports"  # ... and once the online version read back shows the target
NOT_ROLLED_BACK = ("Rollback failed", "Rollback outcome unknown", "withdrawn", "cancelled", "expired")


def outcome_text(call: ApiCall) -> str:
    """The request message's *Outcome* line as this update shows it ("" before there is one)."""
    for block in call.args.get("blocks") or []:
        words = str((block.get("text") or {}).get("text", "")) if isinstance(block, dict) else ""
        if words.startswith("*Outcome* "):
            return words.removeprefix("*Outcome* ")
    return ""


def update_showing(slack: FakeSlack, request: OpenRequest, words: str, after: float) -> ApiCall | None:
    """The first chat.update of the request message since `after` whose outcome shows `words`; raises as soon as
    the message shows that the rollback did not happen, rather than wait for something that will not come."""
    for call in slack.calls_to("chat.update"):
        if call.args.get("ts") != request.message_ts or call.at < after:
            continue
        if words in outcome_text(call):
            return call
        headline = str(call.args.get("text") or "")
        if any(word in headline for word in NOT_ROLLED_BACK):
            raise RuntimeError(f"request #{request.id} was not rolled back: {headline}: {outcome_text(call)}")
    return None
