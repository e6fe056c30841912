"""The status page as HTML: server-rendered, no script, readable on a phone.

Every text from outside (feed titles and errors, story titles, chat keys) is escaped here.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from bot.web.status import StatusView

STYLE = """
body{font:16px/1.45 system-ui,sans-serif;margin:0;color:#1f2937;background:#f9fafb}
main{max-width:960px;margin:auto;padding:12px}
h1{font-size:1.4em;margin:.4em 0}h2{font-size:1.15em;margin:1.2em 0 .4em}
.cards{display:flex;flex-wrap:wrap;gap:8px}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:8px 12px;min-width:130px}
.card b{display:block;font-size:1.5em}
.bad{color:#b91c1c}.ok{color:#047857}.muted{color:#6b7280}
.wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e5e7eb;vertical-align:top}
td.err{color:#b91c1c;word-break:break-word}
"""


def render_status(view: StatusView) -> str:
    """The whole page."""
    failing = view.failing_feeds
    pending = view.outbox.get("pending", 0) + view.outbox.get("sending", 0)
    failed = view.outbox.get("failed", 0)
    cards = [
        _card("feeds", f"{len(view.feeds)}", f"{len(failing)} failing", bad=bool(failing)),
        _card("stories, 24 h", f"{len(view.stories)}", _buckets(view)),
        _card("chats", f"{len(view.chats)}", f"{sum(c.paused for c in view.chats)} paused"),
        _card("digest parts", f"{pending}", f"waiting; {failed} failed", bad=bool(failed)),
        _card("LLM tokens today", f"{view.tokens_used:,}", _budget(view)),
    ]
    body = [
        f"<h1>newsbot status</h1><p class=muted>as of {_when(view.now)}</p>",
        f"<div class=cards>{''.join(cards)}</div>",
        _feeds(view),
        _stories(view),
        _chats(view),
        _parts(view),
    ]
    if view.jobs:
        body.append(_jobs(view))
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>newsbot status</title><style>{STYLE}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>"
    )


def _card(label: str, value: str, note: str, *, bad: bool = False) -> str:
    cls = " class=bad" if bad else ""
    return (
        f"<div class=card>{escape(label)}<b>{escape(value)}</b>"
        f"<span{cls}>{escape(note)}</span></div>"
    )


def _buckets(view: StatusView) -> str:
    several = sum(n for k, n in view.by_sources.items() if k != "1")
    return f"{several} told by 2+ outlets"


def _budget(view: StatusView) -> str:
    if not view.llm_enabled:
        return "LLM off: built-in summaries"
    share = 100 * view.tokens_used / view.token_budget if view.token_budget else 100
    return f"of {view.token_budget:,} ({share:.0f}%)"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def _table(title: str, head: list[str], rows: list[str], empty: str) -> str:
    if not rows:
        return f"<h2>{escape(title)}</h2><p class=muted>{escape(empty)}</p>"
    ths = "".join(f"<th>{escape(h)}</th>" for h in head)
    return (
        f"<h2>{escape(title)}</h2><div class=wrap><table><thead><tr>{ths}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _feeds(view: StatusView) -> str:
    rows = []
    for feed in sorted(view.feeds, key=lambda f: (-f.error_count, f.url)):
        name = f"{escape(feed.title)}<br>" if feed.title else ""
        state = (
            f"<td class=err>{escape(feed.last_error or '')} ({feed.error_count}×)</td>"
            if feed.error_count and feed.last_error
            else "<td class=ok>ok</td>"
        )
        due = "due now" if feed.next_check_at is None else _when(feed.next_check_at)
        rows.append(
            f"<tr><td>{name}<span class=muted>{escape(feed.url)}</span></td>{state}"
            f"<td>{_when(feed.last_success_at)}</td><td>{escape(due)}</td></tr>"
        )
    head = ["feed", "health", "last success", "next check"]
    return _table("Feeds", head, rows, "No feeds yet: newsbot feeds add URL")


def _stories(view: StatusView) -> str:
    rows = [
        f"<tr><td>{escape(s.title)}</td><td>{s.sources}</td><td>{_when(s.updated)}</td></tr>"
        for s in view.stories[:15]
    ]
    return _table("Stories of the last 24 hours", ["story", "sources", "updated"], rows, "None.")


def _chats(view: StatusView) -> str:
    rows = [
        f"<tr><td>{escape(c.platform)}</td><td>{escape(c.chat_key)}</td>"
        f"<td>{escape(c.schedule)}</td>"
        f"<td>{'paused' if c.paused else escape(_when(c.next_digest))}</td></tr>"
        for c in view.chats
    ]
    head = ["platform", "chat", "schedule", "next digest"]
    return _table("Chats", head, rows, "No chat has started the bot yet.")


def _parts(view: StatusView) -> str:
    rows = []
    for p in view.parts:
        state = "failed" if p.state == "failed" else f"{p.state} ({p.attempts} tries)"
        cls = "err" if p.error else ""
        rows.append(
            f"<tr><td>{escape(p.platform)} {escape(p.chat_key)}</td><td>{escape(state)}</td>"
            f"<td class={cls or 'muted'}>{escape(p.error or '—')}</td><td>{_when(p.when)}</td></tr>"
        )
    head = ["chat", "state", "last error", "since"]
    return _table("Digest parts waiting or failed", head, rows, "None: every digest went out.")


def _jobs(view: StatusView) -> str:
    rows = [
        f"<tr><td>{escape(queue)}</td>"
        + "".join(f"<td>{states.get(s, 0)}</td>" for s in ("todo", "doing", "failed"))
        + "</tr>"
        for queue, states in sorted(view.jobs.items())
    ]
    return _table("Jobs", ["queue", "queued", "running", "failed"], rows, "None.")
