"""Signed requests into the bot, shaped like the ones Slack sends (slash commands, button clicks, modal submits)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import requests

from tests.fakes.slack import FakeSlack

Block = dict[str, Any]


class SlackSender:
    VERIFICATION_TOKEN = "fake-verification-token"  # deprecated by Slack but still sent in every payload
    TEAM_DOMAIN = "fake"

    def __init__(self, events_url: str, signing_secret: str, fake: FakeSlack, team_id: str = FakeSlack.TEAM_ID) -> None:
        self.events_url = events_url
        self.signing_secret = signing_secret
        self.fake = fake
        self.team_id = team_id

    def command(
        self,
        text: str = "",
        user: str = "UALICE",
        channel: str = "CINCIDENT",
        command: str = "/miniprogram-rollback",
    ) -> tuple[requests.Response, str]:
        response_url = self.fake.new_response_url(channel=channel, from_command=True)
        fields = {
            "token": self.VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "team_domain": self.TEAM_DOMAIN,
            "channel_id": channel,
            "channel_name": "directmessage" if channel.startswith("D") else _name(channel),  # as Slack names DMs
            "user_id": user,
            "user_name": _name(user),
            "command": command,
            "text": text,
            "api_app_id": self.fake.APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": self.fake.new_trigger_id(),
        }
        return self.post(urlencode(fields).encode()), response_url

    def block_action(
        self,
        action_id: str,
        value: str,
        user: str,
        channel: str = "CINCIDENT",
        message_ts: str | None = None,
        container_ephemeral: bool = False,
        block_id: str | None = None,
        text: str | None = None,
    ) -> tuple[requests.Response, str]:
        """Click a button. The button's block_id, text and style (and, without message_ts, the channel message
        holding it) are looked up in what the bot sent to the fake; block_id/text override that."""
        found = self._find_button(action_id, value, channel, message_ts, container_ephemeral)
        if message_ts is None and found is not None:
            message_ts = found[0]
        message_ts = message_ts or self.fake.new_ts()
        block, button = (found[1], found[2]) if found is not None else ({}, {})
        action: dict[str, Any] = {
            "type": "button",
            "action_id": action_id,
            "block_id": block_id or block.get("block_id") or "b1",
            "text": {"type": "plain_text", "text": text, "emoji": True} if text is not None
            else button.get("text") or {"type": "plain_text", "text": value, "emoji": True},
            "value": value,
            "action_ts": f"{time.time():.6f}",
        }  # fmt: skip
        if "style" in button:
            action["style"] = button["style"]
        response_url = self.fake.new_response_url(
            channel=channel, message_ts=None if container_ephemeral else message_ts
        )
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(user),
            "api_app_id": self.fake.APP_ID,
            "token": self.VERIFICATION_TOKEN,
            # Slack marks ephemeral messages with is_ephemeral; the container type stays "message".
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel,
                "is_ephemeral": container_ephemeral,
            },
            "trigger_id": self.fake.new_trigger_id(),
            "team": {"id": self.team_id, "domain": self.TEAM_DOMAIN},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel, "name": _name(channel)},
            "state": {"values": {}},
            "response_url": response_url,
            "actions": [action],
        }
        if not container_ephemeral:  # Slack sends no message for clicks in ephemeral messages
            payload["message"] = self._message(channel, message_ts)
        return self._post_payload(payload), response_url

    def view_submission(
        self,
        callback_id: str,
        values: dict[str, dict[str, dict[str, Any]]],
        private_metadata: str,
        user: str,
        *,
        view_id: str | None = None,
        view_hash: str | None = None,
    ) -> requests.Response:
        """A modal's submission; a given view id and hash make it the same view submitted again."""
        view_id = view_id or "V" + secrets.token_hex(5).upper()
        payload = {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": self.TEAM_DOMAIN},
            "user": self._user(user),
            "api_app_id": self.fake.APP_ID,
            "token": self.VERIFICATION_TOKEN,
            "trigger_id": self.fake.new_trigger_id(),
            "view": {
                "id": view_id,
                "team_id": self.team_id,
                "type": "modal",
                "blocks": [],
                "private_metadata": private_metadata,
                "callback_id": callback_id,
                "state": {"values": values},
                "hash": view_hash or f"{int(time.time())}.{secrets.token_hex(4)}",
                "title": {"type": "plain_text", "text": "Modal", "emoji": True},
                "clear_on_close": False,
                "notify_on_close": False,
                "close": None,
                "submit": {"type": "plain_text", "text": "Submit", "emoji": True},
                "previous_view_id": None,
                "root_view_id": view_id,
                "app_id": self.fake.APP_ID,
                "external_id": "",
                "app_installed_team_id": self.team_id,
                "bot_id": self.fake.BOT_ID,
            },
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return self._post_payload(payload)

    def post(
        self,
        body: bytes,
        content_type: str = "application/x-www-form-urlencoded",
        *,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> requests.Response:
        headers = self.headers(body, content_type, timestamp=timestamp, signature=signature)
        return requests.post(self.events_url, data=body, headers=headers, timeout=10)

    def headers(
        self, body: bytes, content_type: str, *, timestamp: int | None = None, signature: str | None = None
    ) -> dict[str, str]:
        """What Slack sends with `body`: signed with the signing secret now, unless told otherwise."""
        ts = int(time.time()) if timestamp is None else timestamp
        if signature is None:
            digest = hmac.new(self.signing_secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256)
            signature = "v0=" + digest.hexdigest()
        return {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": signature,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }

    # ---- helpers

    def _post_payload(self, payload: dict[str, Any]) -> requests.Response:
        return self.post(urlencode({"payload": json.dumps(payload)}).encode())

    def _user(self, user: str) -> dict[str, str]:
        return {"id": user, "username": _name(user), "name": _name(user), "team_id": self.team_id}

    def _message(self, channel: str, ts: str) -> dict[str, Any]:
        try:
            sent = self.fake.message(channel, ts)
        except KeyError:
            return {"ts": ts, "type": "message", "text": "", "blocks": []}
        message = {
            "type": "message",
            "user": self.fake.BOT_USER_ID,
            "bot_id": self.fake.BOT_ID,
            "app_id": self.fake.APP_ID,
            "team": self.team_id,
            "ts": ts,
            "text": sent.get("text") or "",
            "blocks": sent.get("blocks") or [],
        }
        if sent.get("thread_ts"):
            message["thread_ts"] = sent["thread_ts"]
        return message

    def _find_button(
        self, action_id: str, value: str, channel: str, message_ts: str | None, ephemeral: bool
    ) -> tuple[str | None, Block, Block] | None:
        """Newest first: (message ts or None, block, element) of a button the bot sent with this action_id."""
        sources: list[tuple[str | None, Any]] = []
        if not ephemeral:
            messages = self.fake.messages()
            keys = [(channel, message_ts)] if message_ts else sorted(k for k in messages if k[0] == channel)[::-1]
            sources += [(key[1], messages[key].get("blocks")) for key in keys if key in messages]
        else:
            sources += [(None, post.body.get("blocks")) for post in reversed(self.fake.response_posts)]
            sources += [(None, call.args.get("blocks")) for call in reversed(self.fake.calls_to("chat.postEphemeral"))]
        for ts, blocks in sources:
            for block in blocks if isinstance(blocks, list) else []:
                for element in _elements(block):
                    if element.get("action_id") == action_id and str(element.get("value", value)) == value:
                        return ts, block, element
        return None


def _elements(block: Any) -> list[Block]:
    if not isinstance(block, dict):
        return []
    found = [block["accessory"]] if isinstance(block.get("accessory"), dict) else []
    elements = block.get("elements")
    if block.get("type") == "actions" and isinstance(elements, list):
        found += [element for element in elements if isinstance(element, dict)]
    return found


def _name(slack_id: str) -> str:
    # "UALICE" -> "alice", "CINCIDENT" -> "incident": readable names derived from the ids tests use.
    return (slack_id[1:] if slack_id[:1] in "UWCGD" and len(slack_id) > 1 else slack_id).lower()
