"""Identifiers for runs, messages and calls. Stdlib only (layer 0)."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from typing import Any

__all__ = ["canonical_json", "new_id", "stable_hash"]


def new_id(prefix: str = "") -> str:
    """A short, sortable, unique id: millisecond time then random bits, e.g. ``run_01h9...``."""
    stamp = format(int(time.time() * 1000), "x")
    rand = secrets.token_hex(5)
    return f"{prefix}_{stamp}{rand}" if prefix else f"{stamp}{rand}"


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: equal values give equal strings."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def stable_hash(value: Any) -> str:
    """A hex SHA-256 of the canonical JSON of ``value`` (cache keys, idempotency keys)."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()
