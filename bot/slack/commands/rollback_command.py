"""`/miniprogram-rollback [program] [status|history]`: acknowledge at once, then ask WeChat and the record."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.i18n import answer_for
from bot.slack.commands.answers import answer
from bot.slack.commands.grammar import parse_command
from bot.slack.errors import reported
from bot.slack.ids import COMMAND
from bot.slack.listening import programs_of
from bot.slack.messages.chooser import program_chooser
from bot.slack.messages.forms import holding_text
from bot.slack.messages.help import help_text, unknown_program_text, unknown_text
from bot.slack.messages.notices import direct_message_notice, wrong_channel_notice


def register(app: App) -> None:
    app.command(COMMAND)(reported(rollback_command))


def rollback_command(
    ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
) -> None:
    programs = programs_of(context)
    parsed = parse_command(str(command.get("text") or ""))
    channel_id = command.get("channel_id")
    named = programs.named(parsed.program) if parsed.program is not None else None
    answer_for(named.appid if named else programs.only.appid if programs.only else None)  # help included
    if parsed.verb == "help":
        ack(text=help_text(programs.aliases()), response_type="ephemeral")
        return
    if parsed.verb == "unknown":
        ack(text=unknown_text(str(command.get("text") or ""), programs.aliases()), response_type="ephemeral")
        return
    if parsed.program is not None and named is None:
        ack(text=unknown_program_text(parsed.program, programs.aliases()), response_type="ephemeral")
        return
    if parsed.verb == "pick" and _direct(command):  # nobody else could see, let alone approve, a request here
        ack(text=direct_message_notice(), response_type="ephemeral")
        return
    asked_about = [named] if named is not None else list(programs)
    # Offer only what may be rolled back here; reading status and history is allowed anywhere.
    candidates = asked_about
    if parsed.verb == "pick":
        candidates = [workflow for workflow in asked_about if not workflow.policy.why_not_here(channel_id)]
    if not candidates:
        channels = frozenset[str]().union(*(workflow.policy.channels for workflow in asked_about))
        ack(text=wrong_channel_notice(channels), response_type="ephemeral")
        return
    if len(candidates) > 1:
        text, blocks = program_chooser(parsed.verb, [(w.alias, w.appid) for w in candidates])
        ack(text=text, blocks=blocks, response_type="ephemeral")
        return
    # WeChat may be slow: Slack gets its answer before WeChat is asked anything.
    ack(text=holding_text(parsed.verb, candidates[0].name), response_type="ephemeral")
    answer(parsed.verb, candidates[0], respond, client, replace=False)


def _direct(command: dict[str, Any]) -> bool:
    """A direct message or a group DM, as Slack names them in a command's payload."""
    name = str(command.get("channel_name") or "")
    return name == "directmessage" or name.startswith("mpdm-") or str(command.get("channel_id") or "").startswith("D")
