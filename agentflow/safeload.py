"""One bounded loader for every file agentflow reads: text, YAML and JSON with limits and located errors.

Every user-supplied file (PDL, roles, tool files, ``scripted:`` user scripts, profiles, ``--inputs``,
``--input k=@file``, ``--prices``, ``--replay``, eval datasets, ``eval --compare`` reports, checkpoints)
goes through here, so each one gets the same guarantees:

* **bounded**: at most :data:`MAX_FILE_BYTES` per file; YAML and JSON nested at most
  :data:`MAX_DEPTH` levels; YAML aliases may add at most :data:`MAX_ALIAS_NODES` nodes in all (a
  "billion laughs" file of aliases 18 deep is refused at the alias, in linear time, instead of
  expanding to 2^18 nodes);
* **located**: every problem is one :class:`~agentflow.errors.UserError` naming ``path:line:col``
  (missing file, a directory, not UTF-8, NUL bytes, bad YAML/JSON, too deep, too big), so the CLI
  prints one line and exits 2 — never a traceback.

The YAML composer is PyYAML's own (on libyaml's event parser when present) with a count of nodes
and depth in ``compose_node``: one pass, no second parse.

Stdlib and PyYAML only: this is layer 0.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from agentflow.errors import Location, UserError

__all__ = [
    "MAX_ALIAS_NODES",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "check_depth",
    "compose_yaml",
    "construct_yaml",
    "decode_text",
    "load_json",
    "load_yaml",
    "read_json",
    "read_jsonl",
    "read_text",
    "read_yaml",
]

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 100
MAX_ALIAS_NODES = 50_000

def _c_parser() -> Any:
    """libyaml's event parser, when PyYAML was built with it (None otherwise)."""
    try:
        import yaml._yaml as cyaml
    except ImportError:  # pragma: no cover - pure-Python PyYAML
        return None
    return getattr(cyaml, "CParser", None)


_CParser: Any = _c_parser()


def _parser_base() -> type:
    if _CParser is not None:
        return _CParser  # type: ignore[no-any-return]
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _PyParser(Reader, Scanner, Parser):
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)

    return _PyParser


class _Bounded(Exception):
    """Raised inside the composer; carries the message and the mark where the limit was hit."""

    def __init__(self, message: str, mark: Any, hint: str) -> None:
        self.message, self.mark, self.hint = message, mark, hint
        super().__init__(message)


class _BoundedComposer(Composer):
    """PyYAML's composer, counting nodes (aliases expanded) and depth as it goes."""

    def __init__(self) -> None:
        Composer.__init__(self)
        self._depth = 0
        self._count = 0
        self._alias_nodes = 0
        self._sizes: dict[str, int] = {}

    def compose_node(self, parent: Any, index: Any) -> Any:
        events: Any = self  # the event methods come from the parser class mixed in below
        if events.check_event(yaml.AliasEvent):
            event = events.peek_event()
            size = self._sizes.get(event.anchor, 1)
            self._alias_nodes += size
            self._count += size
            if self._alias_nodes > MAX_ALIAS_NODES:
                raise _Bounded(f"YAML aliases expand to more than {MAX_ALIAS_NODES} nodes", event.start_mark,
                               "write the values out, or use fewer nested aliases")  # fmt: skip
            return super().compose_node(parent, index)
        event = events.peek_event()
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Bounded(f"YAML nested more than {MAX_DEPTH} levels deep", event.start_mark, "flatten the data")
        before = self._count
        self._count += 1
        node = super().compose_node(parent, index)
        self._depth -= 1
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self._sizes[anchor] = self._count - before
        return node


def _loader_class() -> type:
    base = _parser_base()

    class _Loader(_BoundedComposer, base, SafeConstructor, Resolver):  # type: ignore[misc, valid-type]
        def __init__(self, stream: str) -> None:
            base.__init__(self, stream)  # type: ignore[misc]
            _BoundedComposer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    return _Loader


_LOADER = _loader_class()


def decode_text(data: bytes, where: str, what: str = "file") -> str:
    """Bytes → text; a located :class:`UserError` for oversized, non-UTF-8 or binary (NUL) input."""
    if len(data) > MAX_FILE_BYTES:
        raise UserError(f"{what} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB", location=Location(where))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise UserError(f"{what} is not UTF-8 text", location=Location(where, line, col),
                        hint="save it as UTF-8") from None  # fmt: skip
    if "\x00" in text:
        raise UserError(f"{what} contains NUL bytes (binary?)", location=_where(where, text, text.index("\x00")))
    return text


def read_text(path: str | Path, what: str = "file", hint: str | None = None) -> str:
    """A file's text, or a located :class:`UserError` (missing, a directory, unreadable, too big, not UTF-8)."""
    p = Path(path)
    where = str(path)
    try:
        if p.is_dir():
            raise UserError(f"{what} is a directory, not a file", location=Location(where), hint=hint)
        if p.is_file() and p.stat().st_size > MAX_FILE_BYTES:
            raise UserError(f"{what} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB", location=Location(where))
        data = p.read_bytes()
    except FileNotFoundError:
        raise UserError(f"cannot read {what}: file not found", location=Location(where),
                        hint=hint or "check the path") from None  # fmt: skip
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise UserError(f"cannot read {what}: {reason}", location=Location(where), hint=hint) from None
    return decode_text(data, where, what)


def compose_yaml(text: str, where: str = "<string>") -> yaml.Node | None:
    """The node tree of one YAML document (None for an empty one), bounded; errors are located."""
    loader = _LOADER(text)
    try:
        return loader.get_single_node()  # type: ignore[no-any-return]
    except _Bounded as exc:
        raise UserError(exc.message, location=_mark(where, exc.mark), hint=exc.hint) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise UserError(f"invalid YAML: {problem}", location=_mark(where, mark), hint=yaml_hint(problem)) from None
    except yaml.YAMLError as exc:
        raise UserError(f"invalid YAML: {exc}", location=Location(where, 1, 1)) from None
    except RecursionError:
        raise UserError("YAML nested too deeply", location=Location(where, 1, 1)) from None
    finally:
        loader.dispose()


def construct_yaml(node: yaml.Node, where: str = "<string>") -> Any:
    """The plain value of a (bounded) node tree; constructor errors are located at the node."""
    loader = _LOADER("")
    try:
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark or node.start_mark
        raise UserError(f"invalid YAML: {exc.problem or exc}", location=_mark(where, mark)) from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        raise UserError(f"invalid YAML: {exc}", location=_mark(where, node.start_mark)) from None
    except RecursionError:
        raise UserError("YAML nested too deeply", location=_mark(where, node.start_mark)) from None


def load_yaml(text: str, where: str = "<string>") -> Any:
    """``yaml.safe_load`` with limits and located errors."""
    node = compose_yaml(text, where)
    return None if node is None else construct_yaml(node, where)


def read_yaml(path: str | Path, what: str = "file", hint: str | None = None) -> Any:
    """Read and parse a YAML file with every limit of this module."""
    return load_yaml(read_text(path, what, hint), str(path))


def load_json(text: str, where: str = "<string>", line: int = 0) -> Any:
    """``json.loads`` with a depth limit and located errors (``line``: the text's first line in a file)."""
    too_deep = False
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"invalid JSON: {exc.msg}", location=Location(where, exc.lineno + max(line - 1, 0), exc.colno),
                        hint=None) from None  # fmt: skip
    except RecursionError:
        value, too_deep = None, True
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise UserError(f"invalid JSON: {exc}", location=Location(where, max(line, 1))) from None
    if too_deep or not _within_depth(value):
        at = _json_too_deep(text)
        loc = _where(where, text, at, line) if at is not None else Location(where, max(line, 1))
        raise UserError(f"JSON nested more than {MAX_DEPTH} levels deep", location=loc, hint="flatten the data")
    return value


def read_json(path: str | Path, what: str = "file", hint: str | None = None) -> Any:
    """Read and parse a JSON file with every limit of this module."""
    return load_json(read_text(path, what, hint), str(path))


def read_jsonl(path: str | Path, what: str = "file", hint: str | None = None) -> list[tuple[int, Any]]:
    """``(line number, value)`` for each non-blank line of a JSON Lines file."""
    text = read_text(path, what, hint)
    return [(i, load_json(ln, str(path), i)) for i, ln in enumerate(text.splitlines(), start=1) if ln.strip()]


def check_depth(value: Any, where: str, what: str = "value") -> None:
    """Refuse a value (already parsed elsewhere) nested more than :data:`MAX_DEPTH` levels."""
    if not _within_depth(value):
        raise UserError(f"{what} nested more than {MAX_DEPTH} levels deep", location=Location(where))


def yaml_hint(problem: str) -> str | None:
    """A fix for the YAML mistakes people make most."""
    if "mapping values are not allowed" in problem:
        return "quote text that contains ': ' or indent it under a '|' block"
    if "found character '\\t'" in problem:
        return "indent with spaces, not tabs"
    if "could not find expected ':'" in problem:
        return "each entry needs `key: value`"
    return None


def _within_depth(value: Any) -> bool:
    """Iterative: True when containers nest at most MAX_DEPTH levels (shared objects visited once)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    seen: set[int] = set()
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list | tuple):
            if depth > MAX_DEPTH:
                return False
            if id(item) in seen:
                continue
            seen.add(id(item))
            children = item.values() if isinstance(item, dict) else item
            stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list | tuple))
    return True


_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def _json_too_deep(text: str) -> int | None:
    """The character offset where JSON nesting first passes MAX_DEPTH (only run on the error path)."""
    depth = 0
    for m in _JSON_TOKENS.finditer(text):
        tok = m.group()
        if tok in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                return m.start()
        elif tok in ("]", "}"):
            depth -= 1
    return None


def _mark(where: str, mark: Any) -> Location:
    return Location(where, mark.line + 1, mark.column + 1) if mark is not None else Location(where, 1, 1)


def _where(where: str, text: str, at: int, first_line: int = 0) -> Location:
    line = text.count("\n", 0, at) + max(first_line, 1)
    col = at - (text.rfind("\n", 0, at) + 1) + 1
    return Location(where, line, col)
