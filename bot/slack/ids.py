"""Names shared by the message builders and the listeners that answer them."""

import re

COMMAND = "/miniprogram-rollback"

PICK_VERSION_PREFIX = "rollback.pick."
PICK_VERSION = re.compile(r"^rollback\.pick\.\d+$")  # one action_id per version: Slack wants them unique
CHOOSE_PROGRAM_PREFIX = "rollback.program."
CHOOSE_PROGRAM = re.compile(r"^rollback\.program\.")
APPROVE = "rollback.approve"
REJECT = "rollback.reject"
CANCEL = "rollback.cancel"
STOP_GRAY = "rollback.stop_gray"  # "Stop the phased release" in the picker and status

REASON_VIEW = "rollback.reason"
REASON_BLOCK = "reason"
REASON_INPUT = "reason"
BREAK_GLASS = "rollback.break_glass"
REPOST = "rollback.repost"  # "Post again…" on a request the channel did not take

REJECT_VIEW = "rollback.reject_reason"
BREAK_GLASS_VIEW = "rollback.break_glass_justification"
NOTE_BLOCK = "note"
NOTE_INPUT = "note"
