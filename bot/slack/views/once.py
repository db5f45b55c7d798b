"""A modal submission is acted on once: Slack's signature holds for five minutes, and within them the same signed
submission can be sent again (a replay, or Slack retrying). Its view id and hash name it; the database remembers
the ones acted on, for every replica.

Only a submission that is about to be acted on is recorded: one answered with field errors (`response_action`
errors) leaves the modal open with the same id and hash, and its corrected submission must still count.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt import BoltContext

from bot.slack.listening import submissions_of

log = logging.getLogger(__name__)


def first_submission(context: BoltContext, view: dict[str, Any]) -> bool:
    """True the first time this view (by id and hash) is submitted and acted on; False for a replay."""
    view_id, view_hash = view.get("id"), view.get("hash")
    if not isinstance(view_id, str) or not isinstance(view_hash, str) or not view_id or not view_hash:
        log.warning("ignored a view submission without a view id or hash: Slack always sends both")
        return False
    if submissions_of(context).first(view_id[:64], view_hash[:128], datetime.now(UTC)):
        return True
    log.warning("ignored a view submission already acted on (view %s): a replay", view_id[:64])
    return False
