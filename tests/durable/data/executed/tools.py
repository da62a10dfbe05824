"""APIs for the executed crash test: every real execution appends one line to ``AF_SIDE_EFFECTS``.

``AF_KILL_IN_TOOL=NAME`` SIGKILLs the process inside NAME, after its side effect and before it
returns (a crash mid-tool).
"""

import json
import os
import signal


def _effect(name: str, args: dict) -> None:
    with open(os.environ["AF_SIDE_EFFECTS"], "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"tool": name, "args": args}, sort_keys=True) + "\n")
    if os.environ.get("AF_KILL_IN_TOOL") == name:
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
