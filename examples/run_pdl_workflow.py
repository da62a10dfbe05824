"""Load a built-in PDL workflow and run it from an app — three lines.

Run: python examples/run_pdl_workflow.py [BACKEND]   (default: the offline `test` backend)
"""

from __future__ import annotations

import sys
from pathlib import Path

from agentflow.runner.workflows import load_workflow

ROOT = Path(__file__).resolve().parents[1]


def main(backend: str = "test") -> str:
    wf = load_workflow(ROOT / "workflows" / "multi_critic.pdl")
    result = wf.run_sync({"question": "What was the net margin?", "context": "profit 25, revenue 100"},
                         backend=backend)
    print(result.status, "->", result.output)
    for role, stats in sorted(result.stats.items()):
        print(f"  {role}: {stats.calls} call(s), {stats.input_tokens + stats.output_tokens} tokens")
    return str(result.output)


if __name__ == "__main__":
    main(*sys.argv[1:2])
