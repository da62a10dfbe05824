"""Every Mermaid text ``agentflow graph`` emits is parsed by the real Mermaid 11, in headless Chromium.

Issue 13: ``agentflow graph pdl/examples/flight_booking.pdl --deps`` emitted an edge label with an
unescaped ``"true"`` that Mermaid 11 rejects. The page below loads mermaid.min.js (installed by
``.ci/install-mermaid.sh`` into a cache folder), runs ``mermaid.parse`` on each diagram and writes
how many parsed (and the first error) into ``body[data-parsed]``; ``--dump-dom`` returns the DOM after
the script ran, so the assertion is on what Mermaid itself said.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from agentflow.pdl import parse_pdl_text
from agentflow.pdl.depgraph import dependency_graph
from agentflow.pdl.flowchart import deps_chart, flowchart, to_mermaid
from agentflow.pdl.loader import parse_file

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
MERMAID = Path(os.environ.get("AGENTFLOW_MERMAID_DIR", Path.home() / ".cache" / "agentflow" / "mermaid")) / (
    "node_modules/mermaid/dist/mermaid.min.js")
NASTY = """Name: 'quotes "q" | pipes # hash <b>tags</b> `ticks`'
APIs:
  - name: check
    response: [ok]
  - name: book
    precondition: [check, 'check.ok == "true" or check.ok == "a|b"']
ANSWERs:
  - name: done
    precondition: [book]
Procedure: |
  ok = API.check()
  if ok == "yes | no" and ok != "<x>":
    [book] API.book()
  x = "#quot; `y` %s" % ok
  [done] ANSWER.done()
"""


def _diagrams() -> dict[str, str]:
    out: dict[str, str] = {}
    files = [*sorted((ROOT / "pdl" / "examples").glob("*.pdl")), *sorted((ROOT / "workflows").glob("*.pdl"))]
    docs = [(p.name, parse_file(p)) for p in files] + [("nasty", parse_pdl_text(NASTY, "nasty.pdl"))]
    for name, doc in docs:
        out[f"{name} flowchart"] = to_mermaid(flowchart(doc))
        out[f"{name} deps"] = to_mermaid(deps_chart(dependency_graph(doc)))
    return out


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/install-eval.sh installs it)")
@pytest.mark.skipif(not MERMAID.is_file(), reason="mermaid@11 is not installed (run .ci/install-mermaid.sh)")
def test_mermaid_11_parses_every_graph(tmp_path: Path) -> None:
    diagrams = _diagrams()
    assert 'is_air == "true"' in diagrams["flight_booking.pdl deps"].replace("#quot;", '"')  # the case
    page = tmp_path / "parse.html"
    page.write_text(f"""<!doctype html><html><body data-parsed="pending">
<script src="{MERMAID.as_uri()}"></script>
<script>
const diagrams = {json.dumps(diagrams)};
(async () => {{
  mermaid.initialize({{startOnLoad: false}});
  let ok = 0; const errors = [];
  for (const [name, text] of Object.entries(diagrams)) {{
    try {{ await mermaid.parse(text); ok++; }} catch (e) {{ errors.push(name + ": " + String(e.message || e)); }}
  }}
  document.body.setAttribute("data-parsed", ok + "/" + Object.keys(diagrams).length);
  document.body.setAttribute("data-errors", errors.join(" || ").slice(0, 3000));
}})();
</script></body></html>""", encoding="utf-8")
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
           "--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage",
           "--allow-file-access-from-files", f"--user-data-dir={tmp_path / 'profile'}",
           "--virtual-time-budget=10000", "--dump-dom", page.as_uri()]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    parsed = re.search(r'data-parsed="([^"]*)"', done.stdout)
    errors = re.search(r'data-errors="([^"]*)"', done.stdout)
    assert parsed is not None, done.stdout[-2000:]
    total = len(diagrams)
    assert parsed.group(1) == f"{total}/{total}", html.unescape(errors.group(1) if errors else "")
