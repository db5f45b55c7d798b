"""What every listener is given beside Slack's payload: the mini programs and the delivery, in Bolt's context.

Listeners are module-level functions (tests call them with a context of their own); one middleware puts these
in every request's context.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App, BoltContext

from bot.rollback.programs import Programs
from bot.slack.delivery import Delivery
from bot.store.submission_store import SubmissionStore

_PROGRAMS, _DELIVERY = "miniprogram_rollback_programs", "miniprogram_rollback_delivery"
_SUBMISSIONS = "miniprogram_rollback_submissions"


def provide(app: App, programs: Programs, delivery: Delivery, submissions: SubmissionStore) -> None:
    def middleware(context: BoltContext, next: Callable[[], None]) -> None:
        context[_PROGRAMS] = programs
        context[_DELIVERY] = delivery
        context[_SUBMISSIONS] = submissions
        next()

    app.middleware(middleware)


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
