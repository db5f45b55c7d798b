"""One error handler: turn any listener failure into a clear ephemeral reply and a log line; and how every
listener runs.

Listeners are registered `reported(...)`. The Bolt app processes before responding (`process_before_response`),
and `reported` hands the listener to the listener pool itself, answering Slack the moment the listener calls
`ack()` (an event, where Bolt's own runner polls every 10 ms); a failure after the acknowledgement is reported
here rather than handed back to Bolt, whose own handling of it could erase an acknowledgement not yet sent.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse, Respond
from slack_bolt.util.utils import get_arg_names_of_callable
from slack_sdk import WebClient

from bot.i18n import person
from bot.rollback.model import RequestRefused
from bot.slack import payloads
from bot.slack.acks import ACK_TIMEOUT, AckThenYield
from bot.slack.listening import listeners_of, locales_of
from bot.slack.messages.problems import describe_problem, late_click
from bot.slack.replies import tell
from bot.wechat.errors import WeChatError, WeChatUnavailable

log = logging.getLogger(__name__)

_EXPECTED = (RequestRefused, WeChatError, WeChatUnavailable, payloads.BadPayload)


Listener = Callable[..., None]


def register(app: App) -> None:
    def handle_error(
        error: Exception, body: dict[str, Any], client: WebClient, respond: Respond | None
    ) -> BoltResponse | None:
        if _raised_by_bolt(error) or isinstance(error, payloads.BadPayload):
            # Bolt trusts a signed payload's shape: a malformed one fails inside it, before any listener ran.
            log.warning("refused a malformed Slack request: %s: %s", type(error).__name__, error)
            return BoltResponse(status=400, body="malformed request")
        report(error, body, client, respond)
        return None

    app.error(handle_error)


def reported(listener: Listener) -> Callable[..., BoltResponse | None]:
    """`listener`, run in the listener pool: Slack is answered as soon as it acknowledges (its failures before
    that are Bolt's to answer, through handle_error), and its failures after are reported to the user."""
    wanted = get_arg_names_of_callable(listener)

    # Bolt passes the arguments a listener names; this one names every argument our listeners use.
    def run(
        ack: Ack,
        body: dict[str, Any],
        client: WebClient,
        respond: Respond,
        command: dict[str, Any] | None,
        view: dict[str, Any] | None,
        event: dict[str, Any] | None,
        context: BoltContext,
    ) -> BoltResponse | None:
        acked = threading.Event()
        given: dict[str, Any] = {"ack": AckThenYield(ack, acked), "body": body, "client": client}
        given |= {"respond": respond, "command": command, "view": view, "event": event, "context": context}

        # The request's context, copied: what the listener sets there (the language it speaks in, bot.i18n)
        # never reaches the next listener the pool's thread runs.
        own = contextvars.copy_context()

        def work() -> None:
            own.run(attempt)

        def attempt() -> None:
            try:
                reply_in_persons_language(context, body)
                listener(**{name: given[name] for name in wanted})
            except Exception as error:
                if ack.response is None:  # not acknowledged: Bolt answers Slack, through handle_error
                    raise
                report(error, body, client, respond)
            finally:
                acked.set()

        done = listeners_of(context).submit(work)
        if "ack" not in wanted:  # an event: Bolt acknowledges it by itself
            return None
        acked.wait(ACK_TIMEOUT)
        if ack.response is None and done.done() and done.exception() is not None:
            raise done.exception()  # type: ignore[misc]
        return ack.response

    return run


def reply_in_persons_language(context: BoltContext, body: dict[str, Any]) -> None:
    """With USER_LOCALE=true, what is said to this person alone is in their own Slack language, when it is one
    the bot speaks; else in the mini program's (bot.i18n.answer_for, once the listener knows which)."""
    locales = locales_of(context)
    if locales is None:
        return
    event = body.get("event")
    user_id = event.get("user") if isinstance(event, dict) else None  # an event: App Home opened
    try:
        user_id = user_id or payloads.user_id(body)
    except payloads.BadPayload:
        return
    if isinstance(user_id, str):
        person(locales.language(user_id))


def report(error: Exception, body: dict[str, Any], client: WebClient, respond: Respond | None) -> None:
    reference = uuid.uuid4().hex[:8]
    if isinstance(error, _EXPECTED) or late_click(error):
        log.warning("refused a Slack request [%s]: %s", reference, error)
    else:
        log.error("listener failed [%s]", reference, exc_info=error)
    try:
        user_id = payloads.user_id(body)
    except payloads.BadPayload:
        return
    try:
        tell(
            describe_problem(error, reference),
            respond=respond,
            client=client,
            channel_id=payloads.channel_id(body),
            user_id=user_id,
        )
    except Exception:
        log.exception("could not tell %s about error [%s]", user_id, reference)


def _raised_by_bolt(error: Exception) -> bool:
    frame = error.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    return frame is not None and "slack_bolt" in Path(frame.tb_frame.f_code.co_filename).parts
