"""The ephemeral list of versions the requester can roll back to, or the phased release to stop first."""

from __future__ import annotations

from typing import Any

from bot.i18n import LANGUAGES, _, speaking
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
    if online is None:
        online_line = _("Online now: WeChat reports no released version.")
    elif online.time:
        online_line = _("Online now: *{version}*, released {released}").format(
            version=escape(online.version), released=when(online.time)
        )
    else:
        online_line = _("Online now: *{version}*").format(version=escape(online.version))
    if online is not None and online.description:
        online_line += f"\n>{escape(truncate(online.description, 300))}"
    name = program_name(options.alias, options.appid)
    blocks: Blocks = [
        section(_("*Roll back mini program `{program}`*").format(program=escape(name)) + f"\n{online_line}")
    ]
    if options.open_request is not None:
        blocks.append(section(":warning: " + already_open_notice(options.open_request, open_request_link, name)))
        return _("A rollback request is already open"), blocks
    gray = options.gray.in_progress
    if gray:
        blocks.append(phased_release_block(options.gray, options.appid, name, with_button=True))
    if not options.versions:
        blocks.append(
            section(
                ":information_source: "
                + _(
                    "WeChat lists no version to roll back to. That happens when there is no earlier release, or "
                    "right after a rollback (WeChat allows only one until the next release)."
                )
            )
        )
        return (_("A phased release is running") if gray else _("No version to roll back to")), blocks
    heading = _("Versions WeChat can roll back to, newest first:")
    if gray:
        heading = _("Versions WeChat keeps, newest first (offered once the phased release is stopped):")
    blocks.append(section(heading))
    blocks.extend(
        _version_block(version, options.appid, with_button=not gray) for version in newest_first(options.versions)
    )
    if gray:
        return _("A phased release of {program} is running: stop it before rolling back").format(program=name), blocks
    return _("Choose a version of {program} to roll back to").format(program=name), blocks


def newest_first(versions: list[HistoryVersion]) -> list[HistoryVersion]:
    """WeChat lists versions oldest first (its API page's example), and no order is promised: sort them here."""
    return sorted(versions, key=lambda version: (version.commit_time, version.app_version), reverse=True)


def _roll_back_to(version: str) -> str:
    return _("Roll back to {version}").format(version=version)


def version_from_button(text: str) -> str | None:
    """The version name a version button shows, in whichever language it was posted (the modal repeats it)."""
    for language in LANGUAGES:
        with speaking(language):
            before, _sep, after = _roll_back_to("\0").partition("\0")
        if text.startswith(before) and text.endswith(after) and len(text) > len(before) + len(after):
            return text[len(before) : len(text) - len(after)]
    return None


def _version_block(version: HistoryVersion, appid: str, *, with_button: bool) -> dict[str, Any]:
    label = escape(version.user_version) or _("(no version name)")
    text = _("*{version}*  ·  app_version {app_version}  ·  committed {committed}").format(
        version=label, app_version=version.app_version, committed=when(version.commit_time)
    )
    if version.user_desc:
        text += f"\n{escape(truncate(version.user_desc, 500))}"
    block = section(text)
    if with_button:
        block["accessory"] = {
            "type": "button",
            "action_id": f"{PICK_VERSION_PREFIX}{version.app_version}",
            "text": plain(truncate(_roll_back_to(version.user_version), 75)),
            "value": f"{appid}:{version.app_version}",
            "confirm": {
                "title": plain(_("Request this rollback?")),
                "text": {
                    "type": "mrkdwn",
                    "text": truncate(
                        _(
                            "You will ask for `{appid}` to be rolled back to *{version}* (app_version {app_version}). "
                            "Nothing changes until a second person approves."
                        ).format(appid=escape(appid), version=label, app_version=version.app_version),
                        300,
                    ),
                },
                "confirm": plain(_("Continue")),
                "deny": plain(_("Back")),
            },
        }
    return block
