"""File → :class:`~agentflow.pdl.document.PdlDocument`: header, declarations, tool file, procedure.

:func:`parse_pdl_text` never raises for problems in the text (they are the document's diagnostics);
:func:`load_pdl` reads a file, finds its FlowAgent tool file, runs the checker and raises one
:class:`~agentflow.errors.UserError` (``path:line:col: error: ...``) when there are errors.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from agentflow.errors import Location
from agentflow.pdl.ast import Block, Span
from agentflow.pdl.diagnostics import Diagnostic, raise_for
from agentflow.pdl.document import (
    AnswerDecl,
    ApiDecl,
    IoDecl,
    PdlDocument,
    RoleDecl,
    SlotDecl,
    ValueCondition,
    condition_api,
    name_key,
)
from agentflow.pdl.expr import ExprSyntaxError, parse_expr
from agentflow.pdl.lines import LineMap
from agentflow.pdl.parser import parse_procedure
from agentflow.pdl.required import check_required
from agentflow.pdl.scalarlines import joined_lines, scalar_line_starts
from agentflow.pdl.toolfile import ToolEntry, read_tool_entries, tool_from_mapping
from agentflow.pdl.yamlsrc import YamlSource, decode_source

__all__ = ["KNOWN_KEYS", "ensure_loaded", "find_tools_file", "load_pdl", "parse_file", "parse_pdl_text", "read_text"]

KNOWN_KEYS = ("Name", "Desc", "Detailed_desc", "SLOTs", "APIs", "ANSWERs", "Procedure", "PDL", "Inputs", "Outputs",
              "ROLEs")  # fmt: skip
_CANON = {k.lower(): k for k in KNOWN_KEYS}
_CANON.update({"roles": "ROLEs", "detailed_description": "Detailed_desc", "description": "Desc"})
_ITEM_KEYS = {
    "SLOTs": ("name", "desc", "type", "available_types", "required"),
    "APIs": ("name", "desc", "description", "request", "response", "precondition", "preconditions", "parameters",
             "returns", "url", "method", "idempotent", "secret_fields"),
    "ANSWERs": ("name", "desc", "description", "precondition", "preconditions"),
    "Inputs": ("name", "type", "desc", "description", "default", "required"),
    "Outputs": ("name", "type", "desc", "description", "default", "required"),
    "ROLEs": ("name", "desc", "description", "file", "output"),
}  # fmt: skip
_COND_CHARS = re.compile(r"==|!=|<=|>=|[<>]|\bnot\b|\band\b|\bor\b|\bin\b|\.")


def read_text(path: str | Path) -> tuple[str | None, Diagnostic | None]:
    """A file's text, or a located diagnostic (missing, unreadable, binary, too big)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        return None, Diagnostic("error", "file not found", Location(str(path)), code="io")
    except OSError as exc:
        return None, Diagnostic("error", f"cannot read file: {exc.strerror or exc}", Location(str(path)), code="io")
    return decode_source(data, str(path))


def find_tools_file(path: str | Path) -> Path | None:
    """FlowAgent's layout: ``<set>/pdl/NNN.yaml`` pairs with ``<set>/tools/NNN.yaml``."""
    p = Path(path)
    if p.parent.name == "pdl":
        candidate = p.parent.parent / "tools" / p.name
        if candidate.is_file():
            return candidate
    return None


def load_pdl(
    path: str | Path, tools_spec: str | Path | None = None, *, known_roles: set[str] | None = None
) -> PdlDocument:
    """Read, parse and check a PDL file; raise :class:`UserError` for the first error.

    Args:
        path: the PDL file.
        tools_spec: a tool file to merge (default: the FlowAgent sibling ``../tools/NNN.yaml``).
        known_roles: role names a ``ROLE.x(...)`` call may use (None: do not check role names).

    Returns:
        The document; its ``diagnostics`` hold every warning (and no errors).
    """
    from agentflow.pdl.checker import check

    doc = parse_file(path, tools_spec)
    diags = check(doc, known_roles=known_roles)
    raise_for(diags)
    return doc.with_diagnostics(diags)


def parse_file(path: str | Path, tools_spec: str | Path | None = None) -> PdlDocument:
    """Read and parse a file without checking it; unreadable files raise :class:`UserError`.

    A bare name of a built-in workflow (``multi_critic``) that is not a file here loads the built-in.
    """
    from agentflow.pdl.builtin import builtin_workflow_names, resolve_workflow_path

    path = resolve_workflow_path(path)
    text, problem = read_text(path)
    if text is None:
        assert problem is not None
        if problem.code == "io" and not path.exists():
            names = ", ".join(builtin_workflow_names())
            problem = replace(problem, hint=f"check the path; built-in workflows run by name: {names}")
        raise problem.to_user_error()
    tools = Path(tools_spec) if tools_spec is not None else find_tools_file(path)
    tool_text: str | None = None
    if tools is not None:
        tool_text, tproblem = read_text(tools)
        if tool_text is None:
            assert tproblem is not None
            raise tproblem.to_user_error()
    return parse_pdl_text(text, str(path), tools_text=tool_text, tools_path=None if tools is None else str(tools))


def parse_pdl_text(
    text: str, path: str = "<string>", *, tools_text: str | None = None, tools_path: str | None = None
) -> PdlDocument:
    """Parse PDL text (and optionally a tool file's text) into a document; problems go to ``diagnostics``."""
    try:
        return _Builder(text, path, tools_text, tools_path).build()
    except RecursionError:
        diag = Diagnostic("error", "file is nested too deeply to read", Location(path, 1, 1), code="depth")
        return PdlDocument(name="", path=path, source=text, procedure=Block((), Span(path, 1, 1, 1, 1)),
                           diagnostics=(diag,))  # fmt: skip


class _Builder:
    def __init__(self, text: str, path: str, tools_text: str | None, tools_path: str | None) -> None:
        self.text = text
        self.path = path
        self.src = YamlSource(text, path)
        self.tools_src = YamlSource(tools_text, tools_path or "<tools>") if tools_text is not None else None
        self.tools_path = tools_path
        self.fields: dict[str, Any] = {}
        self.diags: list[Diagnostic] = []

    def build(self) -> PdlDocument:
        root = self.src.root
        procedure = Block((), Span(self.path, 1, 1, 1, 1))
        proc_key, proc_span = "Procedure", None
        if root is None and not self.src.diags:
            self.src.diag("error", None, "empty file", "a PDL file is a mapping with Name, Desc, APIs, ANSWERs, "
                          "Procedure", "empty")  # fmt: skip
        sections: dict[str, yaml.Node] = {}
        if root is not None:
            for key, knode, vnode in self.src.mapping(root, "the file"):
                canon = _CANON.get(key.lower())
                if canon is None:
                    close = difflib.get_close_matches(key, KNOWN_KEYS, n=1, cutoff=0.6)
                    hint = f"did you mean {close[0]}?" if close else f"known keys: {', '.join(KNOWN_KEYS)}"
                    self.src.diag("warning", knode, f"unknown key '{key}' (ignored)", hint, "unknown-key")
                    continue
                if canon in ("Procedure", "PDL") and ("Procedure" in sections or "PDL" in sections):
                    self.src.diag("error", knode, "both 'PDL' and 'Procedure' given", "keep one", "duplicate-key")
                    continue
                sections[canon] = vnode
                if canon in ("Procedure", "PDL"):
                    proc_key = canon
                    proc_span = self.src.span(knode)
        check_required(self.src, root, sections)  # Name and Procedure (pdl/SPEC.md §1)
        proc_node = sections.get(proc_key)
        if proc_node is not None:
            procedure = self.procedure(proc_node)
        tool_entries = read_tool_entries(self.tools_src) if self.tools_src is not None else []
        slots = tuple(self.slot(n) for n in self.items(sections, "SLOTs"))
        apis = self.apis(self.items(sections, "APIs"), tool_entries)
        answers = tuple(self.answer(n, apis) for n in self.items(sections, "ANSWERs"))
        diags = self.src.diags + (self.tools_src.diags if self.tools_src else []) + self.diags
        return PdlDocument(
            name=self.src.text_of(sections.get("Name"), "Name").strip(),
            path=self.path,
            source=self.text,
            procedure=procedure,
            desc=self.src.text_of(sections.get("Desc"), "Desc").strip(),
            detailed_desc=self.src.text_of(sections.get("Detailed_desc"), "Detailed_desc").strip(),
            slots=slots,
            apis=apis,
            answers=answers,
            inputs=tuple(self.io(n) for n in self.items(sections, "Inputs")),
            outputs=tuple(self.io(n) for n in self.items(sections, "Outputs")),
            roles=tuple(self.role(n) for n in self.items(sections, "ROLEs")),
            procedure_key=proc_key,
            procedure_span=proc_span,
            tools_path=self.tools_path,
            diagnostics=tuple(diags),
        )

    # -- procedure -------------------------------------------------------------------------------
    def procedure(self, node: yaml.Node) -> Block:
        if isinstance(node, yaml.SequenceNode):  # a list of lines
            lines: list[str] = []
            starts: list[tuple[int, int]] = []
            for item in node.value:
                text = self.src.text_of(item, "a procedure line")
                lines.append(text)
                starts.append((item.start_mark.line + 1, item.start_mark.column))
            block, diags = parse_procedure(lines, LineMap(self.path, tuple(starts)))
        elif isinstance(node, yaml.ScalarNode):
            value = self.src.text_of(node, "the procedure")
            lines = value.split("\n")
            self._warn_if_folded(node, lines)
            block, diags = parse_procedure(lines, LineMap(self.path, scalar_line_starts(self.text, node, lines)))
        else:
            self.src.diag("error", node, "the procedure must be text (use 'Procedure: |' and indent it)",
                          code="type")  # fmt: skip
            return Block((), self.src.span(node))
        self.diags += diags
        return block

    def _warn_if_folded(self, node: yaml.ScalarNode, lines: list[str]) -> None:
        """Folded (``>``) and plain scalars join their source lines: the procedure loses its line breaks."""
        if joined_lines(self.text, node, lines):
            how = "folded ('>')" if node.style == ">" else "plain"
            self.src.diag("warning", node, f"the procedure is a {how} YAML scalar: YAML joined its lines",
                          "write 'Procedure: |' so that each line stays a line", code="folded-procedure")

    # -- declarations ----------------------------------------------------------------------------
    def items(self, sections: dict[str, yaml.Node], key: str) -> list[tuple[dict[str, yaml.Node], yaml.Node]]:
        """The entries of a list section: each entry's fields (by key) and its node."""
        node = sections.get(key)
        if node is None:
            return []
        out: list[tuple[dict[str, yaml.Node], yaml.Node]] = []
        if key in ("ROLEs", "Inputs", "Outputs") and isinstance(node, yaml.MappingNode):
            # short form: ``Inputs: {task: str}`` / ``ROLEs: {judge: roles/judge.yaml}``
            for name, knode, vnode in self.src.mapping(node, key):
                other = "file" if key == "ROLEs" else "type"
                fake = yaml.ScalarNode("tag:yaml.org,2002:str", name, knode.start_mark, knode.end_mark)
                out.append(({"name": fake, other: vnode}, knode))
            return out
        allowed = _ITEM_KEYS[key]
        for item in self.src.sequence(node, key):
            if isinstance(item, yaml.ScalarNode) and key in ("ROLEs", "ANSWERs", "APIs"):
                out.append(({"name": item}, item))  # ``- judge`` short form
                continue
            fields: dict[str, yaml.Node] = {}
            for k, knode, vnode in self.src.mapping(item, f"an entry of {key}"):
                kl = k.lower()
                if kl not in allowed:
                    close = difflib.get_close_matches(kl, allowed, n=1, cutoff=0.6)
                    hint = f"did you mean {close[0]}?" if close else f"allowed: {', '.join(allowed)}"
                    self.src.diag("warning", knode, f"unknown field '{k}' in {key} (ignored)", hint, "unknown-key")
                    continue
                fields[kl] = vnode
            if isinstance(item, yaml.MappingNode):
                if "name" not in fields:
                    self.src.diag("error", item, f"an entry of {key} has no 'name'", code="missing-name")
                    continue
                out.append((fields, item))
        return out

    def _name(self, fields: dict[str, yaml.Node], what: str) -> tuple[str, Span]:
        node = fields["name"]
        return self.src.text_of(node, f"a {what} name").strip(), self.src.span(node)

    def _desc(self, fields: dict[str, yaml.Node]) -> str:
        node = fields.get("desc", fields.get("description"))
        return self.src.text_of(node, "desc").strip() if node is not None else ""

    def _names(self, node: yaml.Node | None, what: str) -> list[tuple[str, yaml.Node]]:
        if node is None:
            return []
        if isinstance(node, yaml.ScalarNode):
            text = self.src.text_of(node, what)
            return [(text, node)] if text.strip() else []
        return [(self.src.text_of(n, f"an item of {what}").strip(), n) for n in self.src.sequence(node, what)]

    def slot(self, entry: tuple[dict[str, yaml.Node], yaml.Node]) -> SlotDecl:
        fields, _ = entry
        name, span = self._name(fields, "slot")
        typ = self.src.text_of(fields["type"], "type").strip() if "type" in fields else None
        avail = fields.get("available_types")
        values: list[str] = []
        if avail is not None and isinstance(avail, yaml.ScalarNode):
            values = [v.strip() for v in re.split(r"[,，、]", self.src.text_of(avail, "available_types")) if v.strip()]
        elif avail is not None:
            values = [t for t, _ in self._names(avail, "available_types")]
        return SlotDecl(name, span, self._desc(fields), typ or None, tuple(values))

    def apis(
        self, entries: list[tuple[dict[str, yaml.Node], yaml.Node]], tools: list[ToolEntry]
    ) -> tuple[ApiDecl, ...]:
        by_key = {name_key(t.spec.name): t for t in tools}
        api_names = {self._name(f, "API")[0] for f, _ in entries} | {t.spec.name for t in tools}
        out: list[ApiDecl] = []
        used: set[str] = set()
        for fields, node in entries:
            name, span = self._name(fields, "API")
            tool_entry = by_key.get(name_key(name))
            tool = tool_entry.spec if tool_entry else None
            if tool is None and any(k in fields for k in ("parameters", "request", "response", "url")):
                tool = self._inline_tool(name, fields, node)
            if tool_entry:
                used.add(name_key(name))
            request = (
                tuple(t for t, _ in self._names(fields.get("request"), "request"))
                if _is_list(fields, "request")
                else ()
            )
            response = (
                tuple(t for t, _ in self._names(fields.get("response"), "response"))
                if _is_list(fields, "response")
                else ()
            )
            names, values, spans = self._preconditions(fields, api_names)
            out.append(ApiDecl(name, span, self._desc(fields) or (tool.description if tool else ""), tool, names,
                               values, request, response, tool_entry.span if tool_entry else None,
                               spans))  # fmt: skip
        for t in tools:  # tools declared only in the tool file still count as declared
            if name_key(t.spec.name) not in used:
                out.append(ApiDecl(t.spec.name, t.span, t.spec.description, t.spec, tool_span=t.span))
        return tuple(out)

    def _inline_tool(self, name: str, fields: dict[str, yaml.Node], node: yaml.Node) -> Any:
        data = {k: self.src.value(v) for k, v in fields.items() if k not in ("precondition", "preconditions")}
        if _is_list(fields, "request") or _is_list(fields, "response"):
            req = (
                [str(x) for x in data.get("request") or [] if isinstance(x, str | int)]
                if _is_list(fields, "request")
                else []
            )
            res = (
                [str(x) for x in data.get("response") or [] if isinstance(x, str | int)]
                if _is_list(fields, "response")
                else []
            )
            data["parameters"] = data.get("parameters") or {"type": "object", "properties": {r: {} for r in req}}
            data["response"] = {"type": "object", "properties": {r: {} for r in res}}
            data.pop("request", None)
        data["name"] = name
        result = tool_from_mapping(data)
        return result[0] if result else None

    def _preconditions(
        self, fields: dict[str, yaml.Node], api_names: set[str]
    ) -> tuple[tuple[str, ...], tuple[ValueCondition, ...], tuple[Span, ...]]:
        """Named preconditions (with their spans) and value conditions."""
        node = fields.get("precondition", fields.get("preconditions"))
        names: list[str] = []
        spans: list[Span] = []
        values: list[ValueCondition] = []
        keys = {name_key(a) for a in api_names}
        for text, item in self._names(node, "precondition"):
            if not text or name_key(text) in keys or not _COND_CHARS.search(text):
                if text:
                    names.append(text)
                    spans.append(self.src.span(item))
                continue
            try:
                expr = parse_expr(text)
            except ExprSyntaxError:
                names.append(text)  # the checker reports it as an unknown name
                spans.append(self.src.span(item))
                continue
            values.append(ValueCondition(text, self.src.span(item), expr, condition_api(expr, api_names)))
        return tuple(names), tuple(values), tuple(spans)

    def answer(self, entry: tuple[dict[str, yaml.Node], yaml.Node], apis: tuple[ApiDecl, ...]) -> AnswerDecl:
        fields, _ = entry
        name, span = self._name(fields, "ANSWER")
        names, values, spans = self._preconditions(fields, {a.name for a in apis})
        return AnswerDecl(name, span, self._desc(fields), names, values, spans)

    def io(self, entry: tuple[dict[str, yaml.Node], yaml.Node]) -> IoDecl:
        fields, _ = entry
        name, span = self._name(fields, "input/output")
        typ = self.src.text_of(fields["type"], "type").strip() if "type" in fields else "str"
        default = self.src.value(fields["default"]) if "default" in fields else None
        required = "default" not in fields
        if "required" in fields:
            required = bool(self.src.value(fields["required"]))
        return IoDecl(name, span, typ or "str", self._desc(fields), required, default)

    def role(self, entry: tuple[dict[str, yaml.Node], yaml.Node]) -> RoleDecl:
        fields, _ = entry
        name, span = self._name(fields, "role")
        file = self.src.text_of(fields["file"], "file").strip() if "file" in fields else None
        output = self.src.text_of(fields["output"], "output").strip() if "output" in fields else None
        return RoleDecl(name, span, self._desc(fields), file or None, output or None)


def _is_list(fields: dict[str, yaml.Node], key: str) -> bool:
    return isinstance(fields.get(key), yaml.SequenceNode)


def ensure_loaded(doc: PdlDocument) -> PdlDocument:
    """Raise for parse errors already in ``doc.diagnostics`` (used by callers that parse text)."""
    raise_for(list(doc.diagnostics))
    return doc
