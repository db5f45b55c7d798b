"""The Web API methods the bot calls, each taking the decoded arguments and answering as Slack does (or raising
SlackError). They run under FakeSlack's lock. Shapes: docs.slack.dev/reference/methods/<method>."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tests.fakes.slack.blockkit import VIEW_BLOCK_LIMIT, block_problems, check_message_content, view_problems
from tests.fakes.slack.records import SlackError
from tests.fakes.slack.users import DEFAULT_LOCALE, user_object
from tests.fakes.slack.wire import required, truthy

if TYPE_CHECKING:
    from tests.fakes.slack.fake import FakeSlack

Method = Callable[["FakeSlack", dict[str, Any]], dict[str, Any]]


def apps_connections_open(fake: FakeSlack, _args: dict[str, Any]) -> dict[str, Any]:
    if fake.socket_mode is None:
        raise RuntimeError("apps.connections.open: set FakeSlack.socket_mode to a started FakeSocketMode")
    return {"ok": True, "url": fake.socket_mode.issue_url()}


def auth_test(fake: FakeSlack, _args: dict[str, Any]) -> dict[str, Any]:
    return {
        "ok": True,
        "url": "https://fake.slack.com/",
        "team": "Fake",
        "user": "rollbackbot",
        "team_id": fake.TEAM_ID,
        "user_id": fake.BOT_USER_ID,
        "bot_id": fake.BOT_ID,
        "is_enterprise_install": False,
    }


def _bot_message(fake: FakeSlack, stored: dict[str, Any], ts: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "message",
        "text": stored.get("text") or "",
        "user": fake.BOT_USER_ID,
        "bot_id": fake.BOT_ID,
        "app_id": fake.APP_ID,
        "team": fake.TEAM_ID,
        "ts": ts,
    }
    for key in ("blocks", "attachments", "thread_ts", "metadata"):
        if stored.get(key):
            message[key] = stored[key]
    return message


def chat_post_message(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    channel = required(args, "channel", "channel_not_found")
    fake.channels.check_post(channel, public_write=True)  # the manifest grants chat:write.public
    check_message_content(args)
    stored = fake.store.post(channel, args)
    return {"ok": True, "channel": channel, "ts": stored["ts"], "message": _bot_message(fake, stored, stored["ts"])}


def chat_update(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    channel = required(args, "channel", "channel_not_found")
    ts = required(args, "ts", "message_not_found")
    fake.channels.check_post(channel)
    old = fake.store.by_key.get((channel, ts))
    if old is None:
        raise SlackError("message_not_found")
    check_message_content(args)
    # Slack keeps the previous blocks/attachments when the update leaves them out.
    merged = fake.store.put(channel, ts, {**old, **args})
    return {
        "ok": True,
        "channel": channel,
        "ts": ts,
        "text": merged.get("text") or "",
        "message": _bot_message(fake, merged, ts),
    }


def chat_delete(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    channel = required(args, "channel", "channel_not_found")
    ts = required(args, "ts", "message_not_found")
    fake.channels.check_post(channel)
    if fake.store.by_key.pop((channel, ts), None) is None:
        raise SlackError("message_not_found")
    return {"ok": True, "channel": channel, "ts": ts}


def chat_post_ephemeral(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    channel = required(args, "channel", "channel_not_found")
    required(args, "user", "user_not_found")
    fake.channels.check_post(channel)
    check_message_content(args)
    return {"ok": True, "message_ts": fake.store.new_ts()}


def chat_get_permalink(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    channel = required(args, "channel", "channel_not_found")
    ts = required(args, "message_ts", "message_not_found")
    if fake.channels.get(channel) is None:
        raise SlackError("channel_not_found")
    return {
        "ok": True,
        "channel": channel,
        "permalink": f"https://fake.slack.com/archives/{channel}/p{ts.replace('.', '')}",
    }


def conversations_history(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    """Newest first, top-level messages only, with the block_ids Slack added
    (docs.slack.dev/reference/methods/conversations.history)."""
    channel = required(args, "channel", "channel_not_found")
    fake.channels.check_read(channel)
    stored = [
        (ts, message)
        for (where, ts), message in fake.store.by_key.items()
        if where == channel and message.get("thread_ts") in (None, ts)
    ]
    messages = [_bot_message(fake, message, ts) for ts, message in sorted(stored, key=lambda item: float(item[0]))]
    return {"ok": True, "messages": _metadata_if_asked(args, messages)[::-1], "has_more": False}


def conversations_replies(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    """A thread, its parent first, oldest first; each message's metadata only with include_all_metadata
    (docs.slack.dev/reference/methods/conversations.replies, docs.slack.dev/messaging/message-metadata)."""
    channel = required(args, "channel", "channel_not_found")
    ts = required(args, "ts", "thread_not_found")
    fake.channels.check_read(channel)
    if (channel, ts) not in fake.store.by_key:
        raise SlackError("thread_not_found")
    stored = [
        (at, message)
        for (where, at), message in fake.store.by_key.items()
        if where == channel and (at == ts or message.get("thread_ts") == ts)
    ]
    messages = [_bot_message(fake, message, at) for at, message in sorted(stored, key=lambda item: float(item[0]))]
    return {"ok": True, "messages": _metadata_if_asked(args, messages), "has_more": False}


def _metadata_if_asked(args: dict[str, Any], messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Slack hands message metadata back only to include_all_metadata (docs.slack.dev/messaging/message-metadata)."""
    if truthy(args.get("include_all_metadata")):
        return messages
    return [{k: v for k, v in message.items() if k != "metadata"} for message in messages]


def views_open(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    view = _view_arg(args)
    fake.triggers.exchange(args.get("trigger_id"))
    return {"ok": True, "view": _store_view(fake, view, None)}


def views_update(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    view = _view_arg(args)
    view_id = args.get("view_id")
    if not view_id:
        external_id = args.get("external_id")
        if not external_id:
            raise SlackError("invalid_arguments")
        view_id = next((k for k, v in fake.views.items() if v.get("external_id") == external_id), None)
    if view_id not in fake.views:
        raise SlackError("not_found")
    return {"ok": True, "view": _store_view(fake, view, str(view_id))}


def views_publish(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    required(args, "user_id", "invalid_arguments")
    return {"ok": True, "view": _store_view(fake, _view_arg(args), None)}


def _view_arg(args: dict[str, Any]) -> dict[str, Any]:
    view = args.get("view")
    if not isinstance(view, dict):
        raise SlackError("invalid_arguments", ["view must be an object [json-pointer:/view]"])
    problems = block_problems(view.get("blocks", []), VIEW_BLOCK_LIMIT, "/view/blocks")
    if problems:
        raise SlackError("invalid_blocks", problems)
    problems = view_problems(view)
    if problems:
        raise SlackError("invalid_arguments", problems)
    return view


def _store_view(fake: FakeSlack, view: dict[str, Any], view_id: str | None) -> dict[str, Any]:
    view_id = view_id or "V" + uuid.uuid4().hex[:10].upper()
    stored = {
        **view,
        "id": view_id,
        "team_id": fake.TEAM_ID,
        "callback_id": view.get("callback_id", ""),
        "private_metadata": view.get("private_metadata", ""),
        "external_id": view.get("external_id", ""),
        "state": {"values": {}},
        "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": fake.APP_ID,
        "bot_id": fake.BOT_ID,
    }
    fake.views[view_id] = stored
    return stored


def usergroups_users_list(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    group = args.get("usergroup")
    if not group or group not in fake.usergroup_members:
        raise SlackError("no_such_subteam")
    return {"ok": True, "users": list(fake.usergroup_members[group])}


def users_info(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    """`include_locale`: "Set this to true to receive the locale for this user. Defaults to false"
    (docs.slack.dev/reference/methods/users.info): the user's `locale` (an IETF tag such as "en-US", "zh-CN") is in
    the answer only then."""
    user_id = required(args, "user", "user_not_found")
    if user_id in fake.users:
        user = dict(fake.users[user_id])
    elif user_id[:1] not in ("U", "W"):
        raise SlackError("user_not_found")
    else:
        user = user_object(user_id, fake.TEAM_ID, is_bot=user_id == fake.BOT_USER_ID)
    locale = user.pop("locale", DEFAULT_LOCALE)
    if str(args.get("include_locale", "")).lower() in ("true", "1"):
        user["locale"] = locale
    return {"ok": True, "user": user}


METHODS: dict[str, Method] = {
    "apps.connections.open": apps_connections_open,
    "auth.test": auth_test,
    "chat.postMessage": chat_post_message,
    "chat.update": chat_update,
    "chat.delete": chat_delete,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.getPermalink": chat_get_permalink,
    "conversations.history": conversations_history,
    "conversations.replies": conversations_replies,
    "views.open": views_open,
    "views.update": views_update,
    "views.publish": views_publish,
    "usergroups.users.list": usergroups_users_list,
    "users.info": users_info,
}

APP_TOKEN_METHODS = frozenset({"apps.connections.open"})


def check_token(fake: FakeSlack, method: str, token: str, in_header: bool) -> None:
    """Slack's token rules: only the app-level token opens Socket Mode connections, and it does nothing else
    (docs.slack.dev/reference/methods/apps.connections.open)."""
    if method in APP_TOKEN_METHODS:
        if token == fake.bot_token:
            raise SlackError("not_allowed_token_type")
        if token != fake.app_token:
            raise SlackError("invalid_auth")
        if not in_header:  # Slack: "passing it as a POST parameter will result in an error"
            raise SlackError("not_authed")
    elif token == fake.app_token:
        raise SlackError("not_allowed_token_type")
    elif token != fake.bot_token:
        raise SlackError("invalid_auth")
