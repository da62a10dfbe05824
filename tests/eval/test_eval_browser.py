"""The HTML report opened in a real headless Chromium: its plots lay out and its transcript links work.

The page's own script measures every ``svg.plot`` with ``getBBox()`` after load and writes the count of
drawn plots into ``body[data-plots-rendered]``; ``--dump-dom`` returns the DOM after scripts ran, so
the assertion is on what the browser actually laid out, not on the HTML we wrote.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from agentflow.eval import PipelineConfig, RunnerSpec, import_path
from agentflow.eval.harness import evaluate

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def _dump_dom(url: str, profile: Path) -> str:
    assert CHROMIUM is not None
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--virtual-time-budget=3000", "--dump-dom", url]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/install-eval.sh installs it)")
async def test_report_renders_plots_in_headless_chromium(data_dir: Path, tmp_path: Path) -> None:
    cases = import_path(data_dir / "fixed_queries", workflows=data_dir / "fa_ruled", seed=1)[::8]
    config = PipelineConfig(runner=RunnerSpec(target="eval_fakes:make_runner"))
    # the fake runner walks expected APIs: give these scripted cases some, so every plot has bars
    cases = [c.model_copy(update={"expected_apis": list(c.preconditions or {})[:3],
                                  "oow": import_path(data_dir / "flowagent", seed=1, repeats=3)[i % 15].oow})
             for i, c in enumerate(cases)]
    report = await evaluate(cases, config, out_dir=tmp_path / "rep", seed=1)
    assert len(report.summary.by_oow_category) == 3

    dom = _dump_dom((tmp_path / "rep" / "report.html").as_uri(), tmp_path / "profile")
    assert 'data-plots-rendered="4/4"' in dom, re.findall(r"data-plots-rendered=\"[^\"]*\"", dom)
    assert dom.count('data-rendered="yes"') == 4
    for ident in ("plot-success", "plot-compliance", "plot-cost", "plot-turns"):
        assert f'id="{ident}"' in dom
    success_svg = dom[dom.index('id="plot-success"'):]
    success_svg = success_svg[: success_svg.index("</svg>")]
    assert success_svg.count('class="bar"') == 3 and success_svg.count('class="err"') == 9  # 3 bars x (1 + 2 caps)

    link = re.search(r'href="(sessions/[^"]+\.html)"', dom)
    assert link is not None
    page = _dump_dom((tmp_path / "rep" / link.group(1)).as_uri(), tmp_path / "profile2")
    assert 'class="turn user"' in page and "run ended" in page and "raw trace (JSONL)" in page
