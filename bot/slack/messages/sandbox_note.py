"""The note every message carries in sandbox mode (bot.slack.sandbox adds it when sending)."""

from __future__ import annotations

from bot.i18n import _


def sandbox_note() -> str:
    return _(":test_tube: *Sandbox*: simulated WeChat, no real mini program is changed.")
