"""WeChat's errors explained in the reader's language, with WeChat's own errmsg and its documented Chinese
description beside the explanation in both languages (the words are bot.wechat.errors' catalogue, marked for
translation there and translated here)."""

from __future__ import annotations

from collections.abc import Mapping

from bot.i18n import _
from bot.slack.messages.format import escape
from bot.wechat.errors import CATALOGUE, Fact, Part, TokenUnavailable, Unavailable, WeChatError, WeChatUnavailable


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
    """No usable answer from WeChat, from the client's facts (never the URL)."""
    if isinstance(error, TokenUnavailable):
        if error.cause is not None:
            reason = wechat_problem(error.cause)
        else:
            reason = _("the token source failed ({error}).").format(error=escape(str(error.facts.get("error", ""))))
        return _("The bot could not get an access token from WeChat: {reason}").format(reason=reason)
    return unavailable_words(error.why, error.facts)


def unavailable_words(why: Unavailable, facts: Mapping[str, Fact]) -> str:
    """What kept a usable answer from coming, in one sentence."""
    seconds = _seconds(facts.get("seconds"))
    match why:
        case Unavailable.CONNECT_TIMEOUT:
            return _("WeChat could not be reached: no connection within {seconds} s.").format(seconds=seconds)
        case Unavailable.UNREACHABLE:
            return _("WeChat could not be reached: the connection could not be made.")
        case Unavailable.NO_ANSWER:
            return _("WeChat gave no answer within {seconds} s.").format(seconds=seconds)
        case Unavailable.CONNECTION_BROKE:
            return _("The connection to WeChat broke before WeChat answered.")
        case Unavailable.REQUEST_FAILED:
            return _("The request to WeChat failed ({error}).").format(error=escape(str(facts.get("error", ""))))
        case Unavailable.HTTP_STATUS:
            return _("WeChat answered HTTP {status}, not a usable answer.").format(status=facts.get("status", "?"))
        case Unavailable.NOT_JSON:
            return _("WeChat gave no usable answer: it was not JSON.")
        case Unavailable.NOT_OBJECT:
            return _("WeChat gave no usable answer: it was not a JSON object.")
        case Unavailable.UNREADABLE if facts.get("what") == Part.VERSION_LIST:
            return _("WeChat's list of versions could not be read.")
        case Unavailable.UNREADABLE if facts.get("what") == Part.GRAY_RELEASE_PLAN:
            return _("WeChat's phased-release plan could not be read.")
        case Unavailable.UNREADABLE:
            return _("WeChat's answer could not be read (its errcode).")
        case Unavailable.NOT_SENT:
            return _("The bot's claim on this approval ran out before the request went out.")
        case Unavailable.TOKEN_SOURCE:
            # The token source's own words, for the operator who set it up.
            return _("The bot could not get an access token: {detail}").format(
                detail=escape(str(facts.get("detail", "")))
            )
    return _("WeChat could not be reached or gave no usable answer.")


def _seconds(value: Fact | None) -> str:
    return f"{value:g}" if isinstance(value, int | float) else "?"
