"""The result of resolving a run's backends once: role name -> backend, memoised."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

from agentflow.backends.base import Backend
from agentflow.models.choice import BackendChoice

__all__ = ["RoleBackends"]


class RoleBackends(Mapping[str, Backend]):
    """Callable ``role -> Backend`` (each role resolved once), plus the choice it came from.

    :meth:`RunModels.resolve <agentflow.models.run.RunModels.resolve>` returns one; passing it back in
    returns it unchanged, so the layers of a run (CLI, SDK, session) never resolve twice. As a mapping
    it holds the ``roles`` it was resolved for (every role asked so far when those were not given).
    """

    def __init__(self, choice: BackendChoice, backend_for: Callable[[str], Backend],
                 roles: Sequence[str] | None = None) -> None:
        self.choice = choice
        self._backend_for = backend_for
        self._roles = tuple(roles) if roles is not None else None
        self._memo: dict[str, Backend] = {}

    def __call__(self, role: str) -> Backend:
        if role not in self._memo:
            self._memo[role] = self._backend_for(role)
        return self._memo[role]

    def __getitem__(self, role: str) -> Backend:
        if self._roles is not None and role not in self._roles:
            raise KeyError(role)
        return self(role)

    def __iter__(self) -> Iterator[str]:
        return iter(self._roles if self._roles is not None else list(self._memo))

    def __len__(self) -> int:
        return len(self._roles) if self._roles is not None else len(self._memo)
