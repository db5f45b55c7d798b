"""response_urls as Slack honours them (docs.slack.dev/interactivity/handling-user-interaction#message_responses).

- Each takes "up to 5 times within 30 minutes"; after that, or once `fake.expire_response_urls()` is called, a post
  answers HTTP 404 (`used_url`, `expired_url`). An id Slack never issued answers 404 `no_service`.
- `replace_original: true` replaces the message the interaction came from, `delete_original: true` deletes it, and
  `response_type: in_channel` posts a new channel message.
- A slash command's own response_url has no message to replace: Slack ignores `replace_original` there and shows a
  new ephemeral message each time (bolt-python #1268, bolt-js #2287; the holding reply stays on screen). Issue such
  a URL with `fake.new_response_url(channel, from_command=True)`, as SlackSender.command does; each
  ResponseUrlPost records in `replaced_original` whether Slack put it in place of the original.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from tests.fakes.slack.blockkit import MESSAGE_BLOCK_LIMIT, block_problems
from tests.fakes.slack.messages import MessageStore
from tests.fakes.slack.records import ResponseUrlPost
from tests.fakes.slack.wire import truthy

RESPONSE_URL_POST_LIMIT = 5  # Slack accepts 5 posts per response_url


@dataclass
class _ResponseUrl:
    channel: str | None  # where the payload came from, so replace_original/in_channel posts can change messages
    message_ts: str | None
    from_command: bool
    accepted: int = 0
    expired: bool = False  # Slack's response_urls last 30 minutes


class ResponseUrls:
    """Not thread-safe on its own: FakeSlack calls it under its lock."""

    def __init__(self, messages: MessageStore) -> None:
        self.posts: list[ResponseUrlPost] = []
        self._messages = messages
        self._urls: dict[str, _ResponseUrl] = {}

    def issue(self, channel: str | None, message_ts: str | None, from_command: bool) -> str:
        key = uuid.uuid4().hex
        self._urls[key] = _ResponseUrl(channel, None if from_command else message_ts, from_command)
        return key

    def expire_all(self) -> None:
        for target in self._urls.values():
            target.expired = True

    def post(self, key: str, raw: bytes) -> tuple[int, str, dict[str, Any]]:
        """(HTTP status, body text, the JSON posted) for a post of `raw` to the response_url `key`."""
        target = self._urls.get(key)
        if target is None:
            return 404, "no_service", {}
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return 400, "invalid_payload", {}
        if not isinstance(body, dict):
            return 400, "invalid_payload", {}
        if target.accepted >= RESPONSE_URL_POST_LIMIT or target.expired:
            return 404, "used_url" if not target.expired else "expired_url", body
        deleting = truthy(body.get("delete_original"))
        if not deleting and not (body.get("text") or body.get("blocks") or body.get("attachments")):
            return 400, "no_text", body
        if "blocks" in body and block_problems(body["blocks"], MESSAGE_BLOCK_LIMIT):
            return 400, "invalid_blocks", body
        target.accepted += 1
        replaced = not target.from_command and (deleting or truthy(body.get("replace_original")))
        self.posts.append(ResponseUrlPost(key, body, replaced_original=replaced))
        self._apply(target, body, deleting)
        return 200, "ok", body

    def _apply(self, target: _ResponseUrl, body: dict[str, Any], deleting: bool) -> None:
        # What Slack does to a channel message the payload came from; ephemeral changes leave no trace here.
        content = {k: v for k, v in body.items() if k not in ("replace_original", "delete_original", "response_type")}
        if target.channel and target.message_ts and (target.channel, target.message_ts) in self._messages.by_key:
            origin = (target.channel, target.message_ts)
            if deleting:
                del self._messages.by_key[origin]
                return
            if truthy(body.get("replace_original")):
                self._messages.put(origin[0], origin[1], {"channel": origin[0], **content})
                return
        if not deleting and body.get("response_type") == "in_channel" and target.channel:
            self._messages.post(target.channel, {"channel": target.channel, **content})
