"""WeChat's errors explained in the reader's language, with WeChat's own errmsg and its documented Chinese
description beside the explanation in both languages (the words are bot.wechat.errors' catalogue, marked for
translation there and translated here)."""

from __future__ import annotations

from bot.i18n import _
from bot.slack.messages.format import escape
from bot.wechat.errors import CATALOGUE, TokenUnavailable, WeChatError, WeChatUnavailable


def wechat_problem(error: WeChatError) -> str:
    """What WeChat's errcode means, what to do next, and WeChat's own words (errmsg, rid)."""
    explained = CATALOGUE.get(error.errcode)
    if explained is not None:
        meaning, next_step, zh = _(explained.meaning), _(explained.next_step), explained.zh
    else:
        meaning = _("WeChat answered with error {errcode}.").format(errcode=error.errcode)
        next_step, zh = _("Check the WeChat admin console."), ""
    answer = escape(error.message) + (f" / {zh}" if zh else "")
    if error.rid:
        said = _("(WeChat {errcode}: {answer}; rid {rid})").format(errcode=error.errcode, answer=answer, rid=error.rid)
    else:
        said = _("(WeChat {errcode}: {answer})").format(errcode=error.errcode, answer=answer)
    return f"{meaning} {next_step} {said}"


def unavailable_problem(error: WeChatUnavailable) -> str:
    """No usable answer from WeChat (our own words for what failed, never the URL)."""
    if isinstance(error, TokenUnavailable):
        reason = wechat_problem(error.cause) if error.cause is not None else escape(error.reason)
        return _("The bot could not get an access token from WeChat: {reason}").format(reason=reason)
    return _("WeChat could not be reached or gave no usable answer ({detail}).").format(detail=escape(str(error)))
