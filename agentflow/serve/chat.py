"""Chat Completions for stateless clients: which session does a resent transcript continue?

A chat client sends the whole conversation every time. The session it continues is the one whose
stored transcript equals the sent messages before the last user message (system messages aside). The
index keeps ``hash(transcript) -> session`` in memory and, on a miss (a fresh server process), scans the
store's chat sessions once, so a restarted server continues every conversation.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from agentflow.runner.app_session import AppSessions
from agentflow.serve.refused import Refused

__all__ = ["ChatIndex", "chat_turn_text"]

Transcript = list[tuple[str, str]]


def _key(transcript: Transcript) -> str:
    return hashlib.sha256(json.dumps(transcript).encode()).hexdigest()


def chat_turn_text(messages: Any) -> tuple[Transcript, str]:
    """``(prior transcript, new user message)`` of a chat request's ``messages``.

    Raises:
        Refused: (400) the messages are malformed or do not end with a user message.
    """
    if not isinstance(messages, list) or not messages:
        raise Refused(400, "messages must be a non-empty list")
    turns: Transcript = []
    for m in messages:
        if not isinstance(m, dict) or not isinstance(m.get("content"), str):
            raise Refused(400, "every message needs a string content")
        role = {"user": "user", "assistant": "agent"}.get(str(m.get("role")))
        if role is not None:
            turns.append((role, m["content"]))
    if not turns or turns[-1][0] != "user":
        raise Refused(400, "the last message must be a user message")
    return turns[:-1], turns[-1][1]


class ChatIndex:
    """Finds the chat session a transcript belongs to (memory first, then the store)."""

    def __init__(self, sessions: AppSessions) -> None:
        self.sessions = sessions
        self.known: dict[str, str] = {}

    def remember(self, session_id: str, transcript: Transcript) -> None:
        self.known[_key(transcript)] = session_id

    def find(self, prior: Transcript) -> str | None:
        """The session whose transcript is ``prior``; ``None`` for a new conversation."""
        if not prior:
            return None
        key = _key(prior)
        if key in self.known:
            return self.known[key]
        store = self.sessions.store
        for record in store.list_runs():
            if record.run_id.startswith("chat") and record.status == "paused":
                self.remember(record.run_id, [(str(m["role"]), str(m["text"])) for m in store.messages(record.run_id)])
        return self.known.get(key)
