"""The ``agentflow`` command line. Thin: parse arguments, call the SDK, render, map errors to exit codes."""

from agentflow.cli.app import main

__all__ = ["main", "main_exit"]


def main_exit() -> None:
    """Console-script entry: run :func:`main` and exit with its code."""
    import sys

    sys.exit(main())
