"""The reason modal's submission: open the request and publish it in the channel for approval."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.i18n import answer_for
from bot.rollback.model import Refusal, RequestRefused
from bot.rollback.publishing import publish
from bot.rollback.workflow import AlreadyOpen
from bot.slack import payloads
from bot.slack.errors import reported
from bot.slack.ids import REASON_BLOCK, REASON_INPUT, REASON_VIEW
from bot.slack.listening import delivery_of, programs_of
from bot.slack.messages.forms import form_expired, posted_notice, program_gone
from bot.slack.messages.notices import already_open_notice, refused_words
from bot.slack.messages.problems import describe_problem
from bot.slack.messages.reason_modal import PendingChoice
from bot.slack.messages.unposted import Repost, unposted_notice
from bot.slack.publisher import SlackPublisher
from bot.slack.replies import permalink, respond_via, tell
from bot.slack.views.once import first_submission
from bot.wechat.errors import WeChatError, WeChatUnavailable


def register(app: App) -> None:
    app.view(REASON_VIEW)(reported(reason_submitted))


def reason_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    try:
        choice = PendingChoice.load(str(view.get("private_metadata") or ""))
    except ValueError:
        ack(response_action="errors", errors={REASON_BLOCK: form_expired()})
        return
    workflow = programs_of(context).by_appid(choice.appid)
    answer_for(choice.appid)  # the person is answered in their mini program's language
    if workflow is None:
        ack(response_action="errors", errors={REASON_BLOCK: program_gone(choice.appid)})
        return
    reason = payloads.input_value(view, REASON_BLOCK, REASON_INPUT)
    if not reason:
        ack(response_action="errors", errors={REASON_BLOCK: refused_words(RequestRefused(Refusal.NO_REASON))})
        return
    if not first_submission(context, view):
        ack()  # a replay: the modal closes, nothing opens twice
        return
    ack()
    user_id = payloads.user_id(body)
    respond = respond_via(choice.response_url, client)

    def reply(text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        tell(text, blocks=blocks, respond=respond, client=client, channel_id=choice.channel_id, user_id=user_id)

    try:
        if choice.stop_gray:
            request = workflow.open_stop_request(user_id, choice.channel_id, choice.app_version, reason)
        else:
            request = workflow.open_request(user_id, choice.channel_id, choice.app_version, reason)
    except AlreadyOpen as open_already:
        existing = open_already.existing
        reply(already_open_notice(existing, permalink(client, existing), workflow.name))
        return
    except (RequestRefused, WeChatError, WeChatUnavailable) as problem:
        reply(describe_problem(problem, reference=""))
        return
    published = publish(request, SlackPublisher(client, workflow), workflow)
    if published.refused is not None:
        label = request.target.user_desc if choice.stop_gray else request.target.user_version
        label = label or f"app_version {request.target.app_version}"
        repost = Repost(workflow.appid, choice.app_version, choice.channel_id, label, request.reason, choice.stop_gray)
        reply(*unposted_notice(request.id, published.refused, repost))
        return
    delivery_of(context).deliver(request.id)  # the thread starts: the request, and anything recorded since
    if respond is not None:
        respond(
            text=posted_notice(request.id, choice.channel_id),
            response_type="ephemeral",
            replace_original=True,
        )
