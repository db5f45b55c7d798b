"""The shapes shared by the request buttons: decide at once, or ask for a note in a modal first."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.i18n import answer_for
from bot.rollback.claims import Progress
from bot.rollback.model import Decision, RollbackRequest
from bot.rollback.workflow import RollbackWorkflow
from bot.slack import payloads
from bot.slack.listening import delivery_of, programs_of
from bot.slack.messages.decision_modals import RequestRef, refused_modal
from bot.slack.messages.notices import decision_notice
from bot.slack.replies import apply_decision

log = logging.getLogger(__name__)

Decide = Callable[[RollbackWorkflow, int, str, Progress], Decision]
Modal = Callable[[RollbackRequest, RequestRef, str], dict[str, Any]]


def decision_listener(decide: Decide) -> Callable[..., None]:
    """`decide` is given the workflow of the request's own mini program."""

    def listener(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext) -> None:
        ack()
        user_id = payloads.user_id(body)
        request_id = payloads.action_number(body)
        workflow = programs_of(context).owning(request_id)
        answer_for(workflow.appid)  # the person is answered in their mini program's language
        delivery = delivery_of(context)

        def show(decision: Decision) -> None:
            if _adopt_orphan(workflow, decision, body):
                delivery.deliver(request_id)
            apply_decision(
                decision,
                delivery=delivery,
                respond=respond,
                client=client,
                channel_id=payloads.channel_id(body),
                user_id=user_id,
            )

        show(decide(workflow, request_id, user_id, show))

    return listener


def _adopt_orphan(workflow: RollbackWorkflow, decision: Decision, body: dict[str, Any]) -> bool:
    """A click on a request message the bot never learnt it had posted (Slack's answer was lost, or the bot
    stopped before recording it): that message is the request's, and from now on shows what is recorded."""
    request, channel_id, ts = decision.request, payloads.channel_id(body), payloads.message_ts(body)
    if request is not None and request.message_ts is None and channel_id == request.channel_id and ts:
        workflow.attach_message(request, channel_id, ts)
        return True
    return False


def form_listener(action: str, modal: Modal) -> Callable[..., None]:
    """The rules that need nothing from Slack first, then open the form at once (a trigger_id lasts 3 seconds),
    then the rules that ask Slack (users.info, a user group's members), which may wait out its rate limits: a
    click they refuse turns the open form into the refusal, so nobody fills in a form for nothing."""

    def listener(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext) -> None:
        ack()
        user_id = payloads.user_id(body)
        request_id = payloads.action_number(body)
        channel_id = payloads.channel_id(body)
        workflow = programs_of(context).owning(request_id)
        answer_for(workflow.appid)  # the person is answered in their mini program's language
        delivery = delivery_of(context)

        def refuse(decision: Decision) -> None:
            apply_decision(
                decision, delivery=delivery, respond=respond, client=client, channel_id=channel_id, user_id=user_id
            )

        # The database and the settings only, before the trigger_id runs out.
        quick = workflow.decisions.precheck(action, request_id, user_id, ask_slack=False)
        request = workflow.get(request_id)
        if quick is not None or request is None:
            refuse(quick or Decision(None))
            return
        ref = RequestRef(request_id, channel_id, body.get("response_url"))
        form = modal(request, ref, workflow.name)
        opened = client.views_open(trigger_id=body["trigger_id"], view=form)["view"]
        refusal = workflow.decisions.precheck(action, request_id, user_id)
        if refusal is None:
            return
        try:
            refused = refused_modal(str(form["title"]["text"]), decision_notice(refusal))
            client.views_update(view_id=opened["id"], hash=opened.get("hash"), view=refused)
        except Exception as error:  # the form was closed, or changed: say it the usual way
            log.info("could not turn the form into its refusal: %s", type(error).__name__)
            refuse(refusal)
            return
        if refusal.request is not None and refusal.events:
            delivery.deliver(refusal.request.id)  # a refusal recorded for the thread

    return listener
