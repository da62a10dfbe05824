"""The ``inbox`` user channel: user messages posted to the store, from any process, at any time.

This is human-in-the-loop input for durable runs. The session asks the channel for the next user
message; when none has been posted yet, the channel raises :class:`~agentflow.store.PauseRun` with
``{"reason": "input"}``: the run is checkpointed as *paused* and the process may exit. Later, anybody
posts a message (``agentflow resume ID --store DB --say "..."`` or ``store.post_input``) and the run
continues, in another process, from where it stopped.

It satisfies the runner's ``UserChannel`` protocol (``kind`` and ``next_message``) by shape; its
``position`` (messages consumed) is a recorder cursor, so a resumed run never re-reads or skips one.
"""

from __future__ import annotations

from agentflow.store.base import RunStore
from agentflow.store.journal import PauseRun

__all__ = ["END_OF_CONVERSATION", "InboxUser"]

END_OF_CONVERSATION = "/end"
"""Posting this message ends the conversation (the session completes)."""


class InboxUser:
    """User messages from the run's inbox in the store.

    Args:
        store: the run store.
        run_id: the run.
        start: messages already consumed (restored by the recorder on resume).
    """

    kind = "inbox"

    def __init__(self, store: RunStore, run_id: str, start: int = 0) -> None:
        self.store = store
        self.run_id = run_id
        self.position = start

    async def next_message(self, agent_reply: str | None) -> str | None:
        """The next posted message; pauses the run when there is none yet."""
        posted = self.store.inputs(self.run_id)
        if self.position >= len(posted):
            raise PauseRun(
                "waiting for user input",
                {"reason": "input", "last_reply": agent_reply or "", "consumed": self.position},
            )
        text = posted[self.position]
        self.position += 1
        return None if text.strip() == END_OF_CONVERSATION else text
