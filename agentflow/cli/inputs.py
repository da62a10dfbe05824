"""A workflow run's inputs from the command line: ``--input KEY=VALUE``, ``--inputs FILE.json``, ``--example``.

``@path`` values are read from the file. A JSON inputs file holds one object (``{"question": ...}``);
``--example`` uses the workflow's own example (``examples/NAME.json`` beside it, bundled in the wheel
for the built-in workflows). ``--input`` items override file values, so an example can be varied one
input at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from agentflow.errors import Location, UserError

__all__ = ["cli_inputs", "example_inputs_path", "parse_input_items", "read_inputs_file"]


def parse_input_items(values: Iterable[str]) -> dict[str, str]:
    """``KEY=VALUE`` items; ``@path`` values are read from the file."""
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--input {item!r} is not KEY=VALUE", hint="write --input question='What is 2+2?'")
        if value.startswith("@"):
            try:
                value = Path(value[1:]).read_text(encoding="utf-8")
            except OSError as exc:
                raise UserError(f"--input {key}: cannot read {value[1:]}: {exc.strerror}") from None
        out[key.strip()] = value
    return out


def read_inputs_file(path: str | Path) -> dict[str, Any]:
    """The JSON object in ``path``; a missing file, bad JSON or a non-object is a located :class:`UserError`."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"--inputs: cannot read {p}: {exc.strerror or exc}",
                        hint="pass a JSON file holding one object of inputs") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"inputs file is not JSON: {exc.msg}", location=Location(str(p), exc.lineno, exc.colno),
                        hint='write one object, e.g. {"question": "What is 2+2?"}') from None
    if not isinstance(data, dict):
        raise UserError(f"inputs file must hold a JSON object, not {type(data).__name__}",
                        location=Location(str(p), 1, 1), hint='write one object, e.g. {"question": "What is 2+2?"}')
    return {str(k): v for k, v in data.items()}


def example_inputs_path(workflow: str | Path) -> Path:
    """The example inputs of ``workflow`` (``examples/NAME.json`` beside the file)."""
    p = Path(workflow)
    candidate = p.parent / "examples" / f"{p.stem}.json"
    if not candidate.is_file():
        raise UserError(f"--example: workflow {p.name} has no example inputs ({candidate} is missing)",
                        hint="give the inputs with --input KEY=VALUE or --inputs FILE.json")
    return candidate


def cli_inputs(args: Any, workflow: str | Path) -> dict[str, Any]:
    """The inputs of ``agentflow run``: the example or ``--inputs`` file first, then ``--input`` items."""
    out: dict[str, Any] = {}
    if getattr(args, "example", False):
        out.update(read_inputs_file(example_inputs_path(workflow)))
    if getattr(args, "inputs", None):
        out.update(read_inputs_file(args.inputs))
    out.update(parse_input_items(getattr(args, "input", None) or []))
    return out
