"""``agentflow serve``: guided workflows behind an OpenAI-compatible HTTP API (Starlette + uvicorn).

Every conversation is an app session (:class:`~agentflow.runner.app_session.AppSessions`): a durable
guided run in the run store, driven one user message per request, so any server process on the same
store continues it (``previous_response_id``) and a finished tool call never runs twice. Needs the
``serve`` extra (``pip install 'agentflow[serve]'``).
"""

from agentflow.serve.app import ServeConfig, create_app

__all__ = ["ServeConfig", "create_app"]
