"""HTTP tool bindings: an API declared with ``url``/``method`` in its tool spec, only to allow-listed hosts.

Nothing is called unless its host is in the allow-list the user gave (``--allow-host``); a spec whose
host is not allowed is never bound to HTTP. GET sends arguments as query parameters, other methods as
a JSON body; the JSON object answered is the result. Non-2xx answers and non-JSON bodies raise, which
the tool box turns into an error observation.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

__all__ = ["HttpTool", "host_allowed"]


def host_allowed(url: str, allow_hosts: Iterable[str]) -> bool:
    """Whether ``url``'s host (``host`` or ``host:port``) is in ``allow_hosts``."""
    try:
        parts = urlsplit(url)
        port = parts.port  # ValueError for a port outside 0..65535 or not a number: not allowed
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    host = parts.hostname.lower()
    with_port = f"{host}:{port}" if port else host
    allowed = {h.strip().lower() for h in allow_hosts if h.strip()}
    return host in allowed or with_port in allowed


class HttpTool:
    """A binding that calls one HTTP endpoint.

    Args:
        url: the endpoint.
        method: HTTP method (GET sends query parameters, others JSON).
        timeout_s: per-request timeout.
        headers: extra headers (e.g. auth; values never reach traces — declare them secret).
    """

    kind = "http"

    def __init__(self, url: str, method: str = "POST", timeout_s: float = 30.0,
                 headers: dict[str, str] | None = None) -> None:
        self.url = url
        self.method = method.upper()
        self.timeout_s = timeout_s
        self.headers = dict(headers or {})

    async def __call__(self, args: dict[str, Any]) -> dict[str, Any]:
        import httpx  # lazy: only HTTP-bound runs need it

        async with httpx.AsyncClient(timeout=self.timeout_s, trust_env=False) as client:
            if self.method == "GET":
                response = await client.get(self.url, params=_query(args), headers=self.headers)
            else:
                response = await client.request(self.method, self.url, json=args, headers=self.headers)
        if response.status_code >= 400:
            raise RuntimeError(f"HTTP {response.status_code} from {self.url}: {response.text[:200]}")
        data = response.json()
        return data if isinstance(data, dict) else {"result": data}


def _query(args: dict[str, Any]) -> dict[str, str]:
    return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in args.items() if v is not None}
