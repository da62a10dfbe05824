"""Declarative roles: ``roles/*.yaml`` specs, their loader, and calling them with typed output.

Quick use::

    from agentflow.roles import RoleLibrary, call_role
    verdict = await call_role("judge", backend, question=q, candidate=a)
"""

from agentflow.roles.call import RoleResult, call_role, call_role_sync, invoke_role, parse_output
from agentflow.roles.loader import Role, RoleLibrary, builtin_roles_dir, load_role_file
from agentflow.roles.spec import FieldSpec, ModelSettings, OutputSchema, RepairPolicy, RoleSpec
from agentflow.roles.tooluse import RoleTool
from agentflow.roles.types import BUILTIN_KINDS, TypeRegistry

__all__ = [
    "BUILTIN_KINDS",
    "FieldSpec",
    "ModelSettings",
    "OutputSchema",
    "RepairPolicy",
    "Role",
    "RoleLibrary",
    "RoleResult",
    "RoleSpec",
    "RoleTool",
    "TypeRegistry",
    "builtin_roles_dir",
    "call_role",
    "call_role_sync",
    "invoke_role",
    "load_role_file",
    "parse_output",
]
