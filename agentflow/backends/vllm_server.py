"""``vllm+http://HOST:PORT[/PATH]:MODEL`` — a vLLM OpenAI-compatible server by URL.

The server speaks the OpenAI routes, so this is the OpenAI backend pointed at it, plus vLLM's extras:
structured output goes through vLLM's guided decoding (``structured_outputs: {json: schema}`` on vLLM
>= 0.12, ``guided_json`` on older servers, or plain ``response_format``), chosen with the
``structured`` option. Options follow the model: ``...:MODEL?timeout=120&structured=guided_json``.
The key (servers started with ``--api-key``) comes from ``$VLLM_API_KEY``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from agentflow.backends._spec_options import check_options, spec_text, to_float
from agentflow.backends.openai import OpenAIBackend
from agentflow.errors import UserError

__all__ = ["from_spec", "from_spec_https", "parse_server_spec"]

_OPTIONS = ("timeout", "structured", "api_key_env")
_URL = re.compile(r"^//(?P<host>\[[^\]]+\]|[^/:?]+)(?::(?P<port>\d+))?(?P<path>/[^:?]*)?:(?P<model>.+)$")


def parse_server_spec(rest: str, *, scheme: str = "http") -> tuple[str, str]:
    """``//host:port[/v1]:model[?opts]`` -> (``scheme://host:port/v1``, ``model[?opts]``).

    Raises:
        UserError: the spec does not have that shape.
    """
    match = _URL.match(rest)
    if match is None:
        raise UserError(f"cannot read vLLM server spec 'vllm+{scheme}:{rest}'",
                        hint="use vllm+http://HOST:PORT:MODEL, e.g. vllm+http://127.0.0.1:8000:Qwen/Qwen2.5-0.5B")
    port = f":{match['port']}" if match["port"] else ""
    path = (match["path"] or "").rstrip("/") or "/v1"
    return f"{scheme}://{match['host']}{port}{path}", match["model"]


def from_spec(target: str, given: Mapping[str, str], environ: Mapping[str, str], *,
              scheme: str = "http") -> OpenAIBackend:
    """Build from the target after ``vllm+http:`` (``//HOST:PORT[/v1]:MODEL``) and the spec's options
    (``scheme`` is ``https`` for ``vllm+https:``)."""
    chosen = scheme
    base_url, model = parse_server_spec(target, scheme=chosen)
    spec = spec_text(f"vllm+{chosen}", target, given)
    options = check_options(model, given, _OPTIONS, prefix="vllm+" + chosen)
    structured = options.get("structured", "structured_outputs")
    if structured not in ("json_schema", "structured_outputs", "guided_json"):
        raise UserError(f"option structured={structured!r} in {spec!r} is not known",
                        hint="use structured_outputs (vLLM >= 0.12), guided_json (older) or json_schema")
    api_key = environ.get(options.get("api_key_env") or "VLLM_API_KEY") or "EMPTY"
    return OpenAIBackend(
        model,
        api_key=api_key,
        base_url=base_url,
        timeout=to_float(options, "timeout", 120.0, spec=spec),
        provider="vllm",
        structured=structured,  # type: ignore[arg-type]
        token_param="max_tokens",
    )


def from_spec_https(target: str, given: Mapping[str, str], environ: Mapping[str, str]) -> OpenAIBackend:
    """Build from the target after ``vllm+https:`` and the spec's options."""
    return from_spec(target, given, environ, scheme="https")
