"""WeChat's error codes explained for the on-call engineer: what each means, WeChat's own Chinese description, and
what to do next; bot/wechat/errors.py raises them as typed exceptions.

Meanings and Chinese descriptions follow WeChat's global error code list
(developers.weixin.qq.com/doc/oplatform/developers/errCode/errCode.html) and the API pages named beside a code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.i18n import N_


class Kind(StrEnum):
    BUSY = "busy"  # transient: a read may be retried, a rollback must be verified instead
    TOKEN = "token"  # the access token was refused: nothing happened, refresh and retry once
    CREDENTIALS = "credentials"  # AppID, secret, ticket or refresh token wrong: an operator must fix config
    PERMISSION = "permission"  # the account or platform lacks the right: an administrator must grant it
    QUOTA = "quota"
    ARGUMENTS = "arguments"
    REFUSED = "refused"  # WeChat will not roll back in the current state
    BUG = "bug"  # a malformed call: the bot's fault, never the user's
    OTHER = "other"


BUG_IN_THE_BOT = N_("This is a bug in the bot: please report it with the rid.")
# 61004 comes from whichever token endpoint the configured source calls, so the step names both allow-lists.
IP_ALLOW_LIST = N_(
    "Add the bot's outbound IP address to the IP whitelist (allow-list) that WeChat checks for the token: "
    'with token_source "stable" (AppID and AppSecret), the mini program\'s API IP whitelist in the WeChat admin '
    'console (Development > Development settings); with token_source "component", the third-party platform\'s '
    "IP whitelist in the WeChat Open Platform console."
)


@dataclass(frozen=True)
class Explanation:
    kind: Kind
    meaning: str  # English, for the channel
    zh: str  # the official documentation's Chinese description, for searching WeChat's docs and forum
    next_step: str


CATALOGUE: dict[int, Explanation] = {
    -1: Explanation(
        Kind.BUSY,
        N_("WeChat reported a system error (it is busy)."),
        "系统繁忙，此时请开发者稍候再试",
        N_("For a rollback this does not say whether it was applied: check the online version before trying again."),
    ),
    40001: Explanation(
        Kind.TOKEN,
        N_("The access token was rejected as invalid or no longer the latest."),
        "获取 access_token 时 AppSecret 错误，或者 access_token 无效",
        N_("The bot refreshes its token by itself; if this persists, another system may be replacing the token."),
    ),
    40014: Explanation(
        Kind.TOKEN,
        N_("The access token is invalid."),
        "不合法的 access_token",
        N_("The bot refreshes its token by itself; if this persists, check the token source."),
    ),
    42001: Explanation(
        Kind.TOKEN,
        N_("The access token has expired."),
        "access_token 超时",
        N_("The bot refreshes its token by itself; if this persists, check the token source."),
    ),
    40013: Explanation(
        Kind.CREDENTIALS, N_("WeChat does not know this AppID."), "不合法的 AppID", N_("Check WECHAT_APPID.")
    ),
    40125: Explanation(
        Kind.CREDENTIALS,
        N_("WeChat rejected the AppSecret."),
        "无效的 appsecret",
        N_("Check WECHAT_APPSECRET (it may have been reset in the admin console)."),
    ),
    40164: Explanation(
        Kind.PERMISSION,
        N_("This server's IP address is not on the mini program's API IP whitelist."),
        "调用接口的 IP 地址不在白名单中",
        N_("Add the bot's outbound IP in the WeChat admin console (Development > Development settings)."),
    ),
    40243: Explanation(
        Kind.CREDENTIALS,
        N_("The AppSecret is frozen, so WeChat hands out no access token for it."),
        # doc/oplatform/developers/dev/api: AppSecret management
        "AppSecret冻结后，开发者无法使用 AppSecret 获取access_token",
        N_(
            "Unfreeze the AppSecret in the WeChat admin console (Development > Development settings; it takes effect "
            "after 10 minutes), or reset it and give the bot the new one."
        ),
    ),
    40097: Explanation(
        Kind.ARGUMENTS,
        N_("WeChat rejected the request's parameters."),
        "参数错误",
        N_(
            "Check the chosen version is still listed; this has been seen to be spurious once, so listing again "
            "may help."
        ),
    ),
    45009: Explanation(
        Kind.QUOTA,
        N_("The daily call quota for this API is used up."),
        "接口调用超过限额",
        N_(
            "Roll back from the WeChat admin console, wait for the quota to reset at midnight (Beijing time), or "
            "reset it now with WeChat's clear_quota API (POST /cgi-bin/clear_quota; 10 resets a month per account)."
        ),
    ),
    45011: Explanation(
        Kind.QUOTA,
        N_("This API's per-minute call limit was reached."),
        "API 调用太频繁，请稍候再试",
        N_("Wait a minute, then try again."),
    ),
    48001: Explanation(
        Kind.PERMISSION,
        N_("This token is not allowed to call this API."),
        "api 功能未授权",
        N_("The account type or the token type lacks this capability: roll back from the admin console."),
    ),
    48004: Explanation(
        Kind.PERMISSION,
        N_("WeChat has banned this API for the account (for irregularities)."),
        "api 接口被封禁，请登录 mp.weixin.qq.com 查看详情",
        N_("Log in to mp.weixin.qq.com to see why; until the ban is lifted, roll back from the admin console."),
    ),
    50002: Explanation(
        Kind.PERMISSION,
        N_("The account is restricted: it may be frozen or cancelled."),
        "用户受限，可能是用户账号被冻结或注销",
        N_("Check the account's status and notices in the WeChat admin console; roll back from there if it allows."),
    ),
    61003: Explanation(
        Kind.PERMISSION,
        N_("The mini program has not authorized the third-party platform."),
        "第三方平台未获得该账号授权",
        N_("Ask the mini program's administrator to authorize the platform."),
    ),
    61004: Explanation(
        Kind.PERMISSION,
        N_("This server's IP address is not on the IP whitelist WeChat checks before handing out a token."),
        "把ip加入白名单ip列表再重试",
        IP_ALLOW_LIST,
    ),
    61005: Explanation(
        Kind.CREDENTIALS,
        N_("The component_verify_ticket has expired."),
        "component_verify_ticket 已过期",
        N_("Check that the platform's callback is receiving WeChat's ticket pushes (every 10 minutes)."),
    ),
    61006: Explanation(
        Kind.CREDENTIALS,
        N_("The component_verify_ticket is invalid."),
        "component_verify_ticket 不合法",
        N_("Check where the bot reads the ticket from: it must be the latest one WeChat pushed."),
    ),
    61007: Explanation(
        Kind.PERMISSION,
        N_("The mini program has not granted the code-management permission (set 18) to the platform."),
        "第三方平台未获得该接口的权限集授权",
        N_("Ask the mini program's administrator to grant permission set 18."),
    ),
    61023: Explanation(
        Kind.CREDENTIALS,
        N_("The authorizer_refresh_token is invalid."),
        "authorizer_refresh_token 不合法",
        N_("The mini program must authorize the platform again, or set the newest refresh token."),
    ),
    87011: Explanation(
        Kind.REFUSED,
        N_("A phased (gray) release is in progress, and WeChat refuses a rollback while it runs."),
        "现网已经在灰度发布，不能进行版本回退",
        N_("Revert or finish the phased release first, then request the rollback again."),
    ),
    86000: Explanation(
        Kind.PERMISSION,
        N_("WeChat accepts this call for this mini program only from a third-party platform acting on its behalf."),
        # Third-party platform code-management pages (submit_audit and others)
        "不是由第三方代小程序进行调用",
        N_(
            "Set the program's token_source = \"component\" (WECHAT_TOKEN_SOURCE=component) with the platform's "
            "credentials, or roll back from the admin console."
        ),
    ),
    87012: Explanation(
        Kind.REFUSED,
        N_(
            "WeChat refuses to roll back to this version: there is no previous version, the online version is "
            "itself a rollback, or the version predates the rollback feature."
        ),
        "该版本不能回退（无上一个线上版本、此版本为已回退版本，或为回退功能上线之前的版本）",
        N_("Roll back from the WeChat admin console or release a fixed version."),
    ),
}

# Malformed calls: the bot built the request wrong, so no setting or retry helps.
_MALFORMED = (
    (40002, N_("WeChat rejected the grant_type the bot sent."), "不合法的凭证类型"),
    (41001, N_("The bot sent no access token."), "缺少 access_token 参数"),
    (41002, N_("The bot sent no appid."), "缺少 appid 参数"),
    (43002, N_("The bot used GET where WeChat requires POST."), "需要 POST 请求"),
    (44002, N_("The bot sent an empty POST body."), "POST 的数据包为空"),
    (47001, N_("WeChat could not parse the JSON the bot sent."), "解析 JSON/XML 内容错误"),
)
CATALOGUE.update({code: Explanation(Kind.BUG, meaning, zh, BUG_IN_THE_BOT) for code, meaning, zh in _MALFORMED})

UNLISTED = Explanation(Kind.OTHER, "", "", "Check the WeChat admin console.")
