"""`newsbot eval NAME`: run an evaluation over a ../shared/eval set and print its figures."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import bot


def default_data_dir() -> Path:
    """../shared/eval from the project root (the folder above bot/)."""
    return Path(bot.__file__).resolve().parents[1].parent / "shared" / "eval"


def _runner(name: str):  # type: ignore[no-untyped-def]
    if name == "extraction":
        from bot.eval.extraction import run
    elif name == "feeds":
        from bot.eval.feeds import run
    elif name == "extraction-en":
        from bot.eval.extraction_en import run
    elif name == "summaries":
        from bot.eval.summaries import run
    elif name == "quotes":
        from bot.eval.quotes import run
    elif name == "clusters":
        from bot.eval.clusters import run
    elif name == "ask":
        from bot.eval.ask import run
    else:
        raise ValueError(f"unknown evaluation {name!r}")
    return run


def run_eval(name: str, data_dir: Path | None, as_json: bool) -> int:
    """Run one evaluation; print one JSON object with --json, else a table."""
    folder = data_dir or default_data_dir()
    if not folder.exists():
        print(
            f"newsbot eval: no evaluation data at {folder}; pass --data DIR "
            "(the folder that holds extraction/, feeds/, ...)",
            file=sys.stderr,
        )
        return 2
    try:
        result = _runner(name)(folder)
    except FileNotFoundError as exc:
        print(f"newsbot eval: {exc}", file=sys.stderr)
        return 2
    for failure in result.pop("failures", []):
        print(f"newsbot eval: {failure}", file=sys.stderr)
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(format_table(result))
    return 0


def format_table(result: dict[str, Any]) -> str:
    """The systems' figures as an aligned text table."""
    systems: dict[str, dict[str, Any]] = result["systems"]
    figures = list(dict.fromkeys(k for fig in systems.values() for k in fig))
    width = max(len(s) for s in systems) + 2
    cols = [max(10, len(f)) + 2 for f in figures]
    lines = [
        f"{result['set']}: {result['items']} items; metric: {result['metric']}",
        "system".ljust(width) + "".join(f"{f:>{c}}" for f, c in zip(figures, cols, strict=True)),
    ]
    for system, values in systems.items():
        cells = "".join(f"{_cell(values.get(f)):>{c}}" for f, c in zip(figures, cols, strict=True))
        lines.append(system.ljust(width) + cells)
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)
