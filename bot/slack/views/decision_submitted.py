"""The reject-reason and break-glass modals' submissions: decide, then show the decision."""

from __future__ import annotations

import contextlib
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.i18n import answer_for
from bot.rollback.model import MIN_JUSTIFICATION_LENGTH, Decision, Refusal, RequestRefused, StoreUnavailable
from bot.slack import payloads
from bot.slack.delivery import Delivery
from bot.slack.errors import reported
from bot.slack.ids import BREAK_GLASS_VIEW, NOTE_BLOCK, NOTE_INPUT, REJECT_VIEW
from bot.slack.listening import delivery_of, programs_of
from bot.slack.messages.decision_modals import RequestRef
from bot.slack.messages.forms import form_expired
from bot.slack.messages.notices import refused_words
from bot.slack.replies import apply_decision, respond_via
from bot.slack.views.once import first_submission


def register(app: App) -> None:
    app.view(REJECT_VIEW)(reported(reject_submitted))
    app.view(BREAK_GLASS_VIEW)(reported(break_glass_submitted))


def reject_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ref = _ref(ack, view)
    if ref is None:
        return
    ack()
    if not first_submission(context, view):
        return
    user_id = payloads.user_id(body)
    workflow = programs_of(context).owning(ref.request_id)
    answer_for(workflow.appid)  # the person is answered in their mini program's language
    decision = workflow.decisions.reject(ref.request_id, user_id, _note(view))
    _show(delivery_of(context), decision, ref, client, user_id)


def break_glass_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ref = _ref(ack, view)
    if ref is None:
        return
    justification = _note(view)
    if len(justification) < MIN_JUSTIFICATION_LENGTH:
        # Worded in the language the form was opened in (its program's): the person reads it inside that form.
        # Several programs: the request says which (a database out of reach leaves the language in force).
        with contextlib.suppress(SQLAlchemyError, StoreUnavailable):
            answer_for(programs_of(context).owning(ref.request_id).appid)
        ack(
            response_action="errors",
            errors={
                NOTE_BLOCK: refused_words(RequestRefused(Refusal.SHORT_JUSTIFICATION, minimum=MIN_JUSTIFICATION_LENGTH))
            },
        )
        return
    ack()
    if not first_submission(context, view):
        return
    user_id = payloads.user_id(body)
    workflow = programs_of(context).owning(ref.request_id)
    answer_for(workflow.appid)  # the person is answered in their mini program's language
    delivery = delivery_of(context)

    def show(decision: Decision) -> None:
        _show(delivery, decision, ref, client, user_id)  # the bypass is announced with its step in the thread

    show(workflow.decisions.break_glass(ref.request_id, user_id, justification, show))


def _ref(ack: Ack, view: dict[str, Any]) -> RequestRef | None:
    try:
        return RequestRef.load(str(view.get("private_metadata") or ""))
    except ValueError:
        ack(response_action="errors", errors={NOTE_BLOCK: form_expired()})
        return None


def _note(view: dict[str, Any]) -> str:
    return payloads.input_value(view, NOTE_BLOCK, NOTE_INPUT)


def _show(delivery: Delivery, decision: Decision, ref: RequestRef, client: WebClient, user_id: str) -> None:
    apply_decision(
        decision,
        delivery=delivery,
        respond=respond_via(ref.response_url, client),
        client=client,
        channel_id=ref.channel_id,
        user_id=user_id,
    )
