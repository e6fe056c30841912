"""`newsbot trend NAME [vs NAME …] [--period 30d] [--png FILE] [--json]`: /trend from the shell."""

from __future__ import annotations

import argparse
import sys

from bot.config import Settings
from bot.output import print_json


async def trend_command(args: argparse.Namespace, settings: Settings) -> int:
    """Print the trend (text or --json) and write the chart to --png; exit 1 when a name is
    unknown or there is nothing to chart, 2 when the arguments are wrong."""
    from bot import cpu
    from bot.app import CONSOLE, open_core
    from bot.chat.commands.trend import find_trends, trend_reply
    from bot.chat.console import render_reply
    from bot.digest.chart import render_png

    query = " ".join([*args.name, args.period or ""])
    async with open_core(settings) as core:
        result = await find_trends(core, query, CONSOLE)
    if result.problem:
        print(f"newsbot trend: {result.problem}", file=sys.stderr)
        return 2
    if result.unknown is not None:
        hint = f" Did you mean: {', '.join(result.suggestions)}?" if result.suggestions else ""
        problem = f"I don't know a company called “{result.unknown}”.{hint}"
        print(f"newsbot trend: {problem}", file=sys.stderr)
        return 1
    drawn = any(trend.total for trend in result.trends)
    if args.png is not None and drawn:
        args.png.write_bytes(await cpu.pool().run(render_png, result.trends))
    if args.json:
        print_json(result.to_json())
    else:
        sys.stdout.write(render_reply(await trend_reply(result, draw=False)))
    if args.png is not None:
        where = f"chart written to {args.png}" if drawn else "no chart: nothing to draw"
        print(f"newsbot trend: {where}", file=sys.stderr)
    return 0 if drawn else 1
