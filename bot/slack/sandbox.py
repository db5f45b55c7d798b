"""Sandbox mode's mark on everything the bot sends to Slack, applied in one place.

`install_sandbox_stamp(app)` swaps the `client`, `ack` and `respond` each listener gets for versions that
stamp what they send, so no message builder needs to know about the sandbox.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse, Respond
from slack_sdk import WebClient
from slack_sdk.models.basic_objects import JsonObject
from slack_sdk.web import SlackResponse
from slack_sdk.webhook import WebhookResponse

from bot.slack.messages.sandbox_note import sandbox_note

log = logging.getLogger(__name__)

SANDBOX_NOTE = sandbox_note()  # in English; each message gets it in the language it is written in
TEXT_PREFIX = "[Sandbox] "
NOTE_BLOCK_ID = "sandbox_note"  # how a stamped block list is recognised, so nothing is stamped twice
MESSAGE_BLOCK_LIMIT = 50  # Slack's limits: 50 blocks in a message, 100 in a modal or Home tab
VIEW_BLOCK_LIMIT = 100
STAMPED_METHODS = frozenset(
    {
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.update",
        "views.open",
        "views.update",
        "views.push",
        "views.publish",
    }
)


def note_block() -> dict[str, Any]:
    note = sandbox_note()
    return {"type": "context", "block_id": NOTE_BLOCK_ID, "elements": [{"type": "mrkdwn", "text": note}]}


def stamp(message: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a message's fields (Web API arguments, a response_url body, an ack) marked as a sandbox's.

    `text` and `markdown_text` get TEXT_PREFIX; a non-empty `blocks` list (an empty one would hide the text)
    and a `view`'s blocks get the note block first, unless full. Stamping twice changes nothing. A modal's
    validation errors (`response_action` "errors") are not a message and come back unchanged.
    """
    stamped = dict(message)
    if stamped.get("response_action") == "errors":
        return stamped
    for key in ("text", "markdown_text"):
        value = stamped.get(key)
        if isinstance(value, str) and value and not value.startswith(TEXT_PREFIX):
            stamped[key] = TEXT_PREFIX + value
    if stamped.get("blocks"):
        stamped["blocks"] = _as_given(stamped["blocks"], _stamp_blocks)
    if stamped.get("view"):
        stamped["view"] = _as_given(stamped["view"], _stamp_view)
    return stamped


def _stamp_blocks(blocks: Any) -> Any:
    # No blocks means Slack shows the text: a lone note block would hide it.
    return _noted(blocks, MESSAGE_BLOCK_LIMIT) if blocks else blocks


def _stamp_view(view: Any) -> Any:
    if not isinstance(view, dict):
        return view
    return {**view, "blocks": _noted(view.get("blocks") or [], VIEW_BLOCK_LIMIT)}


def _noted(blocks: Any, limit: int) -> Any:
    if not isinstance(blocks, Sequence) or isinstance(blocks, str):
        return blocks
    as_dicts = [_plain(block) for block in blocks]
    if any(isinstance(block, dict) and block.get("block_id") == NOTE_BLOCK_ID for block in as_dicts):
        return as_dicts
    if len(as_dicts) >= limit:
        # Dropping a block to make room could lose what the message is for: the text prefix has to do.
        log.warning("%d blocks leave no room for the sandbox note; sent without it", len(as_dicts))
        return as_dicts
    return [note_block(), *as_dicts]


def _as_given(value: Any, change: Callable[[Any], Any]) -> Any:
    """Apply `change` to blocks or a view given as objects, dicts or (form-encoded calls) a JSON string."""
    if not isinstance(value, str):
        return change(_plain(value))
    try:
        decoded = json.loads(value)
    except ValueError:
        return value  # not ours to fix: Slack will answer it
    return json.dumps(change(decoded))


def _plain(value: Any) -> Any:
    return value.to_dict() if isinstance(value, JsonObject) else value


class SandboxWebClient(WebClient):
    """A WebClient whose message and view calls carry the sandbox note; every other call is unchanged."""

    @classmethod
    def like(cls, client: WebClient) -> SandboxWebClient:
        """A stamping client with `client`'s token, URL, timeout, headers, logger and retry handlers."""
        sandbox = cls(
            token=client.token,
            base_url=client.base_url,
            timeout=client.timeout,
            ssl=client.ssl,
            proxy=client.proxy,
            team_id=client.default_params.get("team_id"),
            logger=client.logger,
            retry_handlers=list(client.retry_handlers),
        )
        sandbox.headers = dict(client.headers)  # as given, User-Agent included
        return sandbox

    def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        auth: dict[str, Any] | None = None,
    ) -> SlackResponse:
        # slack_sdk sends these methods as JSON, but a caller of api_call may use form data or params.
        if api_method in STAMPED_METHODS:
            data, params, json = (None if part is None else stamp(part) for part in (data, params, json))
        return super().api_call(
            api_method,
            http_verb=http_verb,
            files=files,
            data=data,
            params=params,
            json=json,
            headers=headers,
            auth=auth,
        )


class SandboxAck(Ack):
    """ack() with its message (a slash command's reply, a modal update or push) stamped."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # Bolt's Ack.__init__ has no annotations

    def __call__(  # Bolt's parameters, with their types spelled out
        self,
        text: str | dict[str, Any] = "",
        blocks: Sequence[Any] | None = None,
        attachments: Sequence[Any] | None = None,
        unfurl_links: bool | None = None,
        unfurl_media: bool | None = None,
        response_type: str | None = None,
        options: Sequence[Any] | None = None,
        option_groups: Sequence[Any] | None = None,
        response_action: str | None = None,
        errors: dict[str, str] | None = None,
        view: Any = None,
    ) -> BoltResponse:
        if isinstance(text, dict):
            text = stamp(text)
        elif response_action != "errors":
            fields = stamp({"text": text, "blocks": blocks, "view": view})
            text, blocks, view = fields["text"], fields["blocks"], fields["view"]
        return super().__call__(
            text,
            blocks,
            attachments,
            unfurl_links,
            unfurl_media,
            response_type,
            options,
            option_groups,
            response_action,
            errors,
            view,
        )


class SandboxRespond(Respond):
    """respond() with its message stamped, in the keyword form and in the whole-message dict form."""

    def __call__(  # Bolt's parameters, with their types spelled out
        self,
        text: str | dict[str, Any] = "",
        blocks: Sequence[Any] | None = None,
        attachments: Sequence[Any] | None = None,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
        unfurl_links: bool | None = None,
        unfurl_media: bool | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> WebhookResponse:
        if isinstance(text, dict):
            text = stamp(text)
        else:
            fields = stamp({"text": text, "blocks": blocks})
            text, blocks = fields["text"], fields["blocks"]
        return super().__call__(
            text,
            blocks,
            attachments,
            response_type,
            replace_original,
            delete_original,
            unfurl_links,
            unfurl_media,
            thread_ts,
            metadata,
        )


def install_sandbox_stamp(app: App) -> None:
    """Stamp everything listeners send through `client`, `ack` and `respond` (and `say`, built on `client`).

    Call it right after creating the App, before other middleware, so that they get the stamping versions too.
    Clients made outside a request (a sweeper's, the App's own) should be SandboxWebClients themselves.
    """

    def sandbox_stamp(context: BoltContext, next_: Callable[[], None]) -> None:
        # Bolt makes a plain WebClient for each request from the App's client settings: wrap that one.
        client = context.client
        if not isinstance(client, SandboxWebClient):
            client = SandboxWebClient.like(client)
            context["client"] = client
        context["ack"] = SandboxAck()
        if context.response_url:
            context["respond"] = SandboxRespond(response_url=context.response_url, proxy=client.proxy, ssl=client.ssl)
        next_()

    app.middleware(sandbox_stamp)
