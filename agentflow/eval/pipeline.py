"""One session from case to record: run, write the trace, audit, judge, score.

Every engine calls :meth:`SessionPipeline.run_case`; only *where* it runs differs (an asyncio task
here, a Ray worker there). A :class:`PipelineConfig` is plain data so it travels to Ray workers, which
build their own pipeline from it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agentflow.errors import UserError
from agentflow.eval.dataset import EvalCase
from agentflow.eval.facts import read_facts
from agentflow.eval.judge import BackendJudge, Judge, RuleJudge
from agentflow.eval.outcome import RunnerSpec, SessionOutcome, SessionRunner
from agentflow.eval.record import SessionRecord, build_record
from agentflow.eval.turns import ModelTurnJudge, TurnPredictor, TurnScorer, teacher_forced_scores

__all__ = ["PipelineConfig", "SessionPipeline", "check_config", "trace_name"]


class PipelineConfig(BaseModel):
    """Everything a worker needs to score sessions.

    Attributes:
        runner: how to build the session runner.
        judge: ``"rules"`` or ``"model"`` (a model in the ``judge`` role, from ``judge_backend``).
        judge_backend: backend spec for the model judge (e.g. ``test``, ``openai:gpt-4o``).
        trace_dir: where each session's JSONL trace is written (``None``: not kept).
        turn_level: also score reference turns with teacher forcing (cases with a ``reference``).
        judge_models: model flags for the model judge (``ModelOptions.to_dict()`` data: retries,
            fallback, cache, prices...); budgets limit sessions, never the judge, so they are ignored.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    runner: RunnerSpec
    judge: str = "rules"
    judge_backend: str = "test"
    trace_dir: str | None = None
    turn_level: bool = False
    judge_models: dict[str, Any] = Field(default_factory=dict)


def trace_name(case_id: str) -> str:
    """The trace file name of a case (ids may hold any character; file names may not)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", case_id).strip("._") or "case"
    return f"{safe}.jsonl"


class SessionPipeline:
    """Scores cases one at a time; safe to share between concurrent tasks of one event loop."""

    def __init__(self, config: PipelineConfig, runner: SessionRunner | None = None, judge: Judge | None = None) -> None:
        self.config = config
        self.runner = runner if runner is not None else config.runner.build()
        self._judge_models: Any = None
        self.judge = judge if judge is not None else self._build_judge(config)
        self.turn_scorer: TurnScorer | None = None
        if config.turn_level and config.judge == "model":
            backend = getattr(self.judge, "backend", None)
            if backend is not None:
                self.turn_scorer = ModelTurnJudge(backend)
        self.trace_dir = Path(config.trace_dir) if config.trace_dir else None
        if self.trace_dir is not None:
            self.trace_dir.mkdir(parents=True, exist_ok=True)

    async def run_case(self, case: EvalCase) -> SessionRecord:
        """Run, audit and judge one case. A crash inside the session becomes a failed record."""
        try:
            outcome = await self.runner(case)
        except UserError:
            raise  # the user's input is wrong for every session: stop the evaluation
        except Exception as exc:  # a crashed session is a result, not the end of the evaluation
            outcome = SessionOutcome(error=f"{type(exc).__name__}: {exc}"[:500])
        trace = self._write_trace(case, outcome.events)
        facts = read_facts(case, outcome.events)
        verdict = await self.judge(case, outcome, facts)
        record = build_record(case, outcome, facts, verdict, trace=trace)
        predictor = getattr(self.runner, "predict_turn", None)
        if self.config.turn_level and case.reference and predictor is not None:
            tp: TurnPredictor = predictor
            record.turn_scores = await teacher_forced_scores(case, tp, self.turn_scorer)
        return record

    def _write_trace(self, case: EvalCase, events: list[dict[str, Any]]) -> str | None:
        if self.trace_dir is None:
            return None
        name = trace_name(case.id)
        with (self.trace_dir / name).open("w", encoding="utf-8") as fh:
            for ev in events:
                fh.write(json.dumps(ev, ensure_ascii=False, default=str) + "\n")
        return name

    async def aclose(self) -> None:
        """Release what the runner holds (models, servers), when it says how, and the judge's models."""
        close = getattr(self.runner, "aclose", None)
        if close is not None:
            await close()
        if self._judge_models is not None:
            await self._judge_models.aclose()

    def _build_judge(self, config: PipelineConfig) -> Judge:
        if config.judge == "rules":
            return RuleJudge()
        if config.judge == "model":
            if not config.judge_models:
                from agentflow.models import build_backend

                return BackendJudge(build_backend(config.judge_backend))
            from agentflow.models import ModelOptions, RunModels

            limits = dict.fromkeys(("max_tokens", "max_cost_usd", "max_calls", "max_seconds"))
            self._judge_models = RunModels(ModelOptions.from_dict({**config.judge_models, **limits}))
            return BackendJudge(self._judge_models.build(config.judge_backend))
        raise UserError(f"unknown judge {config.judge!r}", hint="use --judge rules or --judge model")


def check_config(config: PipelineConfig) -> None:
    """Fail early, in the caller's process, on a config every worker would reject."""
    config.runner.factory()
    if config.judge not in ("rules", "model"):
        raise UserError(f"unknown judge {config.judge!r}", hint="use --judge rules or --judge model")
