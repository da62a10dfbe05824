"""Durable executed workflows: the cost of the run store on a real orchestration, next to in memory.

Runs ``workflows/multi_critic.pdl`` (solver, three critics in parallel, refiner: 15 graph steps) and
``tests/durable/data/executed/review.pdl`` (parallel block with two API calls, a two-round loop: 30+
steps, 4 tool calls) with the ``test`` backend, N times each, in alternating blocks:

* ``memory`` — ``Orchestration.run`` (no store);
* ``sqlite`` — ``Orchestration.run_durable`` into one SQLite file: the snapshot and the step's events
  committed after every step, every model answer and tool call journaled.

Prints ms per run (wall, median of the blocks) and the durable/memory ratio measured in the same run::

    .venv/bin/python benchmarks/bench_durable_executed.py [--runs 40] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from agentflow.runner.orchestration import Orchestration
from agentflow.runner.workflows import load_workflow
from agentflow.store import open_store

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "durable" / "data" / "executed"
CASES: dict[str, tuple[Path, Path | None, dict[str, str]]] = {
    "multi_critic": (ROOT / "workflows" / "multi_critic.pdl", None, {"question": "What is 6*7?"}),
    "review (parallel + loop + tools)": (DATA / "review.pdl", DATA / "tools.py", {"question": "apples"}),
}


def _backend(name: str) -> Any:
    if name.startswith("review"):
        return {"*": "test", "judge": f"scripted:{DATA / 'judge.yaml'}", "refiner": f"scripted:{DATA / 'refiner.yaml'}"}
    return "test"


async def _block(wf: Orchestration, name: str, inputs: dict[str, str], runs: int, store: Any, tag: str) -> float:
    start = time.perf_counter()
    for i in range(runs):
        if store is None:
            result = await wf.run(inputs, backend=_backend(name))
        else:
            result = await wf.run_durable(inputs, backend=_backend(name), store=store, run_id=f"{tag}-{i}")
        assert result.ok, result.reason
    return (time.perf_counter() - start) / runs * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-durable-exec-"))
    os.environ["AF_SIDE_EFFECTS"] = str(tmp / "effects.log")
    print(f"{'workflow':34} {'memory ms/run':>14} {'sqlite ms/run':>14} {'ratio':>7}")
    for name, (path, tools, inputs) in CASES.items():
        wf = load_workflow(path, tools=tools)
        mem: list[float] = []
        dur: list[float] = []
        with open_store(tmp / f"{path.stem}.db") as store:
            asyncio.run(_block(wf, name, inputs, 3, None, "warm"))
            for r in range(args.rounds):
                mem.append(asyncio.run(_block(wf, name, inputs, args.runs, None, "")))
                dur.append(asyncio.run(_block(wf, name, inputs, args.runs, store, f"r{r}")))
        m, d = statistics.median(mem), statistics.median(dur)
        print(f"{name:34} {m:14.2f} {d:14.2f} {d / m:6.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
