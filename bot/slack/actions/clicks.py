"""The shapes shared by the request buttons: decide at once, or ask for a note in a modal first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.rollback.claims import Progress
from bot.rollback.model import Decision, RollbackRequest
from bot.rollback.workflow import RollbackWorkflow
from bot.slack import payloads
from bot.slack.listening import delivery_of, programs_of
from bot.slack.messages.decision_modals import RequestRef
from bot.slack.replies import apply_decision

Decide = Callable[[RollbackWorkflow, int, str, Progress], Decision]
Modal = Callable[[RollbackRequest, RequestRef, str], dict[str, Any]]


def decision_listener(decide: Decide) -> Callable[..., None]:
    """`decide` is given the workflow of the request's own mini program."""

    def listener(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext) -> None:
        ack()
        user_id = payloads.user_id(body)
        request_id = payloads.action_number(body)
        workflow = programs_of(context).owning(request_id)
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
    """Check the rules first, so nobody fills in a form for a click that would be refused."""

    def listener(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext) -> None:
        ack()
        user_id = payloads.user_id(body)
        request_id = payloads.action_number(body)
        channel_id = payloads.channel_id(body)
        workflow = programs_of(context).owning(request_id)
        delivery = delivery_of(context)
        refusal = workflow.decisions.precheck(action, request_id, user_id)
        request = workflow.get(request_id)
        if refusal is not None or request is None:
            decision = refusal or Decision(None)
            apply_decision(
                decision, delivery=delivery, respond=respond, client=client, channel_id=channel_id, user_id=user_id
            )
            return
        ref = RequestRef(request_id, channel_id, body.get("response_url"))
        view = modal(request, ref, workflow.name)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    return listener
