"""User channels: where a guided session's user messages come from.

A :class:`UserChannel` is asked for the next message, given the agent's last reply (``None`` before
the first turn), and returns ``None`` when the conversation is over. Built in:

* :class:`ScriptedUser` — a fixed list (``--user scripted:FILE``, a YAML list of messages);
* :class:`StreamUser` — one message per line from a text stream (``--user stdin``; works from a pipe);
* :class:`SimulatedUser` — the ``user_simulator`` role driven by a FlowAgent-style profile
  (``--user sim[:PROFILE.json]``), with optional OOW injection on a fixed schedule.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable

import yaml

from agentflow.backends.base import Backend
from agentflow.controllers import OOW_TAXONOMY
from agentflow.errors import Location, UserError
from agentflow.events import EventBus

__all__ = ["ScriptedUser", "SimulatedUser", "StreamUser", "UserChannel", "load_profile", "load_user_script"]


@runtime_checkable
class UserChannel(Protocol):
    """The source of user messages. ``kind`` names it (a resumed run must use the same kind)."""

    kind: str

    async def next_message(self, agent_reply: str | None) -> str | None:
        """The user's next message after ``agent_reply``; ``None`` ends the session."""
        ...


class ScriptedUser:
    """Replays a fixed list of messages; the session ends after the last one is answered.

    Args:
        messages: the user's turns, in order.
        start: how many were already sent (a resumed run continues from there).
    """

    kind = "scripted"

    def __init__(self, messages: Sequence[str], start: int = 0) -> None:
        self.messages = list(messages)
        self.position = start

    async def next_message(self, agent_reply: str | None) -> str | None:
        if self.position >= len(self.messages):
            return None
        message = self.messages[self.position]
        self.position += 1
        return message


def load_user_script(path: str | Path) -> list[str]:
    """A YAML list of user messages (strings, or ``{say: TEXT}`` items)."""
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"cannot read user script {p}: {exc.strerror}", hint="check the path after scripted:") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        loc = Location(str(p), mark.line + 1, mark.column + 1) if mark else Location(str(p))
        raise UserError(f"invalid YAML in user script: {getattr(exc, 'problem', exc)}", location=loc) from None
    if not isinstance(raw, list) or not raw:
        raise UserError("a user script must be a non-empty YAML list of messages", location=Location(str(p), 1, 1),
                        hint="write `- I want to book flight CA1234` items")
    out: list[str] = []
    for i, item in enumerate(raw, start=1):
        if isinstance(item, dict) and isinstance(item.get("say"), str):
            item = item["say"]
        if not isinstance(item, str | int | float):
            raise UserError(f"user script item {i} is not a message", location=Location(str(p)),
                            hint="each item is a string (or {say: TEXT})")
        out.append(str(item))
    return out


class StreamUser:
    """Reads one message per line from a stream (a terminal or a pipe); end of input ends the session.

    Args:
        stream: where lines come from (``sys.stdin`` for ``--user stdin``).
        prompt: shown before each read when ``show`` is given.
        show: called with the prompt before reading (the CLI renders it with rich).
    """

    kind = "stdin"

    def __init__(self, stream: IO[str], prompt: str = "you> ", show: Callable[[str], None] | None = None) -> None:
        self.stream = stream
        self.prompt = prompt
        self.show = show
        self.quit = False  # the user typed /quit (not just end of input: a durable run pauses on that)

    async def next_message(self, agent_reply: str | None) -> str | None:
        while True:
            if self.show is not None:
                self.show(self.prompt)
            line = await asyncio.to_thread(self.stream.readline)
            if not line:
                return None
            text = line.strip()
            if text in ("/quit", "/exit"):
                self.quit = True
                return None
            if text:
                return text


def load_profile(path: str | Path | None, index: int = 0) -> dict[str, Any]:
    """A FlowAgent-style user profile (a JSON object, or a list of them: ``index`` picks one)."""
    if path is None:
        return {"persona": "A customer who wants to complete the service's main task",
                "user_needs": "Complete the request; answer the agent's questions."}
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"cannot read profile {p}: {exc.strerror}", hint="pass --user sim:PROFILE.json") from None
    except json.JSONDecodeError as exc:
        loc = Location(str(p), exc.lineno, exc.colno)
        raise UserError(f"invalid JSON in profile: {exc.msg}", location=loc) from None
    if isinstance(data, list):
        if not data:
            raise UserError("the profile list is empty", location=Location(str(p)))
        data = data[index % len(data)]
    if not isinstance(data, dict):
        raise UserError("a profile must be a JSON object (or a list of them)", location=Location(str(p)))
    return data


class SimulatedUser:
    """An LLM-simulated user (the ``user_simulator`` role) following a profile.

    Args:
        backend: the simulator's backend.
        profile: the FlowAgent-style profile.
        oow_schedule: turn number -> OOW subtype to inject on that turn (e.g. ``{2: "Detail Switching"}``).
        max_turns: the simulator's own cap on messages.
        bus: receives its ``llm_call`` events.
    """

    kind = "sim"

    def __init__(self, backend: Backend, profile: dict[str, Any], *, oow_schedule: dict[int, str] | None = None,
                 max_turns: int = 10, bus: EventBus | None = None) -> None:
        self.backend = backend
        self.profile = profile
        self.oow_schedule = dict(oow_schedule or {})
        self.max_turns = max_turns
        self.bus = bus
        self.turn = 0
        self.done = False
        self.history: list[dict[str, str]] = []
        self._role: Any = None

    async def next_message(self, agent_reply: str | None) -> str | None:
        from agentflow.roles import RoleLibrary, invoke_role

        if agent_reply is not None:
            self.history.append({"role": "agent", "text": agent_reply})
        if self.done or self.turn >= self.max_turns:
            return None
        self.turn += 1
        oow = ""
        subtype = self.oow_schedule.get(self.turn)
        if subtype:
            oow = f"{subtype}: {_describe(subtype)}"
        if self._role is None:
            self._role = RoleLibrary().get("user_simulator")
        result = await invoke_role(self._role, self.backend, {"profile": self.profile, "history": self.history,
                                                        "agent_message": agent_reply or "", "oow": oow},
                                   bus=self.bus)
        text = str(getattr(result.output, "text", "")).strip() or "..."
        self.done = bool(getattr(result.output, "done", False))
        self.history.append({"role": "user", "text": text})
        return text

    def restore(self, history: Sequence[Any]) -> None:
        """Continue a resumed conversation: its messages so far become the simulator's memory.

        ``history`` is the session's (items with ``role`` and ``text``). A trailing agent message is
        left out: the resumed session hands it to :meth:`next_message` again. The turn count (which
        the OOW schedule is keyed by) continues from the user messages already sent.
        """
        items = [{"role": item.role, "text": item.text} for item in history if item.role in ("user", "agent")]
        if items and items[-1]["role"] == "agent":
            items.pop()
        self.history = items
        self.turn = sum(1 for item in items if item["role"] == "user")
        self.done = False


def _describe(subtype: str) -> str:
    for subtypes in OOW_TAXONOMY.values():
        for name, desc in subtypes.items():
            if name.lower() == subtype.lower():
                return desc
    return subtype
