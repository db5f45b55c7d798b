"""What the command answers for one mini program, once it is known which: the picker, its status or history.

Shared by the slash command and the program buttons it offers when several mini programs are configured.
"""

from __future__ import annotations

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.rollback.workflow import RollbackWorkflow
from bot.slack.messages.picker import picker_message
from bot.slack.messages.status import history_message, status_message
from bot.slack.replies import permalink, permalinks


def answer(verb: str, workflow: RollbackWorkflow, respond: Respond, client: WebClient, *, replace: bool) -> None:
    """`replace`: the answer takes the holding text's place. Never on a slash command's own response_url, where
    Slack ignores `replace_original` (bolt-python #1268): there the answer follows the holding text, which reads
    as a true step before it."""
    if verb == "status":
        status = workflow.status()
        shown = [r for r in (status.open_request, status.last_rollback) if r is not None]
        message, blocks = status_message(status, permalinks(client, shown))
    elif verb == "history":
        history = workflow.history()
        name = workflow.name
        message, blocks = history_message(name, history, permalinks(client, history))
    else:
        options = workflow.options()
        link = permalink(client, options.open_request) if options.open_request else None
        message, blocks = picker_message(options, open_request_link=link)
    respond(text=message, blocks=blocks, response_type="ephemeral", replace_original=replace)
