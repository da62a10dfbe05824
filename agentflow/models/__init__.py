"""Model backends composed for a run: a spec parsed once (:class:`BackendSpec`), the choice of backend
per role (:class:`BackendChoice`, default key ``"*"``), the provider table (:class:`Providers`), the
one stack builder (:func:`build_stack`) and the run's models (:class:`RunModels`, one ``resolve`` for
guided and executed runs). Layer: above ``backends`` and ``testing``, below the engines and runner."""

from agentflow.models.choice import DEFAULT, BackendArg, BackendChoice
from agentflow.models.options import ModelOptions
from agentflow.models.providers import BuildContext, Providers, build_backend, default_spec
from agentflow.models.resolve import RoleBackends
from agentflow.models.run import ModelStack, RunModels
from agentflow.models.spec import BackendSpec, parse_spec
from agentflow.models.stack import build_stack, retry_policy

__all__ = [
    "DEFAULT",
    "BackendArg",
    "BackendChoice",
    "BackendSpec",
    "BuildContext",
    "ModelOptions",
    "ModelStack",
    "Providers",
    "RoleBackends",
    "RunModels",
    "build_backend",
    "build_stack",
    "default_spec",
    "parse_spec",
    "retry_policy",
]
