"""WeChat's error answers as the fake WeChat gives them: the real errmsg, then WeChat's ` rid: …` request id.

Sources (developers.weixin.qq.com): the global error code list (doc/oplatform/developers/errCode/errCode.html,
doc/store/API/basics/commErrCode.html) and the pages of each API. Real answers end with a request id that
WeChat support asks for, three groups of 8 hex digits, e.g. "miniprogram commit not approved rid:
67a5812b-77c066c4-36afc7b9" (a staff-answered forum thread); success ("ok") carries none.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

# Codes whose English errmsg no page shows (40243, a frozen AppSecret) answer "unknown error".
ERRMSG = {
    -1: "system error",
    0: "ok",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40013: "invalid appid",
    40014: "invalid access_token",
    40066: "invalid url",
    40097: "invalid args",
    40125: "invalid appsecret",
    40164: "invalid ip, not in whitelist",
    41001: "access_token missing",
    41002: "appid missing",
    42001: "access_token expired",
    43001: "require GET method",
    43002: "require POST method",
    44002: "empty post data",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit, must slower, retry next minute",
    47001: "data format error",
    48001: "api unauthorized",
    48004: "api forbidden for irregularities, view detail on mp.weixin.qq.com",
    50002: "user limited",
    61003: "component is not authorized by this account",
    61004: "access clientip is not registered",
    61005: "component ticket is expired",
    61006: "invalid component ticket",
    61007: "api is unauthorized to component",
    61023: "invalid refresh_token",
    86000: "should be called only from third party",
    87011: "wxa has a gray release plan, forbid revert release",
    87012: "forbid revert this version release",
}

RID = re.compile(r" rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$")


def rid() -> str:
    # The first group looks like a hex timestamp in real answers; the rest is opaque.
    return f"{int(time.time()) & 0xFFFFFFFF:08x}-{secrets.token_hex(4)}-{secrets.token_hex(4)}"


def error(errcode: int) -> dict[str, Any]:
    """WeChat's answer for `errcode`: its errmsg, with a rid unless it is success."""
    message = ERRMSG.get(errcode, "unknown error")
    return {"errcode": errcode, "errmsg": message if errcode == 0 else f"{message} rid: {rid()}"}


def without_rid(errmsg: str) -> str:
    """The errmsg as documented, for tests that compare it."""
    return RID.sub("", errmsg)
