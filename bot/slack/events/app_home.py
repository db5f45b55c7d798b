"""The App Home tab, drawn afresh from WeChat and the record each time someone opens it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.i18n import answer_for
from bot.rollback.workflow import RollbackWorkflow
from bot.slack.errors import reported
from bot.slack.listening import programs_of
from bot.slack.messages.home import MAX_PROGRAMS_SHOWN, HomeEntry, home_view
from bot.slack.messages.problems import describe_problem
from bot.slack.replies import permalinks
from bot.wechat.errors import WeChatError, WeChatUnavailable

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.event("app_home_opened")(reported(app_home_opened))


def app_home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    if event.get("tab") != "home":
        return
    programs = programs_of(context)
    # One mini program: its language (as the picker's); several: the bot's. The person's own first with USER_LOCALE.
    answer_for(programs.only.appid if programs.only else None)
    entries = [_entry(workflow) for workflow in list(programs)[:MAX_PROGRAMS_SHOWN]]
    shown = [
        *(request for entry in entries for request in entry.history),
        *(
            request
            for entry in entries
            if entry.status is not None
            for request in (entry.status.open_request, entry.status.last_rollback)
            if request is not None
        ),
    ]
    client.views_publish(user_id=str(event["user"]), view=home_view(entries, permalinks(client, shown)))


def _entry(workflow: RollbackWorkflow) -> HomeEntry:
    try:
        status, problem = workflow.status(), None
    except (WeChatError, WeChatUnavailable) as error:  # the record is still worth showing
        status, problem = None, describe_problem(error, "")
    return HomeEntry(workflow.alias, workflow.appid, status, problem, workflow.history())
