"""``agentflow view``: the flight run as one HTML page, escaping, bad input, and a real Chromium render."""

from __future__ import annotations

import json
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest

from agentflow.cli.app import main
from agentflow.events import read_trace

ROOT = Path(__file__).resolve().parents[2]
EX = ROOT / "pdl" / "examples"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.fixture(scope="module")
def flight_trace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    trace = tmp_path_factory.mktemp("view") / "t.jsonl"
    rc = main(["run", str(EX / "flight_booking.pdl"), "--backend", f"scripted:{EX / 'flight/agent.yaml'}",
               "--user", f"scripted:{EX / 'flight/user.yaml'}", "--tools", str(EX / "flight/tools.py"),
               "--trace", str(trace)])
    assert rc == 0
    return trace


def test_flight_run_page_shows_every_call_block_and_reply(flight_trace: Path, tmp_path: Path) -> None:
    out = tmp_path / "run.html"
    assert main(["view", str(flight_trace), "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    records = list(read_trace(flight_trace))
    calls = [r for r in records if r["type"] == "tool_call"]
    assert any(r["status"] == "blocked" for r in calls)
    for r in calls:
        assert r["name"] in page
    assert page.count('class="e tool_call') == len(calls)
    assert page.count("blocked by precondition") == sum(r["status"] == "blocked" for r in calls)
    for r in records:
        if r["type"] == "agent_message":
            assert r["text"].replace("'", "&#x27;") in page
    llm = [r for r in records if r["type"] == "llm_call"]
    assert f"<td>{len(llm)}</td><td>{sum(r['input_tokens'] for r in llm)}</td>" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page
    # default output beside the trace; refused the second time unless --force
    assert main(["view", str(flight_trace)]) == 0
    assert flight_trace.with_suffix(".html").exists()
    assert main(["view", str(flight_trace)]) == 2
    assert main(["view", str(flight_trace), "--force"]) == 0


def test_message_text_is_escaped(tmp_path: Path) -> None:
    trace = tmp_path / "x.jsonl"
    recs = [{"type": "run_start", "run_id": "r", "seq": 1, "ts": 0, "workflow": "<b>w</b>"},
            {"type": "user_message", "run_id": "r", "seq": 2, "ts": 0, "turn": 1, "text": "<script>alert(1)</script>"}]
    trace.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    assert main(["view", str(trace)]) == 0
    page = trace.with_suffix(".html").read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;w&lt;/b&gt;" in page


@pytest.mark.parametrize("content", [None, b"\xff\xfe\x00", b"{not json\n", b"[1, 2]\n", b""])
def test_bad_trace_is_one_line_exit_2(tmp_path: Path, content: bytes | None,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    trace = tmp_path / "bad.jsonl"
    if content is not None:
        trace.write_bytes(content)
    assert main(["view", str(trace)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(trace) in err and "Traceback" not in err
    assert not trace.with_suffix(".html").exists()


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/install-eval.sh installs it)")
def test_page_screenshot_in_headless_chromium_is_not_blank(flight_trace: Path, tmp_path: Path) -> None:
    out = tmp_path / "run.html"
    assert main(["view", str(flight_trace), "-o", str(out)]) == 0
    shot = tmp_path / "shot.png"
    assert CHROMIUM is not None
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1000,800",
           f"--screenshot={shot}", out.as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert _distinct_pixel_bytes(shot.read_bytes()) > 20, "the screenshot is blank"


def _distinct_pixel_bytes(png: bytes) -> int:
    """Distinct byte values of the PNG's decompressed scanlines (a blank page has one or two)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, data = 8, b""
    while pos < len(png):
        size = int.from_bytes(png[pos:pos + 4], "big")
        if png[pos + 4:pos + 8] == b"IDAT":
            data += png[pos + 8:pos + 8 + size]
        pos += 12 + size
    return len(set(zlib.decompress(data)))
