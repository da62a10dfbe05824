"""The keys pdl/SPEC.md marks required: ``Name`` and ``Procedure`` (or ``PDL``), as located errors.

A file without them used to load (an unnamed workflow, an empty procedure); the loader now reports
each missing key once, at the top of the file, unless the file already failed to read.
"""

from __future__ import annotations

import yaml

from agentflow.pdl.yamlsrc import YamlSource

__all__ = ["check_required"]


def check_required(src: YamlSource, root: yaml.Node | None, sections: dict[str, yaml.Node]) -> None:
    """Add an error to ``src`` for each required key ``sections`` lacks (or holds empty)."""
    if root is None or src.diags:
        return
    if "Procedure" not in sections and "PDL" not in sections:
        src.diag("error", root, "no procedure: add a 'Procedure:' (or 'PDL:') block", code="no-procedure")
    name = sections.get("Name")
    if name is None:
        src.diag("error", root, "no name: add 'Name: ...' (the workflow's name, required)", code="no-name")
    elif isinstance(name, yaml.ScalarNode) and not str(name.value).strip():
        src.diag("error", name, "empty Name: give the workflow a name", code="no-name")
