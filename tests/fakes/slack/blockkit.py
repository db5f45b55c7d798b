"""Block Kit as Slack checks it (limits, reported in Slack's "[json-pointer:...]" style) and as Slack stores it.

Limits: docs.slack.dev/reference/block-kit/blocks (50 blocks in a message, 100 in a modal or Home tab; section text
3000 characters; 25 elements in an actions block; button text 75, value 2000, action_id 255).

Stored: Slack gives every block that has no `block_id` one of its own, a short random string (e.g. "Dfd5" or
"=qv3G"), and hands the blocks back with it: in chat.postMessage's and chat.update's `message`, in
conversations.history and in the `message` of a click's block_actions payload (docs.slack.dev/reference/
interaction-payloads/block_actions-payload, whose example message shows block_ids the app never set).
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from tests.fakes.slack.records import SlackError

MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
KNOWN_BLOCK_TYPES = {
    "actions", "context", "divider", "file", "header", "image", "input", "markdown", "rich_text", "section", "video",
}  # fmt: skip
_BLOCK_ID_ALPHABET = string.ascii_letters + string.digits + "=+/"


def with_block_ids(blocks: Any) -> Any:
    """`blocks` as Slack stores them: each block without a block_id gets a short random one, unique in the list."""
    if not isinstance(blocks, list):
        return blocks
    taken = {block.get("block_id") for block in blocks if isinstance(block, dict)}
    stamped: list[Any] = []
    for block in blocks:
        if isinstance(block, dict) and not block.get("block_id"):
            block_id = _new_block_id()
            while block_id in taken:
                block_id = _new_block_id()
            taken.add(block_id)
            block = {**block, "block_id": block_id}
        stamped.append(block)
    return stamped


def _new_block_id() -> str:
    return "".join(secrets.choice(_BLOCK_ID_ALPHABET) for _ in range(4 + secrets.randbelow(2)))


def check_message_content(args: dict[str, Any]) -> None:
    if not (args.get("text") or args.get("blocks") or args.get("attachments")):
        raise SlackError("no_text")
    if "blocks" in args:
        problems = block_problems(args["blocks"], MESSAGE_BLOCK_LIMIT)
        if problems:
            raise SlackError("invalid_blocks", problems)


def view_problems(view: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    if view.get("type") not in ("modal", "home"):
        problems.append("view type must be modal or home [json-pointer:/view/type]")
    if view.get("type") == "modal":
        problems += text_problems(view.get("title"), 24, "/view/title", plain_only=True)
    for key in ("submit", "close"):
        if key in view:
            problems += text_problems(view[key], 24, f"/view/{key}", plain_only=True)
    if len(str(view.get("private_metadata", ""))) > 3000:
        problems.append("must be less than 3001 characters [json-pointer:/view/private_metadata]")
    if len(str(view.get("callback_id", ""))) > 255:
        problems.append("must be less than 256 characters [json-pointer:/view/callback_id]")
    return problems


def block_problems(blocks: Any, limit: int, where: str = "/blocks") -> list[str]:
    """Slack's Block Kit limits, as messages in Slack's own "[json-pointer:...]" style."""
    if not isinstance(blocks, list):
        return [f"must be an array [json-pointer:{where}]"]
    problems: list[str] = []
    if len(blocks) > limit:
        problems.append(f"no more than {limit} items allowed [json-pointer:{where}]")
    action_ids: set[str] = set()
    block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        at = f"{where}/{index}"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            problems.append(f"must be an object with a type [json-pointer:{at}]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or not 0 < len(block_id) <= 255:
                problems.append(f"block_id must be 1 to 255 characters [json-pointer:{at}/block_id]")
            elif block_id in block_ids:
                problems.append(f"duplicate block_id {block_id!r} [json-pointer:{at}/block_id]")
            else:
                block_ids.add(block_id)
        kind = block["type"]
        if kind not in KNOWN_BLOCK_TYPES:
            problems.append(f"unknown block type {kind!r} [json-pointer:{at}/type]")
        elif kind == "section":
            problems += _section_problems(block, at, action_ids)
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 0 < len(elements) <= 25:
                problems.append(f"must hold 1 to 25 elements [json-pointer:{at}/elements]")
            else:
                for i, element in enumerate(elements):
                    problems += _element_problems(element, f"{at}/elements/{i}", action_ids)
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 0 < len(elements) <= 10:
                problems.append(f"must hold 1 to 10 elements [json-pointer:{at}/elements]")
        elif kind == "header":
            problems += text_problems(block.get("text"), 150, f"{at}/text", plain_only=True)
        elif kind == "input":
            problems += text_problems(block.get("label"), 2000, f"{at}/label", plain_only=True)
            problems += _element_problems(block.get("element"), f"{at}/element", action_ids)
    return problems


def _section_problems(block: dict[str, Any], at: str, action_ids: set[str]) -> list[str]:
    problems: list[str] = []
    text, fields = block.get("text"), block.get("fields")
    if text is None and not fields:
        problems.append(f"section needs text or fields [json-pointer:{at}]")
    if text is not None:
        problems += text_problems(text, 3000, f"{at}/text")
    if fields is not None:
        if not isinstance(fields, list) or len(fields) > 10:
            problems.append(f"no more than 10 items allowed [json-pointer:{at}/fields]")
        else:
            for i, item in enumerate(fields):
                problems += text_problems(item, 2000, f"{at}/fields/{i}")
    if "accessory" in block:
        problems += _element_problems(block["accessory"], f"{at}/accessory", action_ids)
    return problems


def _element_problems(element: Any, at: str, action_ids: set[str]) -> list[str]:
    if not isinstance(element, dict) or not isinstance(element.get("type"), str):
        return [f"must be an object with a type [json-pointer:{at}]"]
    problems: list[str] = []
    action_id = element.get("action_id")
    if action_id is not None:
        if not isinstance(action_id, str) or not 0 < len(action_id) <= 255:
            problems.append(f"action_id must be 1 to 255 characters [json-pointer:{at}/action_id]")
        elif action_id in action_ids:
            problems.append(f"duplicate action_id {action_id!r} [json-pointer:{at}/action_id]")
        else:
            action_ids.add(action_id)
    if element["type"] == "button":
        problems += text_problems(element.get("text"), 75, f"{at}/text", plain_only=True)
        if len(str(element.get("value", ""))) > 2000:
            problems.append(f"must be less than 2001 characters [json-pointer:{at}/value]")
        if len(str(element.get("url", ""))) > 3000:
            problems.append(f"must be less than 3001 characters [json-pointer:{at}/url]")
        if "style" in element and element["style"] not in ("primary", "danger"):
            problems.append(f"style must be primary or danger [json-pointer:{at}/style]")
    if "confirm" in element:
        problems += _confirm_problems(element["confirm"], f"{at}/confirm")
    return problems


def _confirm_problems(confirm: Any, at: str) -> list[str]:
    if not isinstance(confirm, dict):
        return [f"must be an object [json-pointer:{at}]"]
    problems = text_problems(confirm.get("title"), 100, f"{at}/title", plain_only=True)
    problems += text_problems(confirm.get("text"), 300, f"{at}/text")
    problems += text_problems(confirm.get("confirm"), 30, f"{at}/confirm", plain_only=True)
    problems += text_problems(confirm.get("deny"), 30, f"{at}/deny", plain_only=True)
    if "style" in confirm and confirm["style"] not in ("primary", "danger"):
        problems.append(f"style must be primary or danger [json-pointer:{at}/style]")
    return problems


def text_problems(text: Any, limit: int, at: str, *, plain_only: bool = False) -> list[str]:
    kinds = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if not isinstance(text, dict) or text.get("type") not in kinds or not isinstance(text.get("text"), str):
        return [f"must be a {' or '.join(kinds)} text object [json-pointer:{at}]"]
    if not text["text"]:
        return [f"must be more than 0 characters [json-pointer:{at}/text]"]
    if len(text["text"]) > limit:
        return [f"must be less than {limit + 1} characters [json-pointer:{at}/text]"]
    return []
