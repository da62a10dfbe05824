"""Durable mode cost: W1 of the peer benchmark with the SQLite run store on, next to LangGraph in memory.

Runs ``../shared/bench/peerbench.py`` (fresh process per framework and round, raw-asyncio baseline in
the same round) on the W1 chain (10 nodes, fake LLM with L=0, 1000 runs per block) for:

* ``agentflow`` — in memory (``benchmarks/peerbench_agentflow.py``);
* ``agentflow-sqlite`` — every run registered in a SQLite store and its snapshot committed after
  *every* step (``benchmarks/peerbench_agentflow_durable.py``), so any run resumes after a crash;
* ``langgraph`` — in memory, no checkpointer (the peer harness's own implementation).

Prints µs per node-step (wall and CPU), the ``x raw`` ratios, and the ratio of durable agentflow to
in-memory LangGraph measured in the same run. Needs the peers' venv (see ../shared/bench/README.md)::

    python benchmarks/bench_durable.py [--peers-python /tmp/peers/bin/python] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERBENCH = ROOT.parent / "shared" / "bench" / "peerbench.py"
FRAMEWORKS = ("agentflow", "agentflow-sqlite", "langgraph")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peers-python", default="/tmp/peers/bin/python", help="python of the peers' venv")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="small N (smoke test)")
    args = ap.parse_args()
    if not Path(args.peers_python).exists():
        print(f"peers venv not found at {args.peers_python}; see {PEERBENCH.parent / 'README.md'}", file=sys.stderr)
        return 2
    out = Path(tempfile.mkdtemp(prefix="bench-durable-")) / "pb.json"
    cmd = [args.peers_python, str(PEERBENCH), "--plugin", str(ROOT / "benchmarks/peerbench_agentflow.py"),
           "--plugin", str(ROOT / "benchmarks/peerbench_agentflow_durable.py"), "--frameworks", ",".join(FRAMEWORKS),
           "--workloads", "w1_chain", "--rounds", str(args.rounds), "--json", str(out)]
    if args.quick:
        cmd.append("--quick")
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    summary = json.loads(out.read_text())["summary"]
    w1 = {fw: summary[fw]["w1_chain"] for fw in ("raw", *FRAMEWORKS)}
    print(f"W1 chain (10 nodes, L=0), medians of {args.rounds} fresh-process rounds x 3 blocks of "
          f"{'100' if args.quick else '1000'} runs")
    print(f"{'framework':<18}{'wall us/step':>14}{'x raw':>8}{'CPU us/step':>13}")
    for fw, r in w1.items():
        print(f"{fw:<18}{r['step_us']:>14.1f}{r['x_raw']['step_us']:>8.1f}{r['cpu_run_us'] / 10:>13.1f}")
    durable, lang, mem = w1["agentflow-sqlite"], w1["langgraph"], w1["agentflow"]
    print(f"agentflow-sqlite / langgraph (in memory): wall {durable['step_us'] / lang['step_us']:.2f}x, "
          f"x-raw {durable['x_raw']['step_us'] / lang['x_raw']['step_us']:.2f}x, "
          f"CPU {durable['cpu_run_us'] / lang['cpu_run_us']:.2f}x")
    print(f"durable cost over agentflow in memory: +{durable['step_us'] - mem['step_us']:.0f} us/step wall, "
          f"+{(durable['cpu_run_us'] - mem['cpu_run_us']) / 10:.0f} us/step CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
