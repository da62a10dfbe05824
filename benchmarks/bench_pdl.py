"""PDL parse+check speed on the largest corpus file, as milliseconds and as a ratio to yaml.safe_load.

Run: ``.venv/bin/python benchmarks/bench_pdl.py [--repeat N]``

Measures, in one process and interleaved (so machine load affects both alike):

* ``pdl``: :func:`agentflow.pdl.parse_pdl_text` (YAML with positions, tool file, procedure parser)
  followed by :func:`agentflow.pdl.check`, with the expression cache cleared before every run (a
  cold parse, as the first load of a file is);
* ``baseline``: ``yaml.safe_load`` of the same file (what FlowAgent does to read a PDL file);
* ``bounded``: :func:`agentflow.safeload.load_yaml` (the loader every agentflow file goes through:
  libyaml's events, a composer counting depth and alias expansion, the safe constructor), and
  ``yaml.load(..., CSafeLoader)`` (libyaml end to end, unbounded) for reference.

Prints the median and best CPU time of each and the ratios to the baseline.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agentflow.pdl import check, parse_pdl_text  # noqa: E402
from agentflow.pdl.expr import _parse_cached  # noqa: E402
from agentflow.safeload import load_yaml  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "pdl" / "corpus"


def largest_pdl() -> Path:
    """The biggest PDL file of the corpus copy (v241127_converted_llm/pdl/000.yaml, 43 KB)."""
    return max(CORPUS.glob("**/pdl/*.yaml"), key=lambda p: p.stat().st_size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    path = largest_pdl()
    text = path.read_text(encoding="utf-8")
    tools_path = path.parent.parent / "tools" / path.name
    tools = tools_path.read_text(encoding="utf-8")

    def run_pdl() -> int:
        _parse_cached.cache_clear()
        doc = parse_pdl_text(text, str(path), tools_text=tools, tools_path=str(tools_path))
        return len(check(doc))

    def run_yaml() -> int:
        return len(yaml.safe_load(text))

    def run_bounded() -> int:
        return len(load_yaml(text, str(path)))

    c_loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    def run_clib() -> int:
        return len(yaml.load(text, Loader=c_loader))

    assert load_yaml(text) == yaml.safe_load(text)  # same value
    run_pdl(), run_yaml(), run_bounded(), run_clib()  # warm imports
    pdl_t: list[float] = []
    base_t: list[float] = []
    bounded_t: list[float] = []
    clib_t: list[float] = []
    for _ in range(args.repeat):
        t0 = time.process_time()
        run_pdl()
        t1 = time.process_time()
        run_yaml()
        t2 = time.process_time()
        run_bounded()
        t3 = time.process_time()
        run_clib()
        t4 = time.process_time()
        pdl_t.append(t1 - t0)
        base_t.append(t2 - t1)
        bounded_t.append(t3 - t2)
        clib_t.append(t4 - t3)
    pm, bm = statistics.median(pdl_t) * 1000, statistics.median(base_t) * 1000
    sm, cm = statistics.median(bounded_t) * 1000, statistics.median(clib_t) * 1000
    print(f"file: {path.relative_to(ROOT)} ({path.stat().st_size} bytes, {text.count(chr(10))} lines)")
    print(f"pdl parse+check : median {pm:6.2f} ms   best {min(pdl_t) * 1000:6.2f} ms")
    print(f"yaml.safe_load  : median {bm:6.2f} ms   best {min(base_t) * 1000:6.2f} ms")
    print(f"safeload (bounded): median {sm:6.2f} ms   best {min(bounded_t) * 1000:6.2f} ms")
    print(f"yaml CSafeLoader : median {cm:6.2f} ms   best {min(clib_t) * 1000:6.2f} ms")
    print(f"ratio pdl/yaml.safe_load (median): {pm / bm:.2f}x")
    print(f"ratio safeload/yaml.safe_load (median): {sm / bm:.2f}x")
    print(f"ratio safeload/CSafeLoader (median): {sm / cm:.2f}x")


if __name__ == "__main__":
    main()
