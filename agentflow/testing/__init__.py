"""Test backends that ship with agentflow: deterministic, offline, and loud when a script is off."""

from agentflow.testing.backends import FunctionBackend, SchemaBackend, ScriptedBackend
from agentflow.testing.script import ScriptError, ScriptStep, load_script
from agentflow.testing.synth import synthesize

__all__ = [
    "FunctionBackend",
    "SchemaBackend",
    "ScriptError",
    "ScriptStep",
    "ScriptedBackend",
    "load_script",
    "synthesize",
]
