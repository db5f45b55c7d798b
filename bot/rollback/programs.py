"""The configured mini programs, each with its own workflow, found by name, by channel or by a request it owns."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from bot.rollback.model import Decision
from bot.rollback.workflow import RollbackWorkflow


class Programs:
    def __init__(self, workflows: Sequence[RollbackWorkflow]) -> None:
        if not workflows:
            raise ValueError("at least one mini program is needed")
        self._workflows = tuple(workflows)

    def __iter__(self) -> Iterator[RollbackWorkflow]:
        return iter(self._workflows)

    def __len__(self) -> int:
        return len(self._workflows)

    @property
    def only(self) -> RollbackWorkflow | None:
        """The mini program, when there is just one: no need to ask which."""
        return self._workflows[0] if len(self._workflows) == 1 else None

    def named(self, name: str) -> RollbackWorkflow | None:
        """By alias (any case) or appid."""
        wanted = name.strip()
        for workflow in self._workflows:
            if workflow.alias.lower() == wanted.lower() or workflow.appid == wanted:
                return workflow
        return None

    def by_appid(self, appid: str | None) -> RollbackWorkflow | None:
        """A button or form names its program by appid; an old one without it can only mean the only program."""
        if appid is None:
            return self.only
        return next((workflow for workflow in self._workflows if workflow.appid == appid), None)

    def owning(self, request_id: int) -> RollbackWorkflow:
        """The workflow of the request's mini program. For an unknown request, or one of a mini program no longer
        configured, some workflow all the same: its own checks refuse the request as unknown."""
        if self.only is not None:  # no need to read the request: the workflow checks it is its own
            return self.only
        request = self._workflows[0].get(request_id)
        found = self.by_appid(request.appid) if request is not None else None
        return found or self._workflows[0]

    def allowed_in(self, channel_id: str | None) -> list[RollbackWorkflow]:
        return [workflow for workflow in self._workflows if not workflow.policy.why_not_here(channel_id)]

    def expire_orphans(self) -> list[Decision]:
        """Pending requests of mini programs taken out of the configuration expire on time too."""
        return self._workflows[0].settler.expire_orphans([workflow.appid for workflow in self._workflows])

    def aliases(self) -> list[str]:
        return [workflow.alias for workflow in self._workflows]
