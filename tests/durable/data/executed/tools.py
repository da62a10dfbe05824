"""APIs for the executed crash test: every real execution appends one line to ``AF_SIDE_EFFECTS``.

``AF_KILL_IN_TOOL=NAME`` SIGKILLs the process inside NAME, after its side effect and before it
returns (a crash mid-tool). ``AF_HOLD_IN_TOOL=NAME`` makes NAME hang after its side effect, and the
killing tool waits for that effect first: both calls are cut off by the kill, deterministically.
"""

import json
import os
import signal
import time
from pathlib import Path


def _effect(name: str, args: dict) -> None:
    log = os.environ["AF_SIDE_EFFECTS"]
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"tool": name, "args": args}, sort_keys=True) + "\n")
    held = os.environ.get("AF_HOLD_IN_TOOL")
    if held == name:
        time.sleep(60)
    if os.environ.get("AF_KILL_IN_TOOL") == name:
        deadline = time.monotonic() + 30
        while held and f'"tool": "{held}"' not in Path(log).read_text(encoding="utf-8"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{held} never ran")
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGKILL)


def lookup(topic: str) -> dict:
    _effect("lookup", {"topic": topic})
    out = {"fact": f"fact about {topic}"}
    if os.environ.get("AF_PLANTED_TOKEN"):  # a secret-named field in a tool result (secrets test)
        out["access_token"] = os.environ["AF_PLANTED_TOKEN"]
    return out


def notify(channel: str, text: str) -> dict:
    _effect("notify", {"channel": channel, "text": text})
    return {"sent": True}
