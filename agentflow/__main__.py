"""``python -m agentflow`` runs the CLI."""

import sys

from agentflow.cli import main

sys.exit(main())
