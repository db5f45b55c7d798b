"""Which of the difference between two readings of the version watch the bot's own requests explain.

Between two checks the bot may make several changes (stop the phased release, then roll back, as the picker invites
right after a stop): no request alone explains the combined difference, so they are replayed together, in the order
they were made, from the earlier reading. What is left between the replayed reading and the later one is what
changed outside the bot.

A request whose change surely landed (succeeded) is replayed whenever it applies; one in doubt (sending, unknown) may
or may not have landed, so both are tried and the replay that leaves the least unexplained is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import product
from typing import Any

from bot.rollback.model import RequestKind, RollbackRequest, State
from bot.rollback.sightings import Sighting


@dataclass(frozen=True)
class Explained:
    """The bot's requests that made part of the change (in order), and the reading they lead to from the earlier."""

    requests: tuple[RollbackRequest, ...]
    replayed: Sighting


def explain(
    before: Sighting,
    after: Sighting,
    requests: list[RollbackRequest],
    differences: Callable[[Sighting, Sighting], list[Any]],
) -> Explained:
    """The replay of `requests` (in any order: sorted here) from `before` that leaves the fewest `differences` with
    `after`, preferring the one that names the fewest requests when two leave as few."""
    ordered = sorted(requests, key=lambda request: request.id)  # one open request at a time: ids are their order
    doubtful = [request for request in ordered if request.state is not State.SUCCEEDED]
    best: tuple[int, int, Explained] | None = None
    for choice in product((True, False), repeat=len(doubtful)):
        skipped = {request.id for request, landed in zip(doubtful, choice, strict=True) if not landed}
        replayed, used = before, list[RollbackRequest]()
        for request in ordered:
            if request.id in skipped:
                continue
            moved = _apply(replayed, request)
            if moved is not None:
                replayed, used = moved, [*used, request]
        score = (len(differences(replayed, after)), len(used), Explained(tuple(used), replayed))
        if best is None or score[:2] < best[:2]:
            best = score
    return best[2] if best is not None else Explained((), before)


def _apply(seen: Sighting, request: RollbackRequest) -> Sighting | None:
    """The reading after `request`'s change, if it applies to `seen` (None: it does not)."""
    if request.kind is RequestKind.ROLLBACK:
        moves = request.online_version != request.target.user_version
        if moves and seen.online_version == request.online_version and not seen.gray.blocks_rollback:
            return replace(seen, online_version=request.target.user_version, online_time=None)
        return None
    if seen.gray.in_progress and seen.gray.created == request.target.commit_time:
        # Read back stopped as status 4, or 0 or no plan: WeChat does not say which; each reads stopped.
        return replace(seen, gray=replace(seen.gray, status=4))
    return None
