"""`/miniprogram-rollback [status|history|help]`: acknowledge at once, then ask WeChat and the record."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.rollback.workflow import RollbackWorkflow
from bot.slack.ids import COMMAND
from bot.slack.messages.help import help_text, unknown_app_text, unknown_text
from bot.slack.messages.notices import wrong_channel_notice
from bot.slack.messages.picker import picker_message
from bot.slack.messages.status import history_message, status_message
from bot.slack.replies import permalink, permalinks


def register(app: App, workflow: RollbackWorkflow) -> None:
    def rollback_command(ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        text = str(command.get("text") or "").strip()
        if text.lower() in ("help", "-h", "--help", "?"):
            ack(text=help_text(), response_type="ephemeral")
            return
        verb, _, rest = text.partition(" ")
        if verb.lower() in ("status", "history"):
            if rest.strip() and rest.strip() != workflow.appid:
                ack(text=unknown_app_text(rest.strip(), workflow.appid), response_type="ephemeral")
                return
            ack(text=f"Looking up `{workflow.appid}`…", response_type="ephemeral")
            if verb.lower() == "status":
                status = workflow.status()
                shown = [r for r in (status.open_request, status.last_rollback) if r is not None]
                message, blocks = status_message(status, permalinks(client, shown))
            else:
                history = workflow.history()
                message, blocks = history_message(workflow.appid, history, permalinks(client, history))
            respond(text=message, blocks=blocks, response_type="ephemeral", replace_original=True)
            return
        if text:
            ack(text=unknown_text(text), response_type="ephemeral")
            return
        if workflow.policy.why_not_here(command.get("channel_id")):
            ack(text=wrong_channel_notice(workflow.policy.channels), response_type="ephemeral")
            return
        # WeChat may be slow: Slack gets its answer before WeChat is asked anything.
        ack(text=f"Asking WeChat which versions of `{workflow.appid}` it can roll back to…", response_type="ephemeral")
        options = workflow.options()
        link = permalink(client, options.open_request) if options.open_request else None
        message, blocks = picker_message(options, open_request_link=link)
        respond(text=message, blocks=blocks, response_type="ephemeral", replace_original=True)

    app.command(COMMAND)(rollback_command)
