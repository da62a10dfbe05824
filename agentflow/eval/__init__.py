"""Evaluation at scale: datasets, importers, metrics with confidence intervals, engines, reports.

``agentflow eval DATASET`` (CLI) or :func:`evaluate` (SDK) run many sessions of a workflow with
simulated or scripted users, judge and audit each, and write a JSON and an HTML report.
"""

from agentflow.eval.dataset import EvalCase, RefTurn, UserSpec, dump_dataset, load_dataset
from agentflow.eval.importers import import_fixed_queries, import_path, import_workflows
from agentflow.eval.judge import BackendJudge, RuleJudge, SessionVerdict
from agentflow.eval.oow import OowSlot, balanced_schedule
from agentflow.eval.outcome import RunnerSpec, SessionOutcome, SessionRunner
from agentflow.eval.pipeline import PipelineConfig, SessionPipeline
from agentflow.eval.record import SessionRecord
from agentflow.eval.stats import Estimate
from agentflow.eval.summary import Summary, summarize

__all__ = [
    "BackendJudge",
    "Estimate",
    "EvalCase",
    "OowSlot",
    "PipelineConfig",
    "RefTurn",
    "RuleJudge",
    "RunnerSpec",
    "SessionOutcome",
    "SessionPipeline",
    "SessionRecord",
    "SessionRunner",
    "SessionVerdict",
    "Summary",
    "UserSpec",
    "balanced_schedule",
    "dump_dataset",
    "import_fixed_queries",
    "import_path",
    "import_workflows",
    "load_dataset",
    "summarize",
]
