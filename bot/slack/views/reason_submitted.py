"""The reason modal's submission: open the request and post it in the channel for approval."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.rollback.model import RequestRefused
from bot.rollback.programs import Programs
from bot.rollback.workflow import AlreadyOpen
from bot.slack import payloads
from bot.slack.delivery import Delivery
from bot.slack.errors import reported
from bot.slack.ids import REASON_BLOCK, REASON_INPUT, REASON_VIEW
from bot.slack.messages.notices import already_open_notice
from bot.slack.messages.problems import describe_problem
from bot.slack.messages.reason_modal import PendingChoice
from bot.slack.messages.request import request_message
from bot.slack.replies import permalink, respond_via, tell
from bot.wechat.errors import WeChatError, WeChatUnavailable


def register(app: App, programs: Programs, delivery: Delivery) -> None:
    def reason_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        try:
            choice = PendingChoice.load(str(view.get("private_metadata") or ""))
        except ValueError:
            ack(response_action="errors", errors={REASON_BLOCK: "This form is no longer valid: run the command again."})
            return
        workflow = programs.by_appid(choice.appid)
        if workflow is None:
            ack(response_action="errors", errors={REASON_BLOCK: "This mini program is no longer configured."})
            return
        reason = _reason(view)
        if not reason:
            ack(response_action="errors", errors={REASON_BLOCK: "Please give a reason: it goes on the record."})
            return
        ack()
        user_id = payloads.user_id(body)
        respond = respond_via(choice.response_url, client)

        def reply(text: str) -> None:
            tell(text, respond=respond, client=client, channel_id=choice.channel_id, user_id=user_id)

        try:
            request = workflow.open_request(user_id, choice.channel_id, choice.app_version, reason)
        except AlreadyOpen as open_already:
            existing = open_already.existing
            reply(
                already_open_notice(existing, permalink(client, existing), workflow.name)
            )
            return
        except (RequestRefused, WeChatError, WeChatUnavailable) as problem:
            reply(describe_problem(problem, reference=""))
            return
        text, blocks = request_message(
            request, break_glass=workflow.policy.break_glass, program=workflow.name
        )
        try:
            posted = client.chat_postMessage(channel=choice.channel_id, text=text, blocks=blocks)
        except SlackApiError as error:
            code = str(error.response.get("error"))
            workflow.withdraw_unposted(request, code)
            reply(
                f"I could not post the request in <#{choice.channel_id}> (Slack said `{code}`), so it was withdrawn "
                "and nothing was changed. If I'm not in the channel, invite me with `/invite` and try again."
            )
            return
        workflow.attach_message(request, str(posted["channel"]), str(posted["ts"]))
        delivery.deliver(request.id)  # the thread starts: the request, and anything recorded since
        if respond is not None:
            respond(
                text=f"Request #{request.id} posted in <#{choice.channel_id}>: it needs a second person's approval.",
                response_type="ephemeral",
                replace_original=True,
            )

    app.view(REASON_VIEW)(reported(reason_submitted))


def _reason(view: dict[str, Any]) -> str:
    return payloads.input_value(view, REASON_BLOCK, REASON_INPUT)
