"""The version watch's Slack side: each mini program's check (one replica at a time: bot/rollback/watch.py), the
change it saw posted to the program's notify channel, and any request it withdrew shown at once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot.i18n import program_language, speaking
from bot.rollback.model import StoreUnavailable
from bot.rollback.programs import Programs
from bot.rollback.workflow import RollbackWorkflow
from bot.slack.delivery import Delivery
from bot.slack.messages.watch import change_notice

log = logging.getLogger(__name__)


class WatchAnnouncer:
    def __init__(self, programs: Programs, client: WebClient, delivery: Delivery) -> None:
        self._programs = programs
        self._client = client
        self._delivery = delivery

    @property
    def tick_seconds(self) -> float | None:
        """How often to look whether a check is due: often enough to post within a few seconds of its interval."""
        intervals = [w.watch.interval for w in self._programs if w.watch is not None and w.watch.interval]
        return None if not intervals else max(1.0, min(5.0, min(i.total_seconds() for i in intervals)))

    def run(self) -> int:
        """Each mini program whose check is due and free; returns how many changes were posted."""
        posted = 0
        for workflow in self._programs:
            try:
                posted += self._check(workflow)
            except SlackApiError as error:  # the bot not in the channel, a rate limit: posted by a later check
                why = error.response.get("error")
                log.warning("posting a change of %s failed (%s); posted again later", workflow.appid, why)
            except Exception as error:
                expected = isinstance(error, (OSError, SQLAlchemyError, StoreUnavailable))
                log.warning(
                    "the version watch of %s failed (%s); retried next time",
                    workflow.appid,
                    type(error).__name__,
                    exc_info=not expected,
                )
        return posted

    def _check(self, workflow: RollbackWorkflow) -> int:
        watch = workflow.watch
        if watch is None:
            return 0
        noticed = watch.check()
        if noticed is None:
            return 0
        for decision in noticed.withdrawn:
            if decision.request is not None:
                self._delivery.deliver(decision.request.id)
        if noticed.notice is None:
            return 0
        if watch.channel is None:
            log.info("%s changed outside the bot (%s); no notify channel is set", workflow.appid, noticed.notice)
            watch.posted()
            return 0
        last = watch.last()
        seen_at = last.last_change_at if last is not None and last.last_change_at else None
        with speaking(program_language(workflow.appid)):  # a channel message: the program's language
            text, blocks = change_notice(
                workflow.name, workflow.alias, workflow.appid, noticed.notice.rstrip("."), seen_at or datetime.now(UTC)
            )
        self._client.chat_postMessage(channel=watch.channel, text=text, blocks=blocks, unfurl_links=False)
        watch.posted()
        return 1
