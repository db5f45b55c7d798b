"""Reading the fields our listeners need out of Slack payloads, refusing anything malformed."""

from __future__ import annotations

from typing import Any


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


def action_number(body: dict[str, Any]) -> int:
    """The positive integer our button carries in its value (a request id or an app_version)."""
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise BadPayload("no action")
    value = actions[0].get("value")
    if not isinstance(value, str) or not value.isascii() or not value.isdigit() or len(value) > 12:
        raise BadPayload("action value is not a number")
    number = int(value)
    if number <= 0:
        raise BadPayload("action value is not positive")
    return number
