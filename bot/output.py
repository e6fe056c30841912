"""What the CLI's `--json` options write: one JSON object a line on standard output."""

from __future__ import annotations

import json
import sys


def print_json(data: object) -> None:
    """Print one JSON object on standard output (UTF-8 kept as is, one line)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
