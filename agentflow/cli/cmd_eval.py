"""``agentflow eval``: run an evaluation dataset and write its report, or compare two reports.

    agentflow eval DATASET [--engine local|ray] [--workers N] [--report OUT] [--backend SPEC ...]
    agentflow eval --compare A.json B.json

The model flags of ``agentflow run`` apply (``--retries --fallback --cache --record --replay --prices``
and the budgets ``--max-tokens --max-cost --max-calls --timeout``, which limit each *session*: one that
runs out ends ``budget_exhausted`` and the evaluation goes on).

DATASET is a JSONL file (docs/eval.md) or a FlowAgent corpus folder (imported on the fly; add
``--export-dataset FILE`` to keep the JSONL). The progress bar shows live success and compliance.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path
from typing import Any

from agentflow.cli.model_flags import add_model_flags, model_options
from agentflow.errors import UserError

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``eval`` subcommand."""
    p = subparsers.add_parser("eval", help="evaluate a workflow on many sessions and write a report",
                              description="Run an evaluation dataset (JSONL or a FlowAgent corpus folder) and "
                                          "write report.json + report.html; or compare two reports.")
    p.add_argument("dataset", nargs="?", help="dataset .jsonl, or a corpus folder with pdl/ (or fixed queries)")
    p.add_argument("--engine", choices=("local", "ray"), default="local", help="where sessions run (default local)")
    p.add_argument("--workers", type=int, default=4, help="concurrent sessions (local) or Ray actors (default 4)")
    p.add_argument("--ray-address", default=None, help="join this Ray cluster instead of starting a local one")
    p.add_argument("--report", default="eval-report", metavar="OUT", help="report folder (default eval-report)")
    p.add_argument("--backend", action="append", default=[], metavar="SPEC",
                   help="backend for the sessions (SPEC or ROLE=SPEC, repeatable; default test)")
    p.add_argument("--judge", choices=("rules", "model"), default="rules",
                   help="session judge: deterministic rules (default) or a model in the judge role")
    p.add_argument("--seed", type=int, default=None, help="evaluation seed (overrides the cases' seeds)")
    p.add_argument("--limit", type=int, default=None, help="run only the first N cases")
    p.add_argument("--repeats", type=int, default=1, help="sessions per user profile when importing a corpus")
    p.add_argument("--workflows", default=None, help="workflow folder for a fixed-query corpus folder")
    p.add_argument("--export-dataset", default=None, metavar="FILE", help="write the (imported) cases as JSONL")
    p.add_argument("--turn-level", action="store_true", help="also score reference turns with teacher forcing")
    p.add_argument("--runner", default="agentflow.eval.runners:default_runner", metavar="MODULE:FACTORY",
                   help="session runner factory (default: guided runtime for conversations, executed for role cases)")
    p.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples per interval (default 1000)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--compare", nargs=2, metavar=("A.json", "B.json"), help="compare two reports and exit")
    add_model_flags(p, scope="session")
    p.set_defaults(handler=_handle)


_BUILTIN_RUNNERS = ("agentflow.eval.runners:default_runner", "agentflow.eval.guided:guided_runner",
                    "agentflow.eval.executed:executed_runner")
_PATHS = ("cache", "record", "replay", "prices")


def _model_options(args: argparse.Namespace) -> dict[str, Any]:
    """The model flags as plain data for the runner (and Ray actors): absolute paths, files checked now."""

    options = model_options(args).to_dict()
    for key in _PATHS:
        if options[key] is not None:
            options[key] = str(Path(options[key]).resolve())
    if options["prices"] is not None:
        from agentflow.backends.pricing import PriceTable

        PriceTable.from_file(options["prices"])  # a bad table: one error now, not one per worker
    if options["replay"] is not None and not Path(options["replay"]).is_file():
        raise UserError(f"--replay: recording not found: {args.replay}",
                        hint="record an evaluation first with --record FILE.jsonl")
    return options


def _handle(args: argparse.Namespace) -> int:
    if args.compare:
        return _compare(args.compare[0], args.compare[1])
    if not args.dataset:
        raise UserError("`agentflow eval` needs a DATASET (or --compare A.json B.json)",
                        hint="agentflow eval cases.jsonl --report out/")
    if args.workers < 1:
        raise UserError(f"--workers must be at least 1, got {args.workers}")
    return _evaluate(args)


def _load_cases(args: argparse.Namespace) -> list[Any]:
    from agentflow.eval.dataset import dump_dataset, load_dataset
    from agentflow.eval.importers import import_path

    path = Path(args.dataset)
    if path.is_dir():
        cases = import_path(path, workflows=args.workflows, seed=args.seed or 0, repeats=args.repeats)
    elif path.exists():
        cases = load_dataset(path, seed=args.seed)
    else:
        raise UserError(f"dataset not found: {path}", hint="pass a .jsonl file or a corpus folder")
    if args.limit is not None:
        cases = cases[: max(0, args.limit)]
    if args.export_dataset:
        dump_dataset(cases, args.export_dataset)
    return cases


def _evaluate(args: argparse.Namespace) -> int:
    from rich.console import Console

    from agentflow.eval.harness import evaluate
    from agentflow.eval.outcome import RunnerSpec
    from agentflow.eval.pipeline import PipelineConfig

    models = _model_options(args)
    cases = _load_cases(args)
    options: dict[str, Any] = {}
    if args.runner in _BUILTIN_RUNNERS:
        options = {"backend": args.backend or ["test"], "base_dir": os.getcwd(), "models": models}
    elif any(v not in (None, []) for v in models.values()):
        raise UserError(f"the model flags (--retries, --fallback, --cache, --max-*, ...) apply to the built-in "
                        f"runners, not to --runner {args.runner}",
                        hint="pass the options to your runner factory, or drop the flags")
    config = PipelineConfig(runner=RunnerSpec(target=args.runner, options=options), judge=args.judge,
                            judge_backend=_judge_backend(args.backend), turn_level=args.turn_level,
                            judge_models=models if args.judge == "model" else {})
    console = Console(stderr=True)
    progress = _Progress(console, len(cases), enabled=not args.no_progress)
    with progress:
        report = asyncio.run(evaluate(
            cases, config, engine=args.engine, workers=args.workers, ray_address=args.ray_address,
            out_dir=args.report, dataset=str(args.dataset), seed=args.seed or 0, resamples=args.resamples,
            on_record=progress.update))
    _print_summary(Console(), report, Path(args.report))
    return 0


def _judge_backend(specs: list[str]) -> str:
    """The model judge's backend: ``--backend judge=SPEC``, else the default ``--backend``, else ``test``."""
    from agentflow.models import BackendChoice

    entry = BackendChoice.parse(specs).entry_for("judge")
    return str(entry) if entry is not None else "test"


class _Progress:
    """A rich progress bar with live success and compliance counters."""

    def __init__(self, console: Any, total: int, *, enabled: bool) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.enabled = enabled
        self.done = self.success = self.executed = self.compliant = self.blocked = self.leaked = 0
        self._progress = Progress(TextColumn("[bold]eval"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                  TextColumn("{task.fields[stats]}"), console=console, disable=not enabled,
                                  transient=False)
        self._task = self._progress.add_task("eval", total=total, stats="")

    def __enter__(self) -> _Progress:
        self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.__exit__(None, None, None)

    def update(self, record: Any) -> None:
        self.done += 1
        self.success += int(record.success)
        self.executed += record.executed
        self.compliant += record.compliant
        self.blocked += record.blocked
        self.leaked += record.leaked
        compliance = f"{self.compliant / self.executed:.1%}" if self.executed else "—"
        stats = (f"success {self.success}/{self.done} ({self.success / self.done:.0%}) · compliance {compliance}"
                 f" · blocked {self.blocked} · leaked {self.leaked}")
        self._progress.update(self._task, advance=1, stats=stats)


def _print_summary(console: Any, report: Any, out: Path) -> None:
    from rich.table import Table

    from agentflow.eval.report.html import format_metric

    out_of_budget = int(report.summary.totals.get("budget_exhausted", 0))
    table = Table(title=f"{report.summary.n} sessions, {report.summary.errors} crashed"
                        + (f", {out_of_budget} out of budget" if out_of_budget else ""))
    for col in ("metric", "value", "95% CI", "n"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for name, est in report.summary.metrics.items():
        ci = f"{format_metric(name, est.low)} – {format_metric(name, est.high)}" if est.low is not None else ""
        table.add_row(name, format_metric(name, est.value), ci, str(est.n))
    console.print(table)
    run = report.run
    console.print(f"{run.get('sessions_per_s')} sessions/s on {run.get('engine')} ({run.get('workers')} workers); "
                  f"report: {out / 'report.html'}")


def _compare(a_path: str, b_path: str) -> int:
    from rich.console import Console
    from rich.table import Table

    from agentflow.eval.report import compare_reports, read_report
    from agentflow.eval.report.html import PERCENT_METRICS, format_metric

    a, b = read_report(a_path), read_report(b_path)
    table = Table(title=f"B = {b_path} against A = {a_path}")
    for col in ("metric", "A", "B", "Δ", "verdict"):
        table.add_column(col, justify="left" if col in ("metric", "verdict") else "right")
    styles = {"better": "green", "worse": "red"}
    for row in compare_reports(a, b):
        base = row.metric.split("[", 1)[0]
        key = "success_rate" if base in ("success", "compliance") else base

        def show(est: Any, key: str = key) -> str:
            if est is None or est.value is None:
                return "—"
            return f"{format_metric(key, est.value)} [{format_metric(key, est.low)}, {format_metric(key, est.high)}]"

        delta = "—" if row.delta is None else (f"{row.delta:+.1%}" if key in PERCENT_METRICS else f"{row.delta:+.3g}")
        verdict = f"[{styles[row.verdict]}]{row.verdict}[/]" if row.verdict in styles else row.verdict
        table.add_row(row.metric, show(row.a), show(row.b), delta, verdict)
    Console().print(table)
    return 0

