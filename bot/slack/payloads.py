"""Reading the fields our listeners need out of Slack payloads, refusing anything malformed."""

from __future__ import annotations

import re
from typing import Any

_APPID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
CHOICE_VERBS = ("pick", "status", "history")


class BadPayload(Exception):
    """A payload without the fields we put there: a stale message, a bug or a forgery. Changes nothing."""


def user_id(body: dict[str, Any]) -> str:
    user = body.get("user")
    if isinstance(user, dict) and isinstance(user.get("id"), str) and user["id"]:
        return str(user["id"])
    if isinstance(body.get("user_id"), str) and body["user_id"]:
        return str(body["user_id"])
    raise BadPayload("no user")


def channel_id(body: dict[str, Any]) -> str | None:
    for container in (body.get("channel"), body.get("container")):
        if isinstance(container, dict):
            value = container.get("id") or container.get("channel_id")
            if isinstance(value, str) and value:
                return value
    value = body.get("channel_id")
    return value if isinstance(value, str) and value else None


def message_ts(body: dict[str, Any]) -> str | None:
    """The ts of the message whose button was clicked, as Slack names it in the payload's container."""
    container = body.get("container")
    value = container.get("message_ts") if isinstance(container, dict) else None
    return value if isinstance(value, str) and value else None


def action_number(body: dict[str, Any]) -> int:
    """The positive integer our button carries in its value (a request id)."""
    return _number(_action_value(body))


def version_choice(body: dict[str, Any]) -> tuple[str | None, int]:
    """A version button's `appid:app_version`; a button from before several programs carries the number alone."""
    appid, _, number = _action_value(body).rpartition(":")
    return (_appid(appid) if appid else None), _number(number)


def plan_choice(body: dict[str, Any]) -> tuple[str, int]:
    """A stop button's `appid:create_timestamp`: the plan it was shown for. 0 when WeChat gave no create_timestamp
    (the field is not marked required): then the plan running when the request is made is the one stopped."""
    appid, _, created = _action_value(body).rpartition(":")
    if not appid:
        raise BadPayload("action value names no mini program")
    return _appid(appid), _count(created)


def program_choice(body: dict[str, Any]) -> tuple[str, str]:
    """A program button's `verb:appid`."""
    verb, _, appid = _action_value(body).partition(":")
    if verb not in CHOICE_VERBS:
        raise BadPayload("unknown choice")
    return verb, _appid(appid)


def input_value(view: dict[str, Any], block_id: str, action_id: str) -> str:
    """What was typed into a modal's text input, stripped; "" for an empty or malformed submission."""
    value: Any = view
    for key in ("state", "values", block_id, action_id, "value"):
        value = value.get(key) if isinstance(value, dict) else None
    return value.strip() if isinstance(value, str) else ""


def _action_value(body: dict[str, Any]) -> str:
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise BadPayload("no action")
    value = actions[0].get("value")
    if not isinstance(value, str) or len(value) > 100:
        raise BadPayload("action value is missing or too long")
    return value


def _number(value: str) -> int:
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        raise BadPayload("action value is not a number")
    number = int(value)
    if number <= 0:
        raise BadPayload("action value is not positive")
    return number


def _count(value: str) -> int:
    """A number that may be 0 (a timestamp WeChat left out)."""
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        raise BadPayload("action value is not a number")
    return int(value)


def _appid(value: str) -> str:
    if not _APPID.match(value):
        raise BadPayload("action value names no mini program")
    return value
