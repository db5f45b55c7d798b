"""What `audit verify` found broken, in the reader's language, from the facts the check hands over."""

from __future__ import annotations

from bot.i18n import _, ngettext
from bot.store.audit_check import Broken, Problem


def problem_words(problem: Problem) -> str:
    facts = {**problem.facts, "row": problem.row_id if problem.row_id is not None else "?"}
    match problem.cause:
        case Broken.HEAD_ROW_MISSING:
            words = _("audit chain head: its row (table audit_chain_head, id 1) is missing")
        case Broken.ANCHOR_MISSING:
            words = _(
                "audit chain head: the chain does not contain the expected head {head}: it was rewritten since that "
                "head was recorded, or the hash is from another database"
            )
        case Broken.NOT_FIRST:
            words = _(
                "row {row}: it does not start the chain (its prev_hash is not the genesis): rows before it were deleted"
            )
        case Broken.ROWS_MISSING if facts.get("first") == facts.get("last"):
            words = _(
                "row {row}: row {first} before it is missing and its prev_hash does not match the hash of row "
                "{previous}: rows were deleted"
            )
        case Broken.ROWS_MISSING:
            words = _(
                "row {row}: rows {first} to {last} before it are missing and its prev_hash does not match the hash of "
                "row {previous}: rows were deleted"
            )
        case Broken.PREV_MISMATCH:
            words = _(
                "row {row}: its prev_hash {prev}… does not match the hash of row {previous} ({hash}…): a row was "
                "deleted, inserted or moved here, or row {previous} was rewritten"
            )
        case Broken.EDITED:
            words = _(
                "row {row}: its content does not match its hash: the row was edited or moved after it was written, "
                "or forged"
            )
        case Broken.LOG_EMPTIED:
            words = _("row {row}: the log is empty but its head records row {row}: every row was deleted")
        case Broken.ROWS_AROUND_EMPTY:
            words = _("row {row}: the head records an empty log, yet rows exist: they were added around the chain")
        case Broken.NEWEST_DELETED:
            words = _(
                "row {row}: the head records row {row} as the newest, but the log ends at row {last}: the newest rows "
                "were deleted"
            )
        case Broken.ROWS_APPENDED:
            words = _(
                "row {row}: the log goes on past row {head_row}, the newest the head records: rows were added around "
                "the chain"
            )
        case Broken.HEAD_REWRITTEN:
            words = _("row {row}: the head records a different hash for this row: it was rewritten")
        case Broken.REQUEST_UNCHAINED:
            words = _("request {row}: it has no event in the chain: it was added around the chain")
        case Broken.REQUEST_EDITED:
            words = ngettext(
                "request {row}: {fields} differs from what its newest event recorded: the request row was edited "
                "behind the bot's back",
                "request {row}: {fields} differ from what its newest event recorded: the request row was edited "
                "behind the bot's back",
                int(facts.get("count", 1)),
            )
        case _:
            return str(problem)  # a cause this module does not know: the check's own (English) words
    try:
        return words.format(**facts)
    except KeyError:
        return str(problem)
