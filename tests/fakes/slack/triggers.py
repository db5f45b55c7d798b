"""trigger_ids as Slack issues and honours them.

Slack sends a `trigger_id` with each interaction (slash command, button click, modal submission); views.open
exchanges it for a modal once, "within 3 seconds" of the interaction (docs.slack.dev/surfaces/modals, "Opening
modals"; docs.slack.dev/interactivity/handling-user-interaction). views.open's errors
(docs.slack.dev/reference/methods/views.open): `invalid_trigger_id` ("The expected format for the trigger_id
argument is "132456.7890123.abcdef""), `expired_trigger_id` ("The trigger_id is expired") and
`exchanged_trigger_id` ("The trigger_id was already exchanged in a previous call").

The fake issues them (`fake.new_trigger_id()`, which SlackSender calls for every payload it builds) and refuses one
it never issued as `invalid_trigger_id`, one past its 3 seconds as `expired_trigger_id` and a second use as
`exchanged_trigger_id`. `fake.expire_trigger_ids()` makes every one issued so far too old, without waiting;
`fake.deliver_late(True)` issues each next one already too old (a click that reached the bot after its 3 seconds).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from tests.fakes.slack.records import SlackError

TRIGGER_ID_SECONDS = 3.0
_SHAPE = re.compile(r"^\d+\.\d+\.[0-9a-f]+$")


@dataclass
class _Issued:
    at: float
    exchanged: bool = False
    expired: bool = False


class TriggerIds:
    """Not thread-safe on its own: FakeSlack calls it under its lock."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._issued: dict[str, _Issued] = {}
        self.late = False  # each one issued is already past its 3 seconds when the bot gets it

    def issue(self) -> str:
        # Slack's shape: "<digits>.<digits>.<hex>"
        trigger_id = f"{secrets.randbelow(10**12)}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"
        self._issued[trigger_id] = _Issued(self._clock(), expired=self.late)
        return trigger_id

    def expire_all(self) -> None:
        for issued in self._issued.values():
            issued.expired = True

    def exchange(self, trigger_id: object) -> None:
        """Use `trigger_id` up, or raise Slack's error for it."""
        if not isinstance(trigger_id, str) or not _SHAPE.match(trigger_id):
            raise SlackError("invalid_trigger_id")
        issued = self._issued.get(trigger_id)
        if issued is None:
            raise SlackError("invalid_trigger_id")
        if issued.exchanged:
            raise SlackError("exchanged_trigger_id")
        if issued.expired or self._clock() - issued.at > TRIGGER_ID_SECONDS:
            raise SlackError("expired_trigger_id")
        issued.exchanged = True
