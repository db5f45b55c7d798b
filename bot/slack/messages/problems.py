"""Failures told in words to the person who asked: never a stack trace or a raw dict."""

from __future__ import annotations

from bot.rollback.model import Known, RequestRefused, StoreUnavailable
from bot.slack.messages.format import escape
from bot.slack.messages.notices import database_notice
from bot.slack.payloads import BadPayload
from bot.wechat.errors import WeChatError, WeChatUnavailable


def describe_problem(error: Exception, reference: str) -> str:
    if isinstance(error, RequestRefused):
        return str(error)
    if isinstance(error, WeChatError):
        return f":x: {escape(error.describe())} Nothing was changed."  # WeChat's errmsg is WeChat's text
    if isinstance(error, WeChatUnavailable):
        return f":x: {escape(error.describe())} Nothing was changed; try again in a minute."
    if isinstance(error, StoreUnavailable):  # before anything was decided: a listener could not read the request
        return database_notice(Known.NOTHING_RECORDED, None)
    if isinstance(error, BadPayload):
        return "That button or form is no longer valid (it may come from an old message). Nothing was changed."
    return (
        f":warning: Something went wrong on the bot's side (reference `{reference}`). "
        "Check the request message before trying again; the bot's logs have the details."
    )
