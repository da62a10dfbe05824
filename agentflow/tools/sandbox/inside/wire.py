"""Values by value between the solution process and the test harness: tagged JSON, one message a line.

Only exact builtin types cross as values (``None``, ``bool``, ``int``, ``float``, ``complex``, ``str``,
``bytes``, ``list``, ``tuple``, ``dict``, ``set``, ``frozenset``; ``dict`` subclasses as ``dict``), so a
value the harness compares is one whose ``==`` the solution did not write. Anything else crosses as a
handle (an id) the harness can call or inspect further. Decoding is bounded (line size, depth).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

MAX_LINE = 8 * 1024 * 1024
MAX_DEPTH = 64
Encoder = Callable[[Any], Any]


def encode(value: Any, handle: Callable[[Any], int], depth: int = 0) -> Any:
    """``value`` as JSON-able data; ``handle(obj)`` names an object that cannot cross by value."""
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if depth >= MAX_DEPTH:
        return {"t": "h", "id": handle(value), "type": kind.__name__}
    if kind is bytes:
        return {"t": "bytes", "v": base64.b64encode(value).decode()}
    if kind is complex:
        return {"t": "complex", "v": [value.real, value.imag]}
    if kind in (list, tuple, set, frozenset):
        return {"t": kind.__name__, "v": [encode(x, handle, depth + 1) for x in kind.__iter__(value)]}
    if isinstance(value, dict):
        return {"t": "dict", "v": [[encode(k, handle, depth + 1), encode(v, handle, depth + 1)]
                                   for k, v in dict.items(value)]}
    return {"t": "h", "id": handle(value), "type": kind.__name__[:100]}


def decode(data: Any, handle: Callable[[int, str], Any], depth: int = 0) -> Any:
    """The value ``data`` encodes; ``handle(id, type)`` builds the local stand-in for a handle."""
    if data is None or type(data) in (bool, int, float, str):
        return data
    if depth >= MAX_DEPTH + 2 or type(data) is not dict:
        raise ValueError("malformed value")
    tag, raw = data.get("t"), data.get("v")
    pair: Any = raw
    if tag == "h":
        return handle(int(data["id"]), str(data.get("type", "object"))[:100])
    if tag == "bytes":
        return base64.b64decode(str(raw))
    if tag == "complex":
        return complex(float(pair[0]), float(pair[1]))
    items = raw if type(raw) is list else []
    if tag == "dict":
        return {decode(k, handle, depth + 1): decode(v, handle, depth + 1) for k, v in items}
    builders: dict[str, Callable[[Any], Any]] = {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}
    if tag in builders:
        return builders[tag](decode(x, handle, depth + 1) for x in items)
    raise ValueError(f"malformed value tag {tag!r}")


def send(fh: Any, message: dict[str, Any]) -> None:
    """Write one message."""
    fh.write(json.dumps(message, separators=(",", ":")) + "\n")
    fh.flush()


def receive(fh: Any) -> dict[str, Any] | None:
    """Read one message (``None`` at end of stream); a malformed or oversized one raises ``ValueError``."""
    line = fh.readline(MAX_LINE + 1)
    if not line:
        return None
    if len(line) > MAX_LINE:
        raise ValueError("message too large")
    try:
        message = json.loads(line)
    except RecursionError as exc:
        raise ValueError("message nested too deeply") from exc
    if type(message) is not dict:
        raise ValueError("malformed message")
    return message
