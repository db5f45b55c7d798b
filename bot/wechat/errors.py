"""WeChat's error codes, explained for the on-call engineer, as typed exceptions; no HTTP here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    BUSY = "busy"  # transient: a read may be retried, a rollback must be verified instead
    TOKEN = "token"  # the access token was refused: nothing happened, refresh and retry once
    CREDENTIALS = "credentials"  # AppID, secret, ticket or refresh token wrong: an operator must fix config
    PERMISSION = "permission"  # the account or platform lacks the right: an administrator must grant it
    QUOTA = "quota"
    ARGUMENTS = "arguments"
    REFUSED = "refused"  # WeChat will not roll back in the current state
    OTHER = "other"


@dataclass(frozen=True)
class Explanation:
    kind: Kind
    meaning: str  # English, for the channel
    zh: str  # the official documentation's Chinese description, for searching WeChat's docs and forum
    next_step: str


CATALOGUE: dict[int, Explanation] = {
    -1: Explanation(
        Kind.BUSY,
        "WeChat reported a system error (it is busy).",
        "系统繁忙，此时请开发者稍候再试",
        "For a rollback this does not say whether it was applied: check the online version before trying again.",
    ),
    40001: Explanation(
        Kind.TOKEN,
        "The access token was rejected as invalid or no longer the latest.",
        "获取 access_token 时 AppSecret 错误，或者 access_token 无效",
        "The bot refreshes its token by itself; if this persists, another system may be replacing the token.",
    ),
    40014: Explanation(
        Kind.TOKEN,
        "The access token is invalid.",
        "不合法的 access_token",
        "The bot refreshes its token by itself; if this persists, check the token source.",
    ),
    42001: Explanation(
        Kind.TOKEN,
        "The access token has expired.",
        "access_token 超时",
        "The bot refreshes its token by itself; if this persists, check the token source.",
    ),
    40013: Explanation(Kind.CREDENTIALS, "WeChat does not know this AppID.", "不合法的 AppID", "Check WECHAT_APPID."),
    40125: Explanation(
        Kind.CREDENTIALS,
        "WeChat rejected the AppSecret.",
        "无效的 appsecret",
        "Check WECHAT_APPSECRET (it may have been reset in the admin console).",
    ),
    40164: Explanation(
        Kind.PERMISSION,
        "This server's IP address is not on the mini program's API IP whitelist.",
        "调用接口的 IP 地址不在白名单中",
        "Add the bot's outbound IP in the WeChat admin console (Development > Development settings).",
    ),
    40097: Explanation(
        Kind.ARGUMENTS,
        "WeChat rejected the request's parameters.",
        "参数错误",
        "Check the chosen version is still listed; this has been seen to be spurious once, so listing again may help.",
    ),
    45009: Explanation(
        Kind.QUOTA,
        "The daily call quota for this API is used up.",
        "接口调用超过限额",
        "Roll back from the WeChat admin console, or wait for the quota to reset at midnight (Beijing time).",
    ),
    48001: Explanation(
        Kind.PERMISSION,
        "This token is not allowed to call this API.",
        "api 功能未授权",
        "The account type or the token type lacks this capability: roll back from the admin console.",
    ),
    61003: Explanation(
        Kind.PERMISSION,
        "The mini program has not authorized the third-party platform.",
        "第三方平台未获得该账号授权",
        "Ask the mini program's administrator to authorize the platform.",
    ),
    61004: Explanation(
        Kind.PERMISSION,
        "This server's IP address is not on the third-party platform's whitelist.",
        "当前 IP 未在第三方平台的白名单中",
        "Add the bot's outbound IP to the platform's IP whitelist in the Open Platform console.",
    ),
    61005: Explanation(
        Kind.CREDENTIALS,
        "The component_verify_ticket has expired.",
        "component_verify_ticket 已过期",
        "Check that the platform's callback is receiving WeChat's ticket pushes (every 10 minutes).",
    ),
    61006: Explanation(
        Kind.CREDENTIALS,
        "The component_verify_ticket is invalid.",
        "component_verify_ticket 不合法",
        "Check where the bot reads the ticket from: it must be the latest one WeChat pushed.",
    ),
    61007: Explanation(
        Kind.PERMISSION,
        "The mini program has not granted the code-management permission (set 18) to the platform.",
        "第三方平台未获得该接口的权限集授权",
        "Ask the mini program's administrator to grant permission set 18.",
    ),
    61023: Explanation(
        Kind.CREDENTIALS,
        "The authorizer_refresh_token is invalid.",
        "authorizer_refresh_token 不合法",
        "The mini program must authorize the platform again, or set the newest refresh token.",
    ),
    87011: Explanation(
        Kind.REFUSED,
        "A phased (gray) release is in progress, and WeChat refuses a rollback while it runs.",
        "现网已经在灰度发布，不能进行版本回退",
        "Revert or finish the phased release first, then request the rollback again.",
    ),
    87012: Explanation(
        Kind.REFUSED,
        "WeChat refuses to roll back to this version: there is no previous version, the online version is "
        "itself a rollback, or the version predates the rollback feature.",
        "该版本不能回退（无上一个线上版本、此版本为已回退版本，或为回退功能上线之前的版本）",
        "Roll back from the WeChat admin console or release a fixed version.",
    ),
}

_UNLISTED = Explanation(Kind.OTHER, "", "", "Check the WeChat admin console.")


class WeChatError(Exception):
    """WeChat answered with a non-zero errcode."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        self.errcode = errcode
        self.errmsg = errmsg
        super().__init__(f"WeChat error {errcode} ({errmsg})")

    @property
    def explanation(self) -> Explanation:
        return CATALOGUE.get(self.errcode) or Explanation(
            _UNLISTED.kind, f"WeChat answered with error {self.errcode}.", "", _UNLISTED.next_step
        )

    @property
    def kind(self) -> Kind:
        return self.explanation.kind

    def describe(self) -> str:
        explained = self.explanation
        zh = f" / {explained.zh}" if explained.zh else ""
        return f"{explained.meaning} {explained.next_step} (WeChat {self.errcode}: {self.errmsg}{zh})"


class WeChatBusy(WeChatError):
    pass


class TokenRejected(WeChatError):
    pass


class CredentialsRejected(WeChatError):
    pass


class PermissionDenied(WeChatError):
    pass


class QuotaExhausted(WeChatError):
    pass


class InvalidArguments(WeChatError):
    pass


class RollbackRefused(WeChatError):
    pass


_TYPES: dict[Kind, type[WeChatError]] = {
    Kind.BUSY: WeChatBusy,
    Kind.TOKEN: TokenRejected,
    Kind.CREDENTIALS: CredentialsRejected,
    Kind.PERMISSION: PermissionDenied,
    Kind.QUOTA: QuotaExhausted,
    Kind.ARGUMENTS: InvalidArguments,
    Kind.REFUSED: RollbackRefused,
}


def error_for(errcode: int, errmsg: str) -> WeChatError:
    """The typed error for an errcode WeChat answered."""
    kind = CATALOGUE[errcode].kind if errcode in CATALOGUE else Kind.OTHER
    return _TYPES.get(kind, WeChatError)(errcode, errmsg)


class WeChatUnavailable(Exception):
    """No usable answer: timeout, connection failure, HTTP error or unreadable body.

    The message is written by us and never carries the request URL, which holds the access token.
    """

    def describe(self) -> str:
        return f"WeChat could not be reached or gave no usable answer ({self})."


class WeChatUnreachable(WeChatUnavailable):
    """The connection could not be made, so the request was certainly not sent."""


class OutcomeUnknown(Exception):
    """A rollback was sent but its answer does not say whether WeChat applied it."""

    def __init__(self, cause: str, errcode: int | None = None, errmsg: str | None = None) -> None:
        self.cause = cause
        self.errcode = errcode
        self.errmsg = errmsg
        super().__init__(cause)


TOKEN_ERRORS = frozenset(code for code, explained in CATALOGUE.items() if explained.kind is Kind.TOKEN)
