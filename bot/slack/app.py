"""Build the Bolt app and wire every listener to the workflow."""

from __future__ import annotations

import logging
from concurrent.futures import Executor

from slack_bolt import App
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient

from bot.config import Settings
from bot.rollback.programs import Programs
from bot.slack import actions, commands, errors, events, listening, views
from bot.slack.delivery import Delivery
from bot.slack.locales import SlackLocales
from bot.slack.sandbox import install_sandbox_stamp
from bot.store.submission_store import SubmissionStore


class _OwnClientNoted(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment by itself and warns, at every start, that the client we
    give it (which carries that token, with our retry handlers) wins: true, expected, and noise at start-up."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


logging.getLogger("slack_bolt.App").addFilter(_OwnClientNoted())


def build_bolt_app(
    settings: Settings,
    programs: Programs,
    client: WebClient,
    listeners: Executor,
    delivery: Delivery,
    submissions: SubmissionStore,
) -> App:
    app = App(
        client=client,
        # Socket Mode requests are authenticated by the WebSocket itself and carry no signature.
        signing_secret=settings.slack_signing_secret or "",
        request_verification_enabled=not settings.socket_mode,
        # Slack is asked (auth.test) once the health endpoints answer: bot.startup.SlackConnection.
        token_verification_enabled=False,
        # Listeners are handed to `listeners` by bot.slack.errors.reported, which answers Slack at their ack().
        process_before_response=True,
        listener_executor=listeners,
    )
    if settings.sandbox:
        install_sandbox_stamp(app)  # first, so every listener and middleware sends stamped messages
    locales = SlackLocales(client) if settings.user_locale else None
    listening.provide(app, programs, delivery, listeners, submissions, locales)
    actions.register(app)  # first: see actions.register
    commands.register(app)
    views.register(app)
    events.register(app)
    errors.register(app)
    return app
