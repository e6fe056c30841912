"""/ask QUESTION as a chat reply: the answer, then its numbered sources with links."""

from __future__ import annotations

from bot.reply import Button, Buttons, Inline, Link, Reply, bullets, para
from bot.summarize.answer import Answer


def _source_item(n: int, title: str, name: str, url: str | None) -> list[Inline]:
    return [f"[{n}] ", Link(title, url) if url else title, f" — {name}"]


def ask_reply(answer: Answer) -> Reply:
    """The reply for an answer; "not answered" says what to try instead."""
    if not answer.answered:
        return Reply.message(
            answer.text,
            "Try other words, or /company NAME for a company's latest stories.",
        )
    reply = Reply()
    if answer.lines:
        reply.add(
            para("From the stored news:"),
            bullets([f"{sentence} [{n}]"] for sentence, n in answer.lines),
        )
    else:
        reply.add(para(answer.text))
    reply.add(
        para("Sources:"),
        bullets(_source_item(s.n, s.title, s.name, s.url) for s in answer.sources),
    )
    stories = [s for s in answer.sources if s.story_id is not None][:3]
    if stories:
        reply.add(
            Buttons(tuple(Button(f"Story [{s.n}]", f"summary:{s.story_id}") for s in stories))
        )
    return reply
