"""An outcome as judged from WeChat's answer and what was read back, shared by both kinds of request."""

from __future__ import annotations

from dataclasses import dataclass

from bot.rollback.model import OutcomeCause, State

CHECK_CONSOLE = "Check the WeChat admin console (Version management) before doing anything else."
RECHECK_AFTER_SECONDS = (10, 30, 120, 300)  # after the outcome: when the online version is read again
NOT_RETRIED = "It was not retried."


@dataclass(frozen=True)
class Outcome:
    state: State
    words: str
    errcode: int | None = None
    errmsg: str | None = None
    verified: bool | None = None
    recheck: bool = False  # read the online version again later to settle or confirm it
    sent: bool = True  # whether the rollback may have reached WeChat
    cause: OutcomeCause | None = None  # why it was not sent, as facts for the reader's words
