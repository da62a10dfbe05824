"""Engines run many sessions: ``local`` (asyncio workers in this process) and ``ray`` (Ray actors).

Both take the same cases and :class:`~agentflow.eval.pipeline.PipelineConfig` and return the same
records; they differ only in where sessions run.
"""

from agentflow.eval.engines.local import run_local
from agentflow.eval.engines.ray_engine import run_ray

__all__ = ["run_local", "run_ray"]
