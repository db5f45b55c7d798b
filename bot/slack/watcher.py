"""The version watch's Slack side: each mini program's check (one replica at a time: bot/rollback/watch.py), any
request it withdrew shown at once, and the notices of changes made outside the bot posted to the program's notify
channel, once each (bot/rollback/notices.py).

A notice is claimed in the database and marked in doubt before its post, and posted with metadata naming it: a post
whose answer was lost, or whose replica stalled past its claim, is found in the channel's history and recorded, never
posted again (as request messages are: bot/slack/publisher.py)."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot.i18n import program_language, speaking
from bot.rollback.model import StoreUnavailable
from bot.rollback.notices import NoticeQueue
from bot.rollback.programs import Programs
from bot.rollback.sightings import Notice
from bot.rollback.workflow import RollbackWorkflow
from bot.slack.delivery import Delivery, retry_after_of
from bot.slack.identity import posted_by_this_bot
from bot.slack.messages.watch import change_notice

log = logging.getLogger(__name__)

NOTICE = "miniprogram_rollback_watch_notice"  # the metadata on a notice: its mini program and its id, to find it by
HISTORY_PAGES = 5  # of 200 messages: a notice in doubt is minutes old, and a notify channel is not that busy
# Cannot look: posting again risks a double, never a loss. `not_in_channel`, `channel_not_found`: the bot may post
# to a public channel it is not in (chat:write.public), yet not read its history; the lookup would never answer.
NO_HISTORY = ("missing_scope", "not_allowed_token_type", "not_in_channel", "channel_not_found")


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
        """Each mini program whose check is due and free, then its notices; returns how many notices were posted."""
        posted = 0
        for workflow in self._programs:
            for step in (self._check, self._announce):
                try:
                    posted += step(workflow)
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
        if noticed.notice is not None and watch.channel is None:
            log.info("%s changed outside the bot (%s); no notify channel is set", workflow.appid, noticed.notice)
        return 0

    def _announce(self, workflow: RollbackWorkflow) -> int:
        """The program's notices, oldest first, until one is not posted (it is tried again later, in order)."""
        watch = workflow.watch
        if watch is None or watch.channel is None:
            return 0
        posted = 0
        for _ in range(20):  # a burst of changes is posted over a few ticks, not in one long run
            notice = watch.notices.claim()
            if notice is None or not self._post(workflow, watch.channel, watch.notices, notice):
                break
            posted += 1
        return posted

    def _post(self, workflow: RollbackWorkflow, channel: str, notices: NoticeQueue, notice: Notice) -> bool:
        """Post one claimed notice (unless it is in the channel already); whether it is known to be there now."""
        metadata: dict[str, Any] = {
            "event_type": NOTICE,
            "event_payload": {"appid": workflow.appid, "notice_id": notice.id},
        }
        if notice.in_doubt:
            try:
                found = self._find(channel, metadata)
            except SlackApiError as error:
                notices.unanswered(notice, f"looking for it: {error.response.get('error')}")
                return False
            if found is not None:
                log.info("the notice of %s's change was in %s already (its answer was lost)", workflow.appid, channel)
                notices.posted(notice, found)
                return True
        if not notices.sending(notice):
            return False  # held up past the claim: another replica has it, and looks before posting
        with speaking(program_language(workflow.appid)):  # a channel message: the program's language
            change = notice.change or notice.text.rstrip(".")  # a notice recorded before the facts were kept: its words
            text, blocks = change_notice(workflow.name, workflow.alias, workflow.appid, change, notice.seen_at)
        try:
            answer = self._client.chat_postMessage(
                channel=channel, text=text, blocks=blocks, unfurl_links=False, metadata=metadata
            )
        except SlackApiError as error:
            code = str(error.response.get("error") or f"HTTP {error.response.status_code}")
            if code in ("fatal_error", "internal_error"):  # Slack says it may have applied some of it
                notices.unanswered(notice, code)
            else:  # not_in_channel, is_archived, channel_not_found, ratelimited...: nothing was posted
                wait = retry_after_of(error) if error.response.status_code == 429 else None
                notices.refused(notice, f"{code} ({channel})", wait)  # no words: any reader
            return False
        except Exception as error:  # reset, timed out: Slack may have posted it
            notices.unanswered(notice, type(error).__name__)
            return False
        ts = str(answer["ts"])
        if not notices.posted(notice, ts):
            self._taken_over(workflow, channel, notices, notice, ts)
        return True

    def _taken_over(
        self, workflow: RollbackWorkflow, channel: str, notices: NoticeQueue, notice: Notice, ts: str
    ) -> None:
        """This replica stalled past its claim mid-post and another took the notice over: if that one recorded a
        post of its own (it looked and did not find this one yet), this post is the second and is taken back."""
        recorded = notices.taken_over(notice)
        if recorded is None or recorded == ts:
            log.warning("the notice of %s's change was taken over by another replica mid-post", workflow.appid)
            return
        try:
            self._client.chat_delete(channel=channel, ts=ts)
            log.warning(
                "the notice of %s's change was posted by another replica too: this copy deleted", workflow.appid
            )
        except SlackApiError as error:
            log.error(
                "a second copy of %s's notice could not be deleted (%s)", workflow.appid, error.response.get("error")
            )

    def _find(self, channel: str, metadata: dict[str, Any]) -> str | None:
        """The ts of the bot's message with this metadata in the channel's recent history; None if it is not there."""
        cursor = None
        try:
            for _ in range(HISTORY_PAGES):
                page = self._client.conversations_history(
                    channel=channel, limit=200, include_all_metadata=True, cursor=cursor
                )
                for message in page.get("messages") or []:
                    found = message.get("metadata") or {}
                    if (
                        posted_by_this_bot(self._client, message)
                        and found.get("event_type") == metadata["event_type"]
                        and found.get("event_payload") == metadata["event_payload"]
                    ):
                        return str(message["ts"])
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not page.get("has_more") or not cursor:
                    return None
        except SlackApiError as error:
            if error.response.get("error") not in NO_HISTORY:
                raise
            log.error(
                "cannot read %s's history (%s): a notice in doubt is posted again", channel, error.response.get("error")
            )
        return None
