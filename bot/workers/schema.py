"""The job queue's schema: procrastinate's tables made on a new database, and procrastinate's
own migration files applied to an older one, each once.

procrastinate ships its whole schema (``schema.sql``, for a new database) and, for a database
made by an earlier release, the migration files that bring it up to date
(``procrastinate/sql/migrations/xx.yy.zz_nn_[pre_|post_]what.sql``: the procrastinate version,
a serial, and from v3 ``pre`` (serials 01-49: before the new code starts) or ``post`` (50 and
up: once no old code runs)). They apply in that order: version, then serial. procrastinate
keeps no record of which a database has (its version table went in 0.5), so newsbot keeps one:
the name of every migration file the database holds, in ``newsbot_queue_migrations``.

All of a bot's processes run one newsbot release (the README: upgrade them together), so the
``pre`` and ``post`` files of a new release are applied together, in one transaction, by the
first process to start (or `newsbot migrate`), under an advisory lock the others wait on.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources

import psycopg
from procrastinate.schema import SchemaManager

log = logging.getLogger("newsbot.workers")

# Any constant works; it only has to be the same for every newsbot process (and differ from
# the store's own migration lock in bot/store/db.py and the workers' liveness locks).
SCHEMA_LOCK = 7_140_215
RECORD = "newsbot_queue_migrations"
_NAME = re.compile(r"^(\d+)\.(\d+)\.(\d+)_(\d+)_.+\.sql$")
# Every newsbot release before the record existed made the queue's tables from the schema.sql
# of procrastinate 3.5 or later (pyproject's floor; the lock pinned 3.10.0), which holds every
# migration up to this one: a database with procrastinate's tables and no record is there.
BASELINE = "03.04.00_50_post_add_retry_failed_job_procedure.sql"

_RECORD_TABLE = f"""
CREATE TABLE IF NOT EXISTS {RECORD} (
    name text PRIMARY KEY,
    applied_at timestamp with time zone NOT NULL DEFAULT now()
)
"""


def order(name: str) -> tuple[int, int, int, int]:
    """A migration file's place: (major, minor, patch, serial) from its name."""
    found = _NAME.match(name)
    if found is None:
        raise ValueError(f"not a procrastinate migration file name: {name}")
    major, minor, patch, serial = (int(part) for part in found.groups())
    return major, minor, patch, serial


def shipped() -> list[str]:
    """The migration files of the installed procrastinate, in the order they apply."""
    folder = resources.files("procrastinate.sql") / "migrations"
    names = [item.name for item in folder.iterdir() if item.name.endswith(".sql")]
    return sorted(names, key=order)


def _sql(name: str) -> str:
    return (resources.files("procrastinate.sql") / "migrations" / name).read_text("utf-8")


@dataclass(frozen=True, slots=True)
class SchemaState:
    """Where a database's queue schema stands against the installed procrastinate."""

    tables: bool  # procrastinate's tables exist
    behind: tuple[str, ...] = ()  # shipped migrations the database lacks, in order
    ahead: tuple[str, ...] = ()  # migrations the database has that this release does not ship


@dataclass(frozen=True, slots=True)
class SchemaChange:
    """What `ensure` did."""

    created: bool  # the tables were made from schema.sql
    applied: tuple[str, ...] = ()  # migration files applied, in order
    ahead: tuple[str, ...] = ()  # the database is newer than this release's procrastinate


async def state(conn: psycopg.AsyncConnection) -> SchemaState:
    """The database's queue schema against the installed procrastinate (reads only)."""
    row = await (
        await conn.execute("SELECT to_regclass('procrastinate_jobs'), to_regclass(%s)", (RECORD,))
    ).fetchone()
    assert row is not None
    if row[0] is None:
        return SchemaState(False)
    if row[1] is None:
        held = {name for name in shipped() if order(name) <= order(BASELINE)}
    else:
        rows = await (await conn.execute(f"SELECT name FROM {RECORD}")).fetchall()
        held = {str(name) for (name,) in rows}
    names = shipped()
    behind = tuple(name for name in names if name not in held)
    ahead = tuple(sorted(held - set(names), key=order))
    return SchemaState(True, behind, ahead)


async def ensure(conn: psycopg.AsyncConnection) -> SchemaChange:
    """Make the queue's tables on a new database, or apply the migrations an older one lacks;
    record them. One transaction, under an advisory lock: processes starting together apply
    each migration once (the others wait, then find nothing to do)."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        now = await state(conn)
        await conn.execute(_RECORD_TABLE)
        if not now.tables:
            await conn.execute(SchemaManager.get_schema())  # type: ignore[arg-type]
            await _record(conn, shipped())
            return SchemaChange(created=True)
        await _record(conn, [n for n in shipped() if n not in now.behind])  # a first record
        for name in now.behind:
            log.info("applying a job queue migration", extra={"migration": name})
            await conn.execute(_sql(name))  # type: ignore[arg-type]
        await _record(conn, list(now.behind))
    if now.ahead:
        log.warning(
            "the job queue's schema is newer than this newsbot's procrastinate: upgrade newsbot",
            extra={"migrations": list(now.ahead)},
        )
    return SchemaChange(created=False, applied=now.behind, ahead=now.ahead)


async def _record(conn: psycopg.AsyncConnection, names: list[str]) -> None:
    if names:
        await conn.execute(
            f"INSERT INTO {RECORD} (name) SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING",
            (names,),
        )
