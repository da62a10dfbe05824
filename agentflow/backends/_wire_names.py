"""Tool names the providers accept, mapped back to ours.

OpenAI and Anthropic accept tool (and structured-output) names matching ``[A-Za-z0-9_-]{1,64}``, but
PDL APIs may be named in any script (FlowAgent files use Chinese identifiers). Names that do not fit
are sent under a stable ASCII alias and every tool call that comes back is renamed to the original, so
nothing provider-shaped leaks out of the backend.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

__all__ = ["WireNames", "is_wire_safe"]

_SAFE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9_-]")


def is_wire_safe(name: str) -> bool:
    """Whether a provider accepts ``name`` as a tool name unchanged."""
    return bool(_SAFE.match(name))


def _alias(name: str) -> str:
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:10]
    readable = _UNSAFE_CHARS.sub("_", name).strip("_")[:40]
    return f"{readable}_{digest}" if readable else f"tool_{digest}"


class WireNames:
    """A two-way map between our tool names and the names sent on the wire."""

    def __init__(self, names: Iterable[str]) -> None:
        self._to_wire: dict[str, str] = {}
        self._from_wire: dict[str, str] = {}
        for name in names:
            self.wire(name)

    def wire(self, name: str) -> str:
        """The name to send (``name`` itself when the provider accepts it)."""
        if name not in self._to_wire:
            wire = name if is_wire_safe(name) else _alias(name)
            self._to_wire[name] = wire
            self._from_wire[wire] = name
        return self._to_wire[name]

    def local(self, wire: str) -> str:
        """Our name for a name that came back from the provider."""
        return self._from_wire.get(wire, wire)
