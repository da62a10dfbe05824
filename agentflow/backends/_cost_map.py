"""LiteLLM's bundled model cost map, read as data (never by importing litellm, which is heavy).

litellm (a dependency) ships ``model_prices_and_context_window_backup.json``: per model, USD per input,
output and cached-input token, kept current by its maintainers. agentflow reads that file from the
installed package instead of keeping its own price list. The file is read once per process and path
(it is immutable for the life of the install).
"""

from __future__ import annotations

import importlib.util
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["COST_MAP_FILE", "cost_map_path", "load_cost_map"]

COST_MAP_FILE = "model_prices_and_context_window_backup.json"


def cost_map_path() -> Path | None:
    """Where the installed litellm keeps its cost map (``None``: litellm or the file is missing)."""
    spec = importlib.util.find_spec("litellm")  # locates the package without running its __init__
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        path = Path(folder) / COST_MAP_FILE
        if path.is_file():
            return path
    return None


@lru_cache(maxsize=4)
def load_cost_map(path: Path | None = None) -> dict[str, tuple[float, float, float | None]]:
    """Model name -> ``(input, output, cached_input)`` USD per million tokens, from the cost map.

    Entries without token prices (images, embeddings priced otherwise, the ``sample_spec`` row) are
    left out. An unreadable file gives an empty map: costs then read 0 unless ``--prices`` says more.
    """
    where = path if path is not None else cost_map_path()
    if where is None:
        return {}
    try:
        data: Any = json.loads(where.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out: dict[str, tuple[float, float, float | None]] = {}
    for name, entry in data.items() if isinstance(data, dict) else ():
        if name == "sample_spec" or not isinstance(entry, dict):
            continue
        inp, outp = entry.get("input_cost_per_token"), entry.get("output_cost_per_token")
        if not isinstance(inp, int | float) or not isinstance(outp, int | float):
            continue
        cached = entry.get("cache_read_input_token_cost")
        out[name] = (_per_mtok(inp), _per_mtok(outp), _per_mtok(cached) if isinstance(cached, int | float) else None)
    return out


def _per_mtok(per_token: float) -> float:
    return round(float(per_token) * 1_000_000, 9)  # 1.5e-07 * 1e6 is 0.15000000000000002 otherwise
