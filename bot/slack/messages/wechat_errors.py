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
    # One template, not pieces joined by hand: Chinese sets its sentences one after the other, without spaces.
    return _("{meaning} {next_step} {said}").format(meaning=meaning, next_step=next_step, said=said)


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
    return _token_words(why, facts) or _("WeChat could not be reached or gave no usable answer.")


def _token_words(why: Unavailable, facts: Mapping[str, Fact]) -> str | None:
    """The token source (a central service or command, WeChat's token endpoint, the ticket) gave no token."""
    said = {name: escape(str(value)) for name, value in facts.items()}
    said.update(seconds=_seconds(facts.get("seconds")), source=_source(facts), where=_where(facts))
    match why:
        case Unavailable.SOURCE_NO_ANSWER:
            words = _("The bot could not get an access token: {source} did not answer within {seconds} s.")
        case Unavailable.SOURCE_UNREACHABLE:
            words = _("The bot could not get an access token: {source} could not be reached ({error}).")
        case Unavailable.SOURCE_HTTP_STATUS:
            words = _("The bot could not get an access token: {source} answered HTTP {status}.")
        case Unavailable.SOURCE_NOT_STARTED:
            words = _("The bot could not get an access token: {source} could not be started ({error}).")
        case Unavailable.SOURCE_TOO_SLOW:
            words = _("The bot could not get an access token: {source} did not finish within {seconds} s.")
        case Unavailable.SOURCE_EXIT_CODE:
            words = _("The bot could not get an access token: {source} failed with exit code {code}.")
        case Unavailable.SOURCE_NOT_JSON:
            words = _("The bot could not get an access token: {source} did not answer JSON.")
        case Unavailable.SOURCE_NOT_OBJECT:
            words = _("The bot could not get an access token: {source} did not answer a JSON object.")
        case Unavailable.TOKEN_EXPIRES_IN:
            words = _("The bot could not get an access token: the expires_in in the answer of {source} is unreadable.")
        case Unavailable.TOKEN_MISSING:
            words = _("The bot could not get an access token: the answer of {source} has no {field}.")
        case Unavailable.TOKEN_WAIT:
            words = _(
                "The bot could not get an access token: another replica was refreshing it and did not finish in time."
            )
        case Unavailable.TICKET_MISSING:
            words = _("The bot could not get an access token: the component_verify_ticket {where} is missing.")
        case Unavailable.TICKET_EMPTY:
            words = _("The bot could not get an access token: the component_verify_ticket {where} is empty.")
        case Unavailable.TICKET_UNREADABLE:
            words = _(
                "The bot could not get an access token: the component_verify_ticket {where} could not be read "
                "({error})."
            )
        case Unavailable.TICKET_QUERY_FAILED:
            words = _("The bot could not get an access token: the component_verify_ticket query failed ({error}).")
        case Unavailable.TICKET_QUERY_SHAPE:
            words = _(
                "The bot could not get an access token: the component_verify_ticket query must return one row of one "
                "column, not {rows} row(s) of {columns} column(s)."
            )
        case Unavailable.TICKET_NOT_TEXT:
            words = _(
                "The bot could not get an access token: the component_verify_ticket {where} is not text ({type})."
            )
        case _:
            return None
    try:
        return words.format(**said)
    except KeyError:  # a fact missing from a record: the cause alone
        return None


def _source(facts: Mapping[str, Fact]) -> str:
    if "service" in facts:
        return _("the central token service at {url}").format(url=escape(str(facts["service"])))
    if "command" in facts:
        return _("the token command {command}").format(command=escape(str(facts["command"])))
    return _("WeChat's token endpoint")


def _where(facts: Mapping[str, Fact]) -> str:
    if "env" in facts:
        return _("in the environment variable {name}").format(name=escape(str(facts["env"])))
    if "file" in facts:
        return _("in the file {path}").format(path=escape(str(facts["file"])))
    return _("from the database query")


def _seconds(value: Fact | None) -> str:
    return f"{value:g}" if isinstance(value, int | float) else "?"
