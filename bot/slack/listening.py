"""What every listener is given beside Slack's payload: the mini programs, the delivery and the pool listeners
run in, in Bolt's context.

Listeners are module-level functions (tests call them with a context of their own); one middleware puts these
in every request's context.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor

from slack_bolt import App, BoltContext

from bot.rollback.programs import Programs
from bot.slack.delivery import Delivery
from bot.slack.locales import SlackLocales
from bot.store.submission_store import SubmissionStore

_PROGRAMS, _DELIVERY = "miniprogram_rollback_programs", "miniprogram_rollback_delivery"
_LISTENERS = "miniprogram_rollback_listeners"
_SUBMISSIONS = "miniprogram_rollback_submissions"
_LOCALES = "miniprogram_rollback_locales"


def provide(
    app: App,
    programs: Programs,
    delivery: Delivery,
    listeners: Executor,
    submissions: SubmissionStore,
    locales: SlackLocales | None = None,
) -> None:
    """`locales`: with USER_LOCALE=true, replies to one person are in their own Slack language."""

    def middleware(context: BoltContext, next: Callable[[], None]) -> None:
        context[_PROGRAMS] = programs
        context[_DELIVERY] = delivery
        context[_LISTENERS] = listeners
        context[_SUBMISSIONS] = submissions
        context[_LOCALES] = locales
        next()

    app.middleware(middleware)


def listeners_of(context: BoltContext) -> Executor:
    """The pool listeners run in (bot.slack.errors.reported hands them to it)."""
    listeners = context[_LISTENERS]
    assert isinstance(listeners, Executor)
    return listeners


def locales_of(context: BoltContext) -> SlackLocales | None:
    locales = context.get(_LOCALES)
    return locales if isinstance(locales, SlackLocales) else None


def programs_of(context: BoltContext) -> Programs:
    programs = context[_PROGRAMS]
    assert isinstance(programs, Programs)
    return programs


def delivery_of(context: BoltContext) -> Delivery:
    delivery = context[_DELIVERY]
    assert isinstance(delivery, Delivery)
    return delivery


def submissions_of(context: BoltContext) -> SubmissionStore:
    submissions = context[_SUBMISSIONS]
    assert isinstance(submissions, SubmissionStore)
    return submissions
