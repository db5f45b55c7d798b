"""The error catalogue: every code an operator meets is explained in English, in WeChat's Chinese, with a next step."""

from __future__ import annotations

import pytest

from bot.wechat.errors import (
    BotBug,
    CredentialsRejected,
    Kind,
    PermissionDenied,
    QuotaExhausted,
    TokenUnavailable,
    WeChatError,
    WeChatUnavailable,
    error_for,
)

RID = "6563c8e2-1b2c3d4e-5f6a7b8c"


@pytest.mark.parametrize(
    ("errcode", "kind", "zh"),
    [
        (86000, PermissionDenied, "不是由第三方代小程序进行调用"),
        (45011, QuotaExhausted, "API 调用太频繁"),
        (40243, CredentialsRejected, "AppSecret冻结后"),
        (50002, PermissionDenied, "用户受限"),
        (48004, PermissionDenied, "api 接口被封禁"),
        (61004, PermissionDenied, "白名单"),
    ],
)
def test_operator_codes_are_explained(errcode: int, kind: type[WeChatError], zh: str) -> None:
    error = error_for(errcode, "x")
    assert type(error) is kind
    explained = error.explanation
    assert explained.meaning and explained.next_step and zh in explained.zh


def test_86000_says_to_use_the_third_party_platform() -> None:
    step = error_for(86000, "should be called only from third party").explanation.next_step
    assert 'token_source = "component"' in step


def test_61004_names_the_allow_list_of_both_token_sources() -> None:
    step = error_for(61004, "access clientip is not registered").explanation.next_step
    assert 'token_source "stable"' in step and "mini program's API IP whitelist" in step
    assert 'token_source "component"' in step and "third-party platform's IP whitelist" in step


def test_45011_says_to_wait_a_minute_and_45009_names_clear_quota() -> None:
    assert "minute" in error_for(45011, "x").explanation.next_step
    assert "clear_quota" in error_for(45009, "reach max api daily quota limit").explanation.next_step


def test_40243_says_to_unfreeze_the_appsecret() -> None:
    assert "Unfreeze the AppSecret" in error_for(40243, "x").explanation.next_step


@pytest.mark.parametrize("errcode", [41001, 41002, 43002, 44002, 47001, 40002])
def test_malformed_calls_are_a_bug_in_the_bot(errcode: int) -> None:
    error = error_for(errcode, f"whatever rid: {RID}")
    assert isinstance(error, BotBug) and error.kind is Kind.BUG
    explained = error.explanation
    assert explained.meaning and explained.zh
    assert explained.next_step == "This is a bug in the bot: please report it with the rid."
    assert RID in error.describe()


def test_the_rid_is_kept_in_errmsg_and_shown_apart() -> None:
    error = error_for(87012, f"forbid revert this version release rid: {RID}")
    assert error.errmsg == f"forbid revert this version release rid: {RID}"  # the record keeps it whole
    assert (error.rid, error.message) == (RID, "forbid revert this version release")
    assert "(WeChat 87012: forbid revert this version release / 该版本不能回退" in error.describe()
    assert error.describe().endswith(f"; rid {RID})")


def test_an_errmsg_without_a_rid_is_described_as_before() -> None:
    error = error_for(87012, "forbid revert this version release")
    assert error.rid is None
    zh = error.explanation.zh
    assert error.describe().endswith(f"(WeChat 87012: forbid revert this version release / {zh})")


def test_after_resend_defaults_to_false_and_is_carried() -> None:
    assert error_for(87012, "x").after_resend is False
    assert WeChatError(87012, "x").after_resend is False
    resent = error_for(87012, "x", after_resend=True)
    assert resent.after_resend and isinstance(resent, WeChatError)


def test_token_unavailable_means_not_sent_and_explains_its_cause() -> None:
    failed = TokenUnavailable(error_for(-1, f"system error rid: {RID}"))
    assert isinstance(failed, WeChatUnavailable) and not isinstance(failed, WeChatError)
    assert (failed.errcode, failed.errmsg) == (-1, f"system error rid: {RID}")
    described = failed.describe()
    assert described.startswith("The bot could not get an access token from WeChat: ")
    assert "WeChat reported a system error" in described and RID in described
    assert TokenUnavailable(failed="OperationalError").errcode is None
