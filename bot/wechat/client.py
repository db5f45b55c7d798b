"""Typed calls to the WeChat code-management API.

Reads may be retried; the rollback never is, except after a token error, which proves WeChat did nothing.
A production change (the rollback, cancelling a phased release) that could not get an access token raises
TokenUnavailable: nothing was sent. Only an ambiguous answer to the change itself is OutcomeUnknown.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from bot.wechat.errors import (
    TOKEN_ERRORS,
    NotSent,
    OutcomeUnknown,
    Part,
    TokenUnavailable,
    Unavailable,
    WeChatError,
    WeChatUnavailable,
    WeChatUnreachable,
    error_for,
)
from bot.wechat.http import Transport
from bot.wechat.tokens import TokenSource
from bot.wechat.types import GrayReleasePlan, HistoryVersion, Quota, Release, VersionInfo

log = logging.getLogger(__name__)

REVERT_PATH = "/wxa/revertcoderelease"
READ_BACKOFF_SECONDS = (0.3, 1.0)

_Call = Callable[[dict[str, str]], dict[str, Any]]


class WeChatClient:
    def __init__(self, transport: Transport, tokens: TokenSource, sleep: Callable[[float], None] = time.sleep) -> None:
        self._transport = transport
        self._tokens = tokens
        self._sleep = sleep

    def list_history(self) -> list[HistoryVersion]:
        # `action` must always be sent: the same URL without it performs a rollback.
        body = self._read(lambda auth: self._transport.get(REVERT_PATH, {**auth, "action": "get_history_version"}))
        try:
            return [
                HistoryVersion(
                    app_version=int(item["app_version"]),
                    user_version=str(item.get("user_version", "")),
                    user_desc=str(item.get("user_desc", "")),
                    commit_time=int(item.get("commit_time") or 0),
                )
                for item in body.get("version_list") or []
            ]
        except (KeyError, TypeError, ValueError, AttributeError):
            raise WeChatUnavailable(Unavailable.UNREADABLE, what=Part.VERSION_LIST) from None

    def version_info(self) -> VersionInfo:
        # An empty body is refused (44002): WeChat wants the literal `{}`.
        body = self._read(lambda auth: self._transport.post_json("/wxa/getversioninfo", auth, {}))
        return VersionInfo(
            online=_release(body.get("release_info"), "release"),
            experience=_release(body.get("exp_info"), "exp"),
        )

    def gray_release_plan(self) -> GrayReleasePlan:
        body = self._read(lambda auth: self._transport.get("/wxa/getgrayreleaseplan", auth))
        plan = body.get("gray_release_plan") or {}
        try:
            return GrayReleasePlan(
                status=int(plan.get("status") or 0),
                percentage=int(plan.get("gray_percentage") or 0),
                created=int(plan.get("create_timestamp") or 0),
                experiencer_first=plan.get("support_experiencer_first") is True,
                debuger_first=plan.get("support_debuger_first") is True,
            )
        except (TypeError, ValueError, AttributeError):
            raise WeChatUnavailable(Unavailable.UNREADABLE, what=Part.GRAY_RELEASE_PLAN) from None

    def quota(self, cgi_path: str = REVERT_PATH) -> Quota:
        """Today's call quota of one API (the rollback's by default)."""
        body = self._read(
            lambda auth: self._transport.post_json("/cgi-bin/openapi/quota/get", auth, {"cgi_path": cgi_path})
        )
        quota = body.get("quota") or {}
        return Quota(int(quota.get("daily_limit", 0)), int(quota.get("used", 0)), int(quota.get("remain", 0)))

    def revert_gray_release(self, may_send: Callable[[], bool] = lambda: True) -> None:
        """Stop the running or paused phased release (revertgrayrelease). A production change, with the rollback's
        rules: sent at most once per valid token and only while `may_send()` says so; WeChatError when refused,
        OutcomeUnknown when the answer was lost (verify by reading the plan back, never retry), WeChatUnavailable
        when nothing was sent."""
        self._change("/wxa/revertgrayrelease", {}, may_send)

    def rollback(self, app_version: int, may_send: Callable[[], bool] = lambda: True) -> None:
        """Roll back to `app_version`, sending the request at most once per valid token, and only while
        `may_send()` says so, asked right before each request goes out.

        Raises WeChatError when WeChat refused (nothing changed), OutcomeUnknown when the answer was lost or
        ambiguous, in which case the caller must verify instead of retrying, and WeChatUnavailable when
        nothing was sent (TokenUnavailable when no access token could be got). A refusal of the request
        re-sent after a token error carries `after_resend=True`.
        """
        self._change(REVERT_PATH, {"app_version": str(app_version)}, may_send)

    def _change(self, path: str, params: dict[str, str], may_send: Callable[[], bool]) -> None:
        def send(auth: dict[str, str]) -> dict[str, Any]:
            # Only a failure after the request went out makes the outcome unknown; a failure to get a
            # token beforehand (raised outside this function) means nothing was sent.
            try:
                body = self._transport.get(path, {**auth, **params}, may_send)
                _errcode(body)
            except (WeChatUnreachable, NotSent):
                raise  # never connected to any host, or not allowed to: certainly not sent
            except WeChatUnavailable as error:
                raise OutcomeUnknown(error.why, facts=error.facts) from None
            return body

        try:
            self._with_token(send, change=True)
        except WeChatError as error:
            # Token failures never get here (TokenUnavailable): this -1 answered the change itself.
            if error.errcode == -1:
                raise OutcomeUnknown(Unavailable.SYSTEM_ERROR, error.errcode, error.errmsg) from None
            raise

    def _read(self, call: _Call) -> dict[str, Any]:
        for attempt, pause in enumerate((*READ_BACKOFF_SECONDS, None)):
            try:
                return self._with_token(call)
            except (WeChatUnavailable, WeChatError) as error:
                transient = isinstance(error, WeChatUnavailable) or error.errcode == -1
                if not transient or pause is None:
                    raise
                log.warning("WeChat read failed (%s), retry %d in %.1f s", error, attempt + 1, pause)
                self._sleep(pause)
        raise AssertionError("unreachable")

    def _with_token(self, call: _Call, *, change: bool = False) -> dict[str, Any]:
        """`call` with a valid token, re-sent once with a new one if WeChat refuses the token.

        `change`: the call changes production, so a failure to get a token must read as "not sent".
        """
        token = self._token(self._tokens.token, change)
        body = call({"access_token": token})
        errcode = _errcode(body)
        resent = False
        if errcode in TOKEN_ERRORS:
            log.info("WeChat refused the access token (%d); refreshing it and retrying once", errcode)
            body = call({"access_token": self._token(lambda: self._tokens.replace(token), change)})
            errcode = _errcode(body)
            resent = True
        if errcode != 0:
            raise error_for(errcode, str(body.get("errmsg", "")), after_resend=resent)
        return body

    @staticmethod
    def _token(get: Callable[[], str], change: bool) -> str:
        if not change:
            return get()  # a read keeps WeChat's own error, and its retry rules
        try:
            return get()
        except WeChatUnavailable:
            raise  # already means "not sent"
        except WeChatError as error:
            # A -1 here came from the token endpoint: unlike a -1 answering the change, it proves nothing went out.
            raise TokenUnavailable(error) from None
        except Exception as error:
            # The token cache (its database, say) failed: still nothing was sent. Named by type only, as the text
            # of a database error may quote a token.
            log.warning("getting an access token failed (%s); the change was not sent", type(error).__name__)
            raise TokenUnavailable(failed=type(error).__name__) from None


def _errcode(body: dict[str, Any]) -> int:
    try:
        return int(body.get("errcode", 0))
    except (TypeError, ValueError):
        raise WeChatUnavailable(Unavailable.UNREADABLE, what=Part.ERRCODE) from None


def _release(data: Any, prefix: str) -> Release | None:
    # WeChat has been reported to omit or blank these fields: all optional.
    if not isinstance(data, dict) or not data.get(f"{prefix}_version"):
        return None
    raw_time = data.get(f"{prefix}_time")
    return Release(
        version=str(data[f"{prefix}_version"]),
        description=str(data.get(f"{prefix}_desc") or ""),
        time=int(raw_time) if isinstance(raw_time, int | float) else None,
    )
