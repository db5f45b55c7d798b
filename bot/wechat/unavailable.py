"""Why WeChat (or the token source before it) gave no usable answer, as facts: a cause and its data.

bot/slack/messages/wechat_errors.py words each cause for its reader; the English lines here are for the logs and
the English record only. Neither ever holds a request URL (it carries the access token) or a credential.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

Fact = int | float | str


class Unavailable(StrEnum):
    CONNECT_TIMEOUT = "connect_timeout"  # facts: seconds
    UNREACHABLE = "unreachable"  # the connection was never made (refused, no route, name not resolved)
    NO_ANSWER = "no_answer"  # facts: seconds
    CONNECTION_BROKE = "connection_broke"
    REQUEST_FAILED = "request_failed"  # facts: error (the exception's type)
    HTTP_STATUS = "http_status"  # facts: status
    NOT_JSON = "not_json"
    NOT_OBJECT = "not_object"
    UNREADABLE = "unreadable"  # facts: what (a Part)
    NOT_SENT = "not_sent"  # this process's claim ran out before the change went out
    TOKEN = "token"  # TokenUnavailable; facts: errcode and errmsg (WeChat refused), or error (the source's type)
    # The central token service (facts: service, its URL without query) or command (facts: command):
    SOURCE_NO_ANSWER = "source_no_answer"  # facts: seconds
    SOURCE_UNREACHABLE = "source_unreachable"  # facts: error
    SOURCE_HTTP_STATUS = "source_http_status"  # facts: status
    SOURCE_NOT_STARTED = "source_not_started"  # facts: error
    SOURCE_TOO_SLOW = "source_too_slow"  # facts: seconds
    SOURCE_EXIT_CODE = "source_exit_code"  # facts: code
    SOURCE_NOT_JSON = "source_not_json"
    SOURCE_NOT_OBJECT = "source_not_object"
    # A token answer (from WeChat's token endpoint, or from the source named in the facts, if any):
    TOKEN_EXPIRES_IN = "token_expires_in"  # expires_in unreadable
    TOKEN_MISSING = "token_missing"  # facts: field
    TOKEN_WAIT = "token_wait"  # another replica refreshing the token did not finish in time
    # The component_verify_ticket (facts: env, or file, or neither for the database query):
    TICKET_MISSING = "ticket_missing"
    TICKET_EMPTY = "ticket_empty"
    TICKET_UNREADABLE = "ticket_unreadable"  # facts: error
    TICKET_QUERY_FAILED = "ticket_query_failed"  # facts: error
    TICKET_QUERY_SHAPE = "ticket_query_shape"  # facts: rows, columns
    TICKET_NOT_TEXT = "ticket_not_text"  # facts: type
    SYSTEM_ERROR = "system_error"  # OutcomeUnknown only: WeChat answered -1 to the change itself
    INTERNAL = "internal"  # OutcomeUnknown only: the bot failed around the call


class Part(StrEnum):
    """What of WeChat's answer could not be read."""

    VERSION_LIST = "version_list"
    GRAY_RELEASE_PLAN = "gray_release_plan"
    ERRCODE = "errcode"


_PARTS: dict[str, str] = {
    Part.VERSION_LIST: "version list",
    Part.GRAY_RELEASE_PLAN: "phased-release plan",
    Part.ERRCODE: "errcode",
}
_LOGGED = {
    Unavailable.CONNECT_TIMEOUT: "could not connect to WeChat within {seconds:g} s",
    Unavailable.UNREACHABLE: "could not connect to WeChat",
    Unavailable.NO_ANSWER: "no answer from WeChat within {seconds:g} s",
    Unavailable.CONNECTION_BROKE: "the connection to WeChat broke before it answered",
    Unavailable.REQUEST_FAILED: "request to WeChat failed ({error})",
    Unavailable.HTTP_STATUS: "WeChat answered HTTP {status}",
    Unavailable.NOT_JSON: "WeChat's answer was not JSON",
    Unavailable.NOT_OBJECT: "WeChat's answer was not a JSON object",
    Unavailable.UNREADABLE: "WeChat's {what} was unreadable",
    Unavailable.NOT_SENT: "the bot's claim on this approval ran out before the request went out",
    Unavailable.TOKEN: "no access token",
    Unavailable.SOURCE_NO_ANSWER: "no answer from the {source} within {seconds:g} s",
    Unavailable.SOURCE_UNREACHABLE: "could not reach the {source} ({error})",
    Unavailable.SOURCE_HTTP_STATUS: "the {source} answered HTTP {status}",
    Unavailable.SOURCE_NOT_STARTED: "the {source} could not be started ({error})",
    Unavailable.SOURCE_TOO_SLOW: "the {source} did not finish within {seconds:g} s",
    Unavailable.SOURCE_EXIT_CODE: "the {source} failed with exit code {code}",
    Unavailable.SOURCE_NOT_JSON: "the {source} did not answer JSON",
    Unavailable.SOURCE_NOT_OBJECT: "the {source} did not answer a JSON object",
    Unavailable.TOKEN_EXPIRES_IN: "{from_source}the token answer had an unreadable expires_in",
    Unavailable.TOKEN_MISSING: "{from_source}the token answer had no {field}",
    Unavailable.TOKEN_WAIT: "timed out waiting for another replica to refresh the access token",
    Unavailable.TICKET_MISSING: "the component_verify_ticket {where} is missing",
    Unavailable.TICKET_EMPTY: "the component_verify_ticket {where} is empty",
    Unavailable.TICKET_UNREADABLE: "the component_verify_ticket {where} could not be read ({error})",
    Unavailable.TICKET_QUERY_FAILED: "the component_verify_ticket query failed ({error})",
    Unavailable.TICKET_QUERY_SHAPE: (
        "the component_verify_ticket query must return one row of one column, not {rows} row(s) of {columns} column(s)"
    ),
    Unavailable.TICKET_NOT_TEXT: "the component_verify_ticket {where} is not text ({type})",
    Unavailable.SYSTEM_ERROR: "WeChat answered -1 (system error)",
    Unavailable.INTERNAL: "an internal error",
}


def logged(why: Unavailable, facts: Mapping[str, Fact]) -> str:
    """The English line for a log or the record; a fact it lacks gives the cause's name rather than failing."""
    source = (
        f"central token service at {facts['service']}"
        if "service" in facts
        else f"token command {facts['command']}"
        if "command" in facts
        else ""
    )
    where = (
        f"in environment variable {facts['env']}"
        if "env" in facts
        else f"in file {facts['file']}"
        if "file" in facts
        else "from the database query"
    )
    shown = {
        **facts,
        "what": _PARTS.get(str(facts.get("what")), "answer"),
        "source": source,
        "from_source": f"the {source} gave an unusable answer: " if source else "",
        "where": where,
    }
    try:
        return _LOGGED[why].format(**shown)
    except (KeyError, ValueError):
        return str(why)


class WeChatUnavailable(Exception):
    """No usable answer: timeout, connection failure, HTTP error or unreadable body.

    `why` and `facts` say what failed; str() is an English line for logs.
    """

    def __init__(self, why: Unavailable, **facts: Fact) -> None:
        self.why = why
        self.facts = facts
        super().__init__(logged(why, facts))

    def describe(self) -> str:
        return f"WeChat could not be reached or gave no usable answer ({self})."

    def record(self) -> dict[str, Fact]:
        """The facts to keep on a request's record, from which errors.unavailable_from builds the error again."""
        return {"unavailable": self.why.value, **self.facts}


class WeChatUnreachable(WeChatUnavailable):
    """The connection could not be made, so the request was certainly not sent."""


class NotSent(WeChatUnavailable):
    """The rollback was deliberately not sent: this process no longer holds the right to send it."""

    def __init__(self) -> None:
        super().__init__(Unavailable.NOT_SENT)


class OutcomeUnknown(Exception):
    """A rollback was sent but its answer does not say whether WeChat applied it: `why` (and `facts`) say how."""

    def __init__(
        self,
        why: Unavailable,
        errcode: int | None = None,
        errmsg: str | None = None,
        facts: Mapping[str, Fact] | None = None,
    ) -> None:
        self.why = why
        self.facts = dict(facts or {})
        self.errcode = errcode
        self.errmsg = errmsg
        super().__init__(logged(why, self.facts))
