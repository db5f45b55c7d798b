"""Publishing a new request: it exists for others only once its message is in the channel.

The rule kept here, not in a listener: a post the channel refused for a moment (rate limited, Slack down) is tried
again after the wait the channel asked for, a few times; a post it refused for good, or one still refused after
that, withdraws the request, since nobody can approve what nobody sees, and the requester is offered to post it
again with what they typed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from bot.rollback.model import RollbackRequest

if TYPE_CHECKING:
    from bot.rollback.ports import RequestPublisher


class PostCause(StrEnum):
    """Why the channel did not take the request message, in the words the requester is told."""

    RATE_LIMITED = "rate limited"
    SLACK_DOWN = "Slack unavailable"
    NOT_IN_CHANNEL = "not in channel"
    ARCHIVED = "channel archived"
    NO_CHANNEL = "channel not found"
    NO_ANSWER = "no answer"  # the connection failed: the post may or may not have landed
    REFUSED = "refused"  # anything else the channel answered

    @property
    def passing(self) -> bool:
        """A refusal that says nothing was posted and that waiting may end."""
        return self in (PostCause.RATE_LIMITED, PostCause.SLACK_DOWN)


UNPOSTED = "request message not posted: "  # how a withdrawal for want of a message opens its event's detail


def unposted_code(detail: str) -> str | None:
    """The channel's own word recorded in a withdrawal's detail (`UNPOSTED` + "<cause> (<code>)"), if it has one."""
    cause, _sep, code = detail.removeprefix(UNPOSTED).rpartition(" (")
    known = cause in {member.value for member in PostCause} and code.endswith(")")
    return code[:-1] if detail.startswith(UNPOSTED) and known else None


class PostRefused(Exception):
    def __init__(self, cause: PostCause, code: str, retry_after: float | None = None) -> None:
        super().__init__(f"{cause}: {code}")
        self.cause = cause
        self.code = code  # the channel's own word for it, for the record
        self.retry_after = retry_after


class Unposted(Protocol):
    """What publishing needs of the workflow: attach the posted message, or withdraw the request."""

    def attach_message(self, request: RollbackRequest, channel_id: str, message_ts: str) -> None: ...

    def withdraw_unposted(self, request: RollbackRequest, why: str) -> None: ...


@dataclass(frozen=True)
class Publication:
    request: RollbackRequest
    refused: PostRefused | None = None  # None: posted

    @property
    def posted(self) -> bool:
        return self.refused is None


ATTEMPTS = 3
LONGEST_WAIT = 10.0  # seconds, over all attempts: the requester is waiting for the answer


def publish(
    request: RollbackRequest,
    publisher: RequestPublisher,
    workflow: Unposted,
    sleep: Callable[[float], None] = time.sleep,
) -> Publication:
    waited = 0.0
    for attempt in range(1, ATTEMPTS + 1):
        try:
            channel_id, ts = publisher.post(request)
        except PostRefused as refused:
            wait = refused.retry_after if refused.retry_after is not None else float(attempt)
            if refused.cause.passing and attempt < ATTEMPTS and waited + wait <= LONGEST_WAIT:
                sleep(wait)
                waited += wait
                continue
            workflow.withdraw_unposted(request, f"{refused.cause} ({refused.code})")
            return Publication(request, refused)
        workflow.attach_message(request, channel_id, ts)
        return Publication(request)
    raise AssertionError("unreachable: the last attempt returns")
