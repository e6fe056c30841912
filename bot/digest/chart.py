"""Trend charts as PNG: one company's stories and sources per day, or up to four companies side
by side. Rendered with matplotlib's Agg backend (no display), about 1000 x 500 px, large type
for a phone screen, no chart junk. CPU work: callers run it in the CPU pool (bot/cpu.py)."""

from __future__ import annotations

import io
from datetime import date
from functools import cache
from pathlib import Path

from bot.digest.trend import Trend

WIDTH_IN, HEIGHT_IN, DPI = 10.0, 5.0, 100  # 1000 x 500 px
LABEL_CHARS = 38
COLOURS = ("#2563eb", "#dc2626", "#059669", "#d97706")  # blue, red, green, amber
INK, GRID = "#1f2937", "#e5e7eb"
_STYLE = {
    "font.size": 15,
    "axes.titlesize": 19,
    "axes.titleweight": "bold",
    "text.parse_math": False,  # titles are outside text: "$5bn … $2bn" is not TeX math
}
# DejaVu Sans (matplotlib's own) has Latin, Greek, Cyrillic, Arabic and Hebrew letters but no
# Chinese, Japanese or Korean: "华为" or a Japanese headline would be drawn as empty boxes. Glyphs
# it lacks come from the first of these fonts installed (the image and `make test` install
# fonts-wqy-microhei); they are registered by path, as matplotlib's font cache may predate them.
CJK_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
)


def render_png(trends: list[Trend]) -> bytes:
    """The chart of one trend (stories as bars, sources as a line, peaks labelled) or of several
    (stories per day as one line each) as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib import pyplot as plt

    with plt.rc_context({**_STYLE, "font.family": font_families()}):
        fig, ax = plt.subplots(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
        try:
            days = [d.day for d in trends[0].days]
            xs = list(range(len(days)))
            if len(trends) == 1:
                _single(ax, trends[0], xs)
            else:
                _several(ax, trends, xs)
            _axes(ax, days, xs)
            fig.tight_layout()
            out = io.BytesIO()
            fig.savefig(out, format="png", dpi=DPI)
            return out.getvalue()
        finally:
            plt.close(fig)


@cache
def font_families() -> list[str]:
    """DejaVu Sans, then the first CJK font installed (see CJK_FONTS) for what it lacks."""
    import logging

    from matplotlib import font_manager

    # The CJK fonts have no bold face: matplotlib says so on every bold title, and uses regular.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    for path in CJK_FONTS:
        if path.is_file():
            font_manager.fontManager.addfont(str(path))
            return ["DejaVu Sans", font_manager.FontProperties(fname=str(path)).get_name()]
    return ["DejaVu Sans"]


def _single(ax, trend: Trend, xs: list[int]) -> None:  # type: ignore[no-untyped-def]
    stories = [d.stories for d in trend.days]
    sources = [d.sources for d in trend.days]
    ax.bar(xs, stories, color=COLOURS[0], width=0.8, label="stories")
    ax.plot(xs, sources, color=INK, linewidth=2, marker="o", markersize=3, label="sources")
    ax.set_title(f"{trend.company} in the news, last {len(xs)} days", loc="left", color=INK)
    top = max([*stories, *sources, 1])
    ax.set_ylim(0, top * 1.45)
    index = {d.day: i for i, d in enumerate(trend.days)}
    for n, peak in enumerate(trend.peaks):
        x = index[peak.day]
        # Labels of neighbouring peaks would overlap: stagger them in height.
        y = stories[x] + top * (0.08 + 0.14 * (n % 2))
        ax.annotate(
            _short(peak.title),
            xy=(x, stories[x]),
            xytext=(x, y),
            ha=_align(x, len(xs)),
            fontsize=13,
            color=INK,
            arrowprops={"arrowstyle": "-", "color": "#9ca3af"},
        )
    handles, labels = ax.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: labels[i] != "stories")
    ax.legend(
        [handles[i] for i in order],
        [labels[i] for i in order],
        loc="upper left",
        frameon=False,
        ncols=2,
        fontsize=13,
    )


def _several(ax, trends: list[Trend], xs: list[int]) -> None:  # type: ignore[no-untyped-def]
    top = 1
    for colour, trend in zip(COLOURS, trends, strict=False):
        counts = [d.stories for d in trend.days]
        top = max(top, *counts)
        ax.plot(xs, counts, color=colour, linewidth=2.5, label=f"{trend.company} ({trend.total})")
    names = " vs ".join(t.company for t in trends)
    ax.set_title(f"{names}: stories per day, last {len(xs)} days", loc="left", color=INK)
    ax.set_ylim(0, top * 1.3)
    ax.legend(loc="upper left", frameon=False, ncols=min(4, len(trends)), fontsize=13)


def _axes(ax, days: list[date], xs: list[int]) -> None:  # type: ignore[no-untyped-def]
    step = 1 if len(days) <= 7 else 7 if len(days) <= 31 else 14
    ticks = xs[::-1][::step][::-1]  # always label today, the right edge
    fmt = "%a %-d" if step == 1 else "%-d %b"
    ax.set_xticks(ticks, [days[i].strftime(fmt) for i in ticks])
    ax.set_xlim(-0.7, len(xs) - 0.3)
    ax.yaxis.get_major_locator().set_params(integer=True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color("#9ca3af")
    ax.tick_params(colors=INK, length=0)
    ax.grid(axis="y", color=GRID)
    ax.set_axisbelow(True)


def _short(title: str) -> str:
    title = " ".join(title.split())
    return title if len(title) <= LABEL_CHARS else title[: LABEL_CHARS - 1].rstrip() + "…"


def _align(x: int, width: int) -> str:
    """Labels near an edge grow inwards, so they stay inside the picture."""
    if x < width * 0.25:
        return "left"
    return "right" if x > width * 0.75 else "center"
