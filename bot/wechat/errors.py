"""WeChat's error codes, explained for the on-call engineer; no HTTP here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Explanation:
    meaning: str
    next_step: str


CATALOGUE: dict[int, Explanation] = {
    -1: Explanation(
        "WeChat reported a system error (it is busy).",
        "For a rollback this does not say whether it was applied: check the online version before trying again.",
    ),
    40001: Explanation(
        "The access token was rejected as invalid or no longer the latest.",
        "The bot refreshes its token by itself; if this persists, check WECHAT_APPID and WECHAT_APPSECRET.",
    ),
    40014: Explanation(
        "The access token is invalid.",
        "The bot refreshes its token by itself; if this persists, check the app's credentials.",
    ),
    42001: Explanation(
        "The access token has expired.",
        "The bot refreshes its token by itself; if this persists, check the app's credentials.",
    ),
    40013: Explanation("WeChat does not know this AppID.", "Check WECHAT_APPID."),
    40125: Explanation("WeChat rejected the AppSecret.", "Check WECHAT_APPSECRET (it may have been reset)."),
    40164: Explanation(
        "This server's IP address is not on the mini program's API IP whitelist.",
        "Add the bot's outbound IP in the WeChat admin console (Development > Development settings).",
    ),
    40097: Explanation(
        "WeChat rejected the request's parameters.",
        "Check the chosen version is still listed; this has been seen to be spurious once, so listing again may help.",
    ),
    45009: Explanation(
        "The daily call quota for this API is used up.",
        "Roll back from the WeChat admin console, or wait for the quota to reset at midnight (Beijing time).",
    ),
    48001: Explanation(
        "This token is not allowed to call this API.",
        "The mini program's account type or the token type lacks this capability: use the admin console.",
    ),
    61003: Explanation(
        "The mini program has not authorized the third-party platform.",
        "Ask the mini program's administrator to authorize the platform.",
    ),
    61007: Explanation(
        "The mini program has not granted the code-management permission (set 18) to the platform.",
        "Ask the mini program's administrator to grant permission set 18.",
    ),
    87011: Explanation(
        "A phased (gray) release is in progress, and WeChat refuses a rollback while it runs.",
        "Revert or finish the phased release first, then request the rollback again.",
    ),
    87012: Explanation(
        "WeChat refuses to roll back to this version: there is no previous version, the online version is "
        "itself a rollback, or the version predates the rollback feature.",
        "Roll back from the WeChat admin console or release a fixed version.",
    ),
}


class WeChatError(Exception):
    """WeChat answered with a non-zero errcode: nothing the bot can retry into success."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        self.errcode = errcode
        self.errmsg = errmsg
        super().__init__(f"WeChat error {errcode} ({errmsg})")

    @property
    def explanation(self) -> Explanation:
        return CATALOGUE.get(
            self.errcode,
            Explanation(f"WeChat answered with error {self.errcode}.", "Check the WeChat admin console."),
        )

    def describe(self) -> str:
        return f"{self.explanation.meaning} {self.explanation.next_step} (WeChat {self.errcode}: {self.errmsg})"


class WeChatUnavailable(Exception):
    """No usable answer: timeout, connection failure, HTTP error or unreadable body.

    The message is written by us and never carries the request URL, which holds the access token.
    """

    def describe(self) -> str:
        return f"WeChat could not be reached or gave no usable answer ({self})."


class OutcomeUnknown(Exception):
    """A rollback was sent but its answer does not say whether WeChat applied it."""

    def __init__(self, cause: str, errcode: int | None = None, errmsg: str | None = None) -> None:
        self.cause = cause
        self.errcode = errcode
        self.errmsg = errmsg
        super().__init__(cause)


TOKEN_ERRORS = frozenset({40001, 40014, 42001})
