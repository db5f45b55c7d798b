"""Who the bot is in its workspace, from one auth.test per client: the workspace's URL (for links to messages) and
the bot's own ids (to trust only its own messages' metadata)."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient

log = logging.getLogger(__name__)

_IDENTITIES: dict[tuple[str, str | None], dict[str, str]] = {}  # auth.test, by Slack API and bot token


def _identity(client: WebClient) -> dict[str, str] | None:
    """The workspace's URL and the bot's own user and bot ids, from one auth.test per client."""
    key = (client.base_url, client.token)
    known = _IDENTITIES.get(key)
    if known is not None:
        return known
    try:
        answer = client.auth_test()
    except Exception as error:  # no links is better than no App Home
        log.warning("no auth.test answer: %s", type(error).__name__)
        return None
    url = str(answer["url"])
    _IDENTITIES[key] = {
        "url": url if url.endswith("/") else url + "/",
        "user_id": str(answer.get("user_id") or ""),
        "bot_id": str(answer.get("bot_id") or ""),
    }
    return _IDENTITIES[key]


def workspace_url(client: WebClient) -> str | None:
    identity = _identity(client)
    return identity["url"] if identity else None


def posted_by_this_bot(client: WebClient, message: dict[str, Any]) -> bool:
    """A message this bot posted: only its own metadata is trusted (any app may post metadata of any type)."""
    identity = _identity(client)
    if identity is None:
        return False
    return bool(identity["bot_id"]) and message.get("bot_id") == identity["bot_id"]
