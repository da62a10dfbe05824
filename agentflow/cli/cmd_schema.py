"""``agentflow schema pdl|role``: the JSON Schema of a file format, for editors (YAML language servers)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from agentflow.errors import UserError

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``schema`` subcommand."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "schema", help="print a file format's JSON Schema", description="Print the JSON Schema of PDL or role files."
    )
    p.add_argument("kind", choices=("pdl", "role"))
    p.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace) -> int:
    if args.kind == "pdl":
        from agentflow.pdl.schema import pdl_json_schema

        schema = pdl_json_schema()
    else:
        try:
            from agentflow.roles.spec import RoleSpec
        except ImportError as exc:
            raise UserError("the role file schema is not available in this installation",
                            hint=f"agentflow.roles.spec could not be imported ({exc})") from None  # fmt: skip
        schema = RoleSpec.model_json_schema()
    print(json.dumps(schema, indent=2, ensure_ascii=False))
    return 0
