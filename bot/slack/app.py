"""Build the Bolt app and wire every listener to the workflow."""

from __future__ import annotations

from concurrent.futures import Executor

from slack_bolt import App
from slack_sdk import WebClient

from bot.config import Settings
from bot.rollback.programs import Programs
from bot.slack import actions, commands, errors, events, listening, views
from bot.slack.delivery import Delivery
from bot.slack.locales import SlackLocales
from bot.slack.sandbox import install_sandbox_stamp
from bot.store.submission_store import SubmissionStore


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
    commands.register(app)
    actions.register(app)
    views.register(app)
    events.register(app)
    errors.register(app)
    return app
