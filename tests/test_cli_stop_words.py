"""`status` on the command line names a stop request's phased release from its facts, in the reader's language:
not the English words it recorded (a Chinese operator was shown them inside a Chinese line)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bot.rollback.model import Event, EventKind, NewRequest, RequestKind, Target
from bot.store.request_store import RequestStore
from tests.fakes.wechat import FakeWeChat
from tests.support.factories import T0
from tests.test_cli import engine, hermetic, run, status_env, store, url

__all__ = ["engine", "hermetic", "status_env", "store", "url"]  # the fixtures of tests/test_cli.py


def open_stop(store: RequestStore, appid: str) -> int:
    plan = Target(0, "5% traits", "running at 5%, started 2023-11-14 22:13 UTC", 1_700_000_000, 1, 5)
    new = NewRequest(
        appid, "C1", "UALICE", "bad", "1.2.0", plan, T0, T0 + timedelta(hours=1), kind=RequestKind.STOP_GRAY
    )
    return store.create(new, Event(EventKind.REQUESTED, "UALICE", T0)).id


def test_status_names_a_stops_plan_in_chinese(
    status_env: FakeWeChat, store: RequestStore, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    open_stop(store, status_env.APPID)
    status_env.set_gray_release(1, 5)
    monkeypatch.setenv("BOT_LANGUAGE", "zh")
    code, out, _ = run(capsys, "status")
    [line] = [line for line in out.splitlines() if "#1" in line]
    assert code == 0 and "进行中" in line and "5%" in line, line
    assert re.findall(r"[A-Za-z]{4,}", line.split(": ", 1)[1].replace("UALICE", "")) == [], line


def test_status_names_a_stops_plan_in_english(
    status_env: FakeWeChat, store: RequestStore, capsys: pytest.CaptureFixture[str]
) -> None:
    open_stop(store, status_env.APPID)
    code, out, _ = run(capsys, "status")
    assert code == 0 and "stop the phased release (running at 5%, started 2023-11-14 22:13 UTC)" in out, out
