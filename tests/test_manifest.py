"""The manifests (HTTP and Socket Mode) match the code: command, events, interactivity and exactly the scopes
the code needs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.slack.ids import COMMAND
from bot.web import EVENTS_PATH

ROOT = Path(__file__).resolve().parent.parent
BOT_SOURCES = sorted((ROOT / "bot").rglob("*.py"))

# Web API methods the code may call, and the bot scopes each needs (https://api.slack.com/methods).
# A method missing here fails the test: look its scope up, add it, and the manifest follows.
METHOD_SCOPES: dict[str, set[str]] = {
    "chat.postMessage": {"chat:write"},
    "chat.update": {"chat:write"},
    "chat.postEphemeral": {"chat:write"},
    "chat.delete": {"chat:write"},
    "chat.getPermalink": set(),
    "views.open": set(),
    "views.update": set(),
    "views.push": set(),
    "views.publish": set(),
    "usergroups.users.list": {"usergroups:read"},
    "usergroups.list": {"usergroups:read"},
    "users.info": {"users:read"},
    "conversations.history": {"channels:history", "groups:history"},
    "conversations.replies": {"channels:history", "groups:history"},
}
# Events the code may subscribe to, and the scopes Slack asks for before it delivers them.
EVENT_SCOPES: dict[str, set[str]] = {
    "app_home_opened": set(),
}
# Scopes the manifest may hold beyond the code's needs, each for a documented reason.
EXTRA_SCOPES = {
    "chat:write.public",  # post in a public channel the bot was not invited to
}

_CALL = re.compile(r"\.((?:chat|views|usergroups|users|conversations|reactions|files|pins)_\w+)\(")
_API_CALL = re.compile(r"\.api_call\(\s*[\"']([\w.]+)[\"']")
_EVENT = re.compile(r"\bapp\.event\(\s*[\"']([\w.]+)[\"']")
_COMMAND = re.compile(r"\bapp\.command\(")
_INTERACTIVE = re.compile(r"\bapp\.(?:action|view|shortcut|options|block_action|view_submission)\(")


MANIFESTS = {"manifest.yml": False, "manifest.socket-mode.yml": True}  # file: Socket Mode?


def _load(name: str) -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module", params=sorted(MANIFESTS))
def manifest(request: pytest.FixtureRequest) -> dict[str, Any]:
    loaded = _load(request.param)
    assert loaded["settings"]["socket_mode_enabled"] is MANIFESTS[request.param]
    return loaded


def test_the_two_manifests_differ_only_in_how_slack_reaches_the_bot() -> None:
    def without_urls(manifest: dict[str, Any]) -> dict[str, Any]:
        settings = manifest["settings"]
        command = manifest["features"]["slash_commands"][0]
        for place in (command, settings["event_subscriptions"], settings["interactivity"]):
            place.pop("url", None)
            place.pop("request_url", None)
        settings.pop("socket_mode_enabled")
        return manifest

    assert without_urls(_load("manifest.yml")) == without_urls(_load("manifest.socket-mode.yml"))


def _source() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in BOT_SOURCES)


def called_methods() -> set[str]:
    """Web API methods called through slack_sdk: client.chat_postMessage(...) is chat.postMessage."""
    source = _source()
    return {name.replace("_", ".") for name in _CALL.findall(source)} | set(_API_CALL.findall(source))


def registered_events() -> set[str]:
    return set(_EVENT.findall(_source()))


def test_manifest_has_the_sections_slack_expects(manifest: dict[str, Any]) -> None:
    assert {"display_information", "features", "oauth_config", "settings"} <= manifest.keys()
    info = manifest["display_information"]
    assert isinstance(info["name"], str) and 0 < len(info["name"]) <= 35
    assert isinstance(info.get("description", ""), str) and len(info.get("description", "")) <= 140
    bot_user = manifest["features"]["bot_user"]
    assert isinstance(bot_user["display_name"], str) and bot_user["display_name"]
    assert isinstance(manifest["oauth_config"]["scopes"]["bot"], list)
    settings = manifest["settings"]
    assert settings["token_rotation_enabled"] is False  # the bot keeps one long-lived xoxb- token
    assert isinstance(settings["socket_mode_enabled"], bool)


def test_slash_command_is_the_one_the_code_answers(manifest: dict[str, Any]) -> None:
    assert len(_COMMAND.findall(_source())) == 1
    commands = manifest["features"]["slash_commands"]
    assert [command["command"] for command in commands] == [COMMAND]
    command = commands[0]
    assert command["description"] and len(command["description"]) <= 2000
    assert isinstance(command["should_escape"], bool)
    if not manifest["settings"]["socket_mode_enabled"]:
        assert command["url"].startswith("https://") and command["url"].endswith(EVENTS_PATH)


def test_interactivity_is_enabled_for_buttons_and_modals(manifest: dict[str, Any]) -> None:
    assert _INTERACTIVE.search(_source()), "the code registers buttons and modals"
    interactivity = manifest["settings"]["interactivity"]
    assert interactivity["is_enabled"] is True
    if not manifest["settings"]["socket_mode_enabled"]:
        assert interactivity["request_url"].startswith("https://")
        assert interactivity["request_url"].endswith(EVENTS_PATH)


def test_subscribed_events_are_exactly_the_handled_ones(manifest: dict[str, Any]) -> None:
    handled = registered_events()
    assert handled, "the scan found no app.event(...) registration"
    subscriptions = manifest["settings"]["event_subscriptions"]
    assert set(subscriptions["bot_events"]) == handled
    if not manifest["settings"]["socket_mode_enabled"]:
        assert subscriptions["request_url"].endswith(EVENTS_PATH)
    if "app_home_opened" in handled:
        assert manifest["features"]["app_home"]["home_tab_enabled"] is True


def test_bot_scopes_are_exactly_what_the_code_needs(manifest: dict[str, Any]) -> None:
    methods = called_methods()
    assert {"chat.postMessage", "views.open"} <= methods, "the scan of bot/ for Web API calls found too little"
    unknown = sorted(methods - METHOD_SCOPES.keys())
    assert not unknown, f"add these Web API methods and their scopes to METHOD_SCOPES: {unknown}"
    unknown_events = sorted(registered_events() - EVENT_SCOPES.keys())
    assert not unknown_events, f"add these events and their scopes to EVENT_SCOPES: {unknown_events}"

    needed = {"commands"}  # the slash command
    for method in methods:
        needed |= METHOD_SCOPES[method]
    for event in registered_events():
        needed |= EVENT_SCOPES[event]
    granted = manifest["oauth_config"]["scopes"]["bot"]
    assert len(granted) == len(set(granted)), "a scope is listed twice"
    assert set(granted) - EXTRA_SCOPES == needed
