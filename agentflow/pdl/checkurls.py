"""Check the HTTP endpoints APIs declare (``url:``): a scheme, a host and a port that exist.

An API whose ``url`` had port ``99999`` or ``abc`` used to load and then crash the run with a
traceback at the first call; it is now an error at the API's declaration.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from agentflow.pdl.diagnostics import Diagnostic
from agentflow.pdl.document import PdlDocument

__all__ = ["check_urls", "url_problem"]


def url_problem(url: str) -> str | None:
    """What is wrong with an endpoint URL, or None when it is usable."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port that is not a number in 0..65535
    except ValueError as exc:
        return f"invalid URL {url!r}: {exc}"
    if parts.scheme not in ("http", "https"):
        return f"URL {url!r} must start with http:// or https://"
    if not parts.hostname:
        return f"URL {url!r} has no host"
    if port == 0:
        return f"URL {url!r} has port 0"
    return None


def check_urls(doc: PdlDocument) -> list[Diagnostic]:
    """An error for each API whose declared ``url`` cannot be called."""
    out: list[Diagnostic] = []
    for api in doc.apis:
        http = api.tool.http if api.tool is not None else None
        if not http:
            continue
        problem = url_problem(str(http.get("url", "")))
        if problem is not None:
            span = api.tool_span or api.span
            out.append(Diagnostic("error", f"API '{api.name}': {problem}", span.location,
                                  "write url: http://HOST:PORT/path (port 1-65535)", code="url"))  # fmt: skip
    return out
