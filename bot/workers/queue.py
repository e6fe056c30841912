"""The job queue: a procrastinate App on the store's PostgreSQL, and its schema.

The store talks to PostgreSQL through SQLAlchemy and asyncpg; procrastinate needs psycopg 3,
so the queue opens its own small pool on the same database (the same URL, another driver).
Its tables (``procrastinate_*``) sit beside newsbot's; whichever process starts first
(`newsbot migrate`, `run` or `worker`) makes them, or applies the migrations a newer
procrastinate ships, once (bot/workers/schema.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import procrastinate
import psycopg
from sqlalchemy.engine import make_url

from bot.config import ConfigError, Settings, redact_url
from bot.workers import schema as queue_schema
from bot.workers.liveness import LOCKS_TABLE
from bot.workers.schema import SchemaChange


def libpq_url(settings: Settings) -> str:
    """The store's URL as psycopg reads it (postgresql://…, no SQLAlchemy driver name);
    ConfigError when the store is not PostgreSQL."""
    url = make_url(settings.store_url())
    if url.get_backend_name() != "postgresql":
        raise ConfigError(
            "[workers] enabled needs a PostgreSQL store: set NEWSBOT_STORE__URL="
            "postgresql://user@host:5432/newsbot, or turn [workers] enabled off"
        )
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def make_queue(settings: Settings, *, pool_size: int = 4) -> procrastinate.App:
    """The procrastinate App on the store's database with newsbot's tasks (not yet open)."""
    from bot.workers.tasks import blueprint

    connector = procrastinate.PsycopgConnector(
        conninfo=libpq_url(settings), min_size=1, max_size=pool_size
    )
    app = procrastinate.App(connector=connector)
    app.add_tasks_from(blueprint(), namespace="newsbot")
    return app


@dataclass(frozen=True, slots=True)
class QueueState:
    """What `newsbot check` reports about the job queue."""

    reachable: bool
    schema: bool  # procrastinate's tables exist
    problem: str = ""
    behind: tuple[str, ...] = ()  # procrastinate migrations the database lacks
    ahead: tuple[str, ...] = ()  # migrations the database has that this release does not ship


async def queue_state(settings: Settings) -> QueueState:
    """Whether the queue's database is reachable and its schema applied."""
    try:
        url = libpq_url(settings)
    except ConfigError as exc:
        return QueueState(False, False, str(exc))
    try:
        async with await psycopg.AsyncConnection.connect(url, connect_timeout=10) as conn:
            row = await (
                await conn.execute("SELECT to_regclass('newsbot_job_errors') IS NOT NULL")
            ).fetchone()
            now = await queue_schema.state(conn)
    except psycopg.Error as exc:
        why = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        return QueueState(False, False, f"cannot reach {redact_url(url)} with psycopg ({why})")
    return QueueState(True, bool(now.tables and row and row[0]), "", now.behind, now.ahead)


async def ensure_schema(settings: Settings) -> SchemaChange:
    """Make procrastinate's tables when they are absent, or apply the migrations of a newer
    procrastinate that the database lacks; returns what was done.

    Idempotent, and safe when several processes start at once (an advisory lock).
    """
    conn = await psycopg.AsyncConnection.connect(libpq_url(settings))
    async with conn:
        change = await queue_schema.ensure(conn)
        async with conn.transaction():  # under the lock too: two CREATE IF NOT EXISTS can clash
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (queue_schema.SCHEMA_LOCK,))
            await conn.execute(ERRORS_TABLE)
            await conn.execute(LOCKS_TABLE)
    return change


# procrastinate keeps no error text: a worker middleware (bot/workers/status.py) writes each
# failed attempt's here, so `newsbot jobs` can say why a job failed.
ERRORS_TABLE = """
CREATE TABLE IF NOT EXISTS newsbot_job_errors (
    job_id bigint PRIMARY KEY REFERENCES procrastinate_jobs ON DELETE CASCADE,
    error text NOT NULL,
    at timestamp with time zone NOT NULL DEFAULT now()
)
"""
