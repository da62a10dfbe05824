"""YAML with positions: read a file's node tree so every value keeps its line and column.

PyYAML's composer gives nodes with start/end marks; :class:`YamlSource` converts them to plain values
on demand and reports problems (syntax errors, duplicate keys, wrong types) as diagnostics at the
right place, never as exceptions.
"""

from __future__ import annotations

from typing import Any

import yaml

from agentflow.errors import Location, UserError
from agentflow.pdl.ast import Span
from agentflow.pdl.diagnostics import Diagnostic, Severity
from agentflow.safeload import MAX_FILE_BYTES, compose_yaml, decode_text

__all__ = ["MAX_FILE_BYTES", "YamlSource", "decode_source"]

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def decode_source(data: bytes, path: str) -> tuple[str | None, Diagnostic | None]:
    """Bytes → text, or a located diagnostic for binary / non-UTF-8 / oversized input."""
    try:
        return decode_text(data, path), None
    except UserError as exc:
        code = "encoding" if "UTF-8" in exc.message or "NUL" in exc.message else "io"
        return None, Diagnostic("error", exc.message, exc.location or Location(path), hint=exc.hint, code=code)


class YamlSource:
    """One YAML file's node tree plus the diagnostics found while reading it."""

    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.diags: list[Diagnostic] = []
        self.root: yaml.Node | None = None
        try:
            self.root = compose_yaml(text, path)  # bounded: depth and alias expansion (agentflow.safeload)
        except UserError as exc:
            message = exc.message.replace("invalid YAML: ", "YAML: ", 1)
            self.diags.append(Diagnostic("error", message, exc.location or Location(path, 1, 1), hint=exc.hint,
                                         code="yaml"))  # fmt: skip
        self._constructor = _Loader("")

    def span(self, node: yaml.Node) -> Span:
        s, e = node.start_mark, node.end_mark
        return Span(self.path, s.line + 1, s.column + 1, e.line + 1, e.column + 1)

    def diag(
        self, severity: Severity, node: yaml.Node | None, message: str, hint: str | None = None, code: str = ""
    ) -> None:
        if node is None:
            loc = Location(self.path, 1, 1)
            length = 1
        else:
            sp = self.span(node)
            loc = sp.location
            length = sp.end_col - sp.col if sp.end_line == sp.line else 1
        self.diags.append(Diagnostic(severity, message, loc, hint, max(length, 1), code))

    def value(self, node: yaml.Node) -> Any:
        """The plain Python value of a node (None, with an error, when it cannot be built)."""
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            self.diag("error", node, f"YAML: {getattr(exc, 'problem', None) or exc}", code="yaml")
        except RecursionError:
            self.diag("error", node, "YAML nested too deeply", code="yaml")
        return None

    def mapping(self, node: yaml.Node, what: str) -> list[tuple[str, yaml.Node, yaml.Node]]:
        """``(key, key_node, value_node)`` of a mapping node; an error (and nothing) for other kinds.

        Duplicate keys are errors (YAML loaders silently keep the last one, hiding a mistake).
        """
        if not isinstance(node, yaml.MappingNode):
            self.diag("error", node, f"{what} must be a mapping (key: value), not {_kind(node)}", code="type")
            return []
        out: list[tuple[str, yaml.Node, yaml.Node]] = []
        seen: dict[str, yaml.Node] = {}
        for knode, vnode in node.value:
            if not isinstance(knode, yaml.ScalarNode):
                self.diag("error", knode, f"a key in {what} must be text", code="type")
                continue
            key = str(knode.value).strip()
            if key in seen:
                first = self.span(seen[key])
                self.diag("error", knode, f"duplicate key '{key}' in {what} (first at line {first.line})",
                          "remove one of them", "duplicate-key")  # fmt: skip
                continue
            seen[key] = knode
            out.append((key, knode, vnode))
        return out

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        """The items of a sequence node; an empty value is an empty list; other kinds are errors."""
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        if isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null", "[]"):
            return []
        self.diag("error", node, f"{what} must be a list (lines starting with '- '), not {_kind(node)}", code="type")
        return []

    def text_of(self, node: yaml.Node | None, what: str) -> str:
        """A scalar as text ("" for null); an error for mappings and lists."""
        if node is None:
            return ""
        if not isinstance(node, yaml.ScalarNode):
            self.diag("error", node, f"{what} must be text, not {_kind(node)}", code="type")
            return ""
        value = self.value(node)
        return "" if value is None else str(value)


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return f"the text {str(node.value)[:40]!r}" if node.value not in ("", "~", "null") else "empty"
