"""App sessions: a durable conversation an app drives one user message at a time, from any process.

An app (a web server, a chat bot, a notebook) holds conversations with a guided workflow: it opens a
session by id, sends the user's message, gets the agent's reply, and may stop; any process on the same
run store continues the session later. Each session is a durable guided run (:class:`DurableRun`) whose
user channel is the store's ``inbox``: a message is posted to the inbox, the run is resumed, and it runs
until it asks for the next message (a ``paused`` run) or ends. Tool calls are journaled, so a session
continued after a crash never runs a finished tool again::

    sessions = AppSessions(Conversation.load("flight.yaml"), store, backend="openai:gpt-4o", tools="tools.py")
    turn = await sessions.send("conv-1", "Book CA1234 for tomorrow")   # a new session
    turn = await sessions.send("conv-1", "Economy, Ann Lee")           # the next message, any process
    print(turn.reply, turn.ended)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentflow.errors import UserError
from agentflow.guided.run import SessionResult
from agentflow.runner.conversation import Conversation
from agentflow.runner.durable import DurableRun
from agentflow.store import InboxUser, RunStore

__all__ = ["AppSessions", "Turn"]


@dataclass(frozen=True)
class Turn:
    """One exchange of a session: the reply to a user message.

    Attributes:
        session_id: the session (the durable run's id).
        index: how many user messages the session has consumed, this one included.
        reply: the agent's reply ("" when it said nothing).
        ended: the conversation is over (the run completed); further messages are refused.
    """

    session_id: str
    index: int
    reply: str
    ended: bool


class AppSessions:
    """The sessions of one workflow in one run store.

    Args:
        conversation: the guided workflow every session runs.
        store: the run store holding the sessions.
        session_kwargs: passed to :meth:`Conversation.session` for every turn (``backend``, ``tools``,
            ``classifier``, ``models`` ...); the same each time, so a resumed session rebuilds the same run.
    """

    def __init__(self, conversation: Conversation, store: RunStore, **session_kwargs: Any) -> None:
        self.conversation = conversation
        self.store = store
        self.session_kwargs = session_kwargs

    def exists(self, session_id: str) -> bool:
        """Whether the store holds a session with this id."""
        return self.store.get_run(session_id) is not None

    async def send(self, session_id: str, text: str, *, meta: dict[str, Any] | None = None) -> Turn:
        """Post ``text`` to the session (opening it when new) and run it to its next reply.

        Raises:
            UserError: the session already ended, or another live process is driving it.
        """
        if self.exists(session_id):
            durable = DurableRun.resume(self.store, session_id, say=[text])
        else:
            durable = DurableRun.start(self.store, session_id, meta={"app_session": True, **(meta or {})})
            self.store.post_input(session_id, text)
        user = InboxUser(self.store, session_id)
        session = self.conversation.session(bus=durable.bus(), checkpoint=durable.checkpoint,
                                            state=durable.state, **self.session_kwargs)
        result = await durable.drive(session, user)
        return Turn(session_id, user.position, _reply(result), ended=result.status != "paused")

    def transcript(self, session_id: str) -> list[tuple[str, str]]:
        """The session's messages so far as ``(role, text)`` pairs (role ``user`` or ``agent``)."""
        if not self.exists(session_id):
            raise UserError(f"unknown session {session_id!r}")
        return [(str(m["role"]), str(m["text"])) for m in self.store.messages(session_id)]


def _reply(result: SessionResult) -> str:
    for item in reversed(result.state.history):
        if item.role == "agent":
            return item.text
        if item.role == "user":
            break
    return ""
