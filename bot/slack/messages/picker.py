"""The ephemeral list of versions the requester can roll back to, or the phased release to stop first."""

from __future__ import annotations

from typing import Any

from bot.rollback.model import program_name
from bot.rollback.workflow import Options
from bot.slack.ids import PICK_VERSION_PREFIX
from bot.slack.messages.format import escape, plain, section, truncate, when
from bot.slack.messages.gray import phased_release_block
from bot.slack.messages.notices import already_open_notice
from bot.wechat.types import HistoryVersion

Blocks = list[dict[str, Any]]


def picker_message(options: Options, open_request_link: str | None = None) -> tuple[str, Blocks]:
    online = options.online
    online_line = (
        f"Online now: *{escape(online.version)}*"
        + (f", released {when(online.time)}" if online.time else "")
        + (f"\n>{escape(truncate(online.description, 300))}" if online.description else "")
        if online
        else "Online now: WeChat reports no released version."
    )
    name = program_name(options.alias, options.appid)
    blocks: Blocks = [section(f"*Roll back mini program `{escape(name)}`*\n{online_line}")]
    if options.open_request is not None:
        blocks.append(section(":warning: " + already_open_notice(options.open_request, open_request_link, name)))
        return "A rollback request is already open", blocks
    gray = options.gray.in_progress
    if gray:
        blocks.append(phased_release_block(options.gray, options.appid, name, with_button=True))
    if not options.versions:
        blocks.append(
            section(
                ":information_source: WeChat lists no version to roll back to. That happens when there is no "
                "earlier release, or right after a rollback (WeChat allows only one until the next release)."
            )
        )
        return ("A phased release is running" if gray else "No version to roll back to"), blocks
    heading = "Versions WeChat can roll back to, newest first:"
    if gray:
        heading = "Versions WeChat keeps, newest first (offered once the phased release is stopped):"
    blocks.append(section(heading))
    blocks.extend(
        _version_block(version, options.appid, with_button=not gray) for version in newest_first(options.versions)
    )
    if gray:
        return f"A phased release of {name} is running: stop it before rolling back", blocks
    return f"Choose a version of {name} to roll back to", blocks


def newest_first(versions: list[HistoryVersion]) -> list[HistoryVersion]:
    """WeChat lists versions oldest first (its API page's example), and no order is promised: sort them here."""
    return sorted(versions, key=lambda version: (version.commit_time, version.app_version), reverse=True)


def _version_block(version: HistoryVersion, appid: str, *, with_button: bool) -> dict[str, Any]:
    label = escape(version.user_version) or "(no version name)"
    text = f"*{label}*  ·  app_version {version.app_version}  ·  committed {when(version.commit_time)}"
    if version.user_desc:
        text += f"\n{escape(truncate(version.user_desc, 500))}"
    block = section(text)
    if with_button:
        block["accessory"] = {
            "type": "button",
            "action_id": f"{PICK_VERSION_PREFIX}{version.app_version}",
            "text": plain(truncate(f"Roll back to {version.user_version}", 75)),
            "value": f"{appid}:{version.app_version}",
            "confirm": {
                "title": plain("Request this rollback?"),
                "text": {
                    "type": "mrkdwn",
                    "text": truncate(
                        f"You will ask for `{escape(appid)}` to be rolled back to *{label}* "
                        f"(app_version {version.app_version}). Nothing changes until a second person approves.",
                        300,
                    ),
                },
                "confirm": plain("Continue"),
                "deny": plain("Back"),
            },
        }
    return block
