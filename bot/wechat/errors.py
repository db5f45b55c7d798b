"""WeChat's errors as typed exceptions, explained from bot/wechat/errcodes.py; no HTTP here."""

from __future__ import annotations

import re

from bot.wechat.errcodes import BUG_IN_THE_BOT as BUG_IN_THE_BOT
from bot.wechat.errcodes import CATALOGUE as CATALOGUE
from bot.wechat.errcodes import IP_ALLOW_LIST as IP_ALLOW_LIST
from bot.wechat.errcodes import UNLISTED
from bot.wechat.errcodes import Explanation as Explanation
from bot.wechat.errcodes import Kind as Kind
from bot.wechat.unavailable import Fact as Fact
from bot.wechat.unavailable import NotSent as NotSent
from bot.wechat.unavailable import OutcomeUnknown as OutcomeUnknown
from bot.wechat.unavailable import Part as Part
from bot.wechat.unavailable import Unavailable as Unavailable
from bot.wechat.unavailable import WeChatUnavailable as WeChatUnavailable
from bot.wechat.unavailable import WeChatUnreachable as WeChatUnreachable

# WeChat ends an errmsg with the request id its support asks for: " rid: 6563c8e2-1b2c3d4e-5f6a7b8c".
_RID = re.compile(r"\s*\brid:\s*([0-9A-Za-z]+(?:-[0-9A-Za-z]+)*)\s*$")


class WeChatError(Exception):
    """WeChat answered with a non-zero errcode.

    `after_resend`: the refused call was a re-send after a token error (40001, 40014, 42001). For a rollback that
    means two requests went out, so the caller reads the online version back before recording "not applied".
    """

    def __init__(self, errcode: int, errmsg: str, *, after_resend: bool = False) -> None:
        self.errcode = errcode
        self.errmsg = errmsg  # as WeChat sent it, rid included: the record keeps it whole
        self.after_resend = after_resend
        super().__init__(f"WeChat error {errcode} ({errmsg})")

    @property
    def rid(self) -> str | None:
        """WeChat's request id for this answer, which its support asks for."""
        found = _RID.search(self.errmsg)
        return found.group(1) if found else None

    @property
    def message(self) -> str:
        """The errmsg without its rid."""
        return _RID.sub("", self.errmsg)

    @property
    def explanation(self) -> Explanation:
        return CATALOGUE.get(self.errcode) or Explanation(
            UNLISTED.kind, f"WeChat answered with error {self.errcode}.", "", UNLISTED.next_step
        )

    @property
    def kind(self) -> Kind:
        return self.explanation.kind

    def describe(self) -> str:
        explained = self.explanation
        zh = f" / {explained.zh}" if explained.zh else ""
        rid = f"; rid {self.rid}" if self.rid else ""
        return f"{explained.meaning} {explained.next_step} (WeChat {self.errcode}: {self.message}{zh}{rid})"


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


class BotBug(WeChatError):
    """WeChat called the request malformed: a bug in the bot."""


_TYPES: dict[Kind, type[WeChatError]] = {
    Kind.BUSY: WeChatBusy,
    Kind.TOKEN: TokenRejected,
    Kind.CREDENTIALS: CredentialsRejected,
    Kind.PERMISSION: PermissionDenied,
    Kind.QUOTA: QuotaExhausted,
    Kind.ARGUMENTS: InvalidArguments,
    Kind.REFUSED: RollbackRefused,
    Kind.BUG: BotBug,
}


def error_for(errcode: int, errmsg: str, *, after_resend: bool = False) -> WeChatError:
    """The typed error for an errcode WeChat answered."""
    kind = CATALOGUE[errcode].kind if errcode in CATALOGUE else Kind.OTHER
    return _TYPES.get(kind, WeChatError)(errcode, errmsg, after_resend=after_resend)


class TokenUnavailable(WeChatUnavailable):
    """No access token could be got (the token endpoint refused, failed or was unreadable), so the call that
    needed it was never sent. For a rollback that means "not sent", never "outcome unknown".

    `failed`: the type of what failed in the token source, when WeChat did not refuse."""

    def __init__(self, cause: WeChatError | None = None, failed: str = "") -> None:
        self.cause = cause
        self.errcode = cause.errcode if cause else None
        self.errmsg = cause.errmsg if cause else None
        facts: dict[str, Fact] = {"errcode": cause.errcode, "errmsg": cause.errmsg} if cause else {"error": failed}
        super().__init__(Unavailable.TOKEN, **facts)
        self.reason = cause.describe() if cause else f"the token source failed ({failed})"
        self.args = (f"no access token: {self.reason}",)

    def describe(self) -> str:
        return f"The bot could not get an access token from WeChat: {self.reason}"


def unavailable_from(recorded: dict[str, Fact]) -> WeChatUnavailable | None:
    """The error again, from what `WeChatUnavailable.record` kept (None: not one this bot knows)."""
    facts = dict(recorded)
    try:
        why = Unavailable(str(facts.pop("unavailable", "")))
    except ValueError:
        return None
    if why is Unavailable.TOKEN:
        errcode = facts.get("errcode")
        if isinstance(errcode, int):
            return TokenUnavailable(error_for(errcode, str(facts.get("errmsg", ""))))
        return TokenUnavailable(failed=str(facts.get("error", "")))
    if why is Unavailable.NOT_SENT:
        return NotSent()
    return WeChatUnavailable(why, **facts)


TOKEN_ERRORS = frozenset(code for code, explained in CATALOGUE.items() if explained.kind is Kind.TOKEN)
