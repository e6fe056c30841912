"""The job queue's schema on the PostgreSQL on this machine: a database made by an older
procrastinate is brought up to date by `newsbot migrate` with procrastinate's own migration
files (the same schema as a new database's), two migrates at once apply each file once, and
`newsbot check` says when the schema is behind or ahead."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import procrastinate
import psycopg
import pytest
from procrastinate.jobs import Status

from bot.config import Settings
from bot.workers.queue import ensure_schema, libpq_url
from bot.workers.schema import RECORD, order, shipped
from tests import test_workers as shared
from tests.test_workers import PG_URL, Processes, query, wait_for

pg, config, procs = shared.pg, shared.config, shared.procs

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="set NEWSBOT_TEST_POSTGRES_URL: the queue's schema is PostgreSQL's"
)
OLD_SCHEMA = Path(__file__).with_name("procrastinate-3.0.2-schema.sql")
OLD_MIGRATIONS = 31  # the files procrastinate 3.0.2 shipped, up to 03.00.00_50


def make_old_queue(url: str) -> list[str]:
    """The queue's tables as a newsbot on procrastinate 3.0.2 would have left them: its
    schema.sql and its record of the migration files it shipped; returns the files it lacks."""
    old = [name for name in shipped() if order(name) <= (3, 0, 0, 50)]
    assert len(old) == OLD_MIGRATIONS
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute(OLD_SCHEMA.read_text())  # type: ignore[arg-type]
        conn.execute(f"CREATE TABLE {RECORD} (name text PRIMARY KEY, applied_at timestamptz)")  # type: ignore[arg-type]
        conn.execute(f"INSERT INTO {RECORD} SELECT unnest(%s::text[]), now()", (old,))  # type: ignore[arg-type]
    return [name for name in shipped() if name not in old]


# procrastinate's objects as the catalog describes them: columns, constraints, indexes,
# functions (their bodies with the whitespace collapsed), triggers, types and enum labels.
FINGERPRINT = """
SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
       || ' ' || a.attnotnull || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE c.relnamespace = 'public'::regnamespace AND c.relname LIKE 'procrastinate%%'
   AND c.relkind IN ('r', 'c') AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE conrelid::regclass::text LIKE 'procrastinate%%'
UNION ALL
SELECT 'index ' || indexdef FROM pg_indexes WHERE tablename LIKE 'procrastinate%%'
UNION ALL
SELECT 'function ' || p.oid::regprocedure || ' ' || regexp_replace(p.prosrc, '\\s+', ' ', 'g')
  FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
   AND p.proname LIKE 'procrastinate%%'
UNION ALL
SELECT 'trigger ' || pg_get_triggerdef(t.oid) FROM pg_trigger t
 WHERE NOT t.tgisinternal AND t.tgrelid::regclass::text LIKE 'procrastinate%%'
UNION ALL
SELECT 'enum ' || t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
  FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
 WHERE t.typname LIKE 'procrastinate%%' GROUP BY t.typname
"""


def libpq(url: str) -> str:
    return libpq_url(settings_of(url))


def execute(url: str, sql: str) -> None:
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def fingerprint(url: str) -> set[str]:
    return {str(row[0]) for row in query(url, FINGERPRINT)}


@pytest.fixture
def fresh_url(pg: str) -> Iterator[str]:
    """A second database on the same server, its queue tables made by this release."""
    name = f"{pg.rsplit('/', 1)[1]}_fresh"
    url = f"{pg.rsplit('/', 1)[0]}/{name}"
    assert PG_URL
    execute(PG_URL, f'DROP DATABASE IF EXISTS "{name}"')
    execute(PG_URL, f'CREATE DATABASE "{name}"')
    try:
        yield url
    finally:
        execute(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def settings_of(url: str) -> Settings:
    return Settings(store={"url": url}, workers={"enabled": True})


async def run_a_job(url: str) -> Status:
    """A job through procrastinate's own calls: queued in a batch, fetched by a registered
    worker, failed once and retried, then done; returns its final status."""
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=libpq(url)))
    async with app.open_async():

        @app.task(name="probe", queue="probe")
        def probe() -> None: ...

        manager = app.job_manager
        [deferred] = await manager.batch_defer_jobs_async([probe.configure().job])
        job_id = deferred.id
        assert job_id is not None
        worker = await manager.register_worker()
        job = await manager.fetch_job(queues=["probe"], worker_id=worker)
        assert job is not None and job.id == job_id
        await manager.retry_job_by_id_async(job_id=job_id, retry_at=datetime.now(UTC))
        job = await manager.fetch_job(queues=["probe"], worker_id=worker)
        assert job is not None and job.id == job_id
        await manager.finish_job_by_id_async(
            job_id=job_id, status=Status.SUCCEEDED, delete_job=False
        )
        await manager.unregister_worker(worker)
        return await manager.get_job_status_async(job_id)


def test_migrate_brings_an_older_queue_schema_up_to_date(
    procs: Processes, pg: str, fresh_url: str
) -> None:
    lacking = make_old_queue(pg)
    asyncio.run(ensure_schema(settings_of(fresh_url)))
    assert fingerprint(pg) != fingerprint(fresh_url)
    with pytest.raises(procrastinate.exceptions.ConnectorException):
        asyncio.run(run_a_job(pg))  # procrastinate 3.10 cannot run jobs on 3.0's tables

    check = procs.cli("check")
    assert check.returncode == 0
    assert f"lacks {len(lacking)} migrations" in check.stderr and "newsbot migrate" in check.stderr

    done = procs.cli("migrate")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == (
        f"Store migrated; job queue brought up to date: {len(lacking)} procrastinate"
        " migrations applied."
    )
    assert [line.strip() for line in lines[1:]] == lacking  # in order: 03.01.00_01 … 03.04.00_50
    assert fingerprint(pg) == fingerprint(fresh_url)  # the same schema as a new database's
    assert asyncio.run(run_a_job(pg)) == Status.SUCCEEDED

    again = procs.cli("migrate")
    assert again.stdout == "Store migrated; job queue tables present.\n"
    after = procs.cli("check")
    assert after.returncode == 0 and "warning" not in after.stderr, after.stderr
    assert {row[0] for row in query(pg, f"SELECT name FROM {RECORD}")} == set(shipped())


def test_two_migrates_at_once_apply_each_migration_once(procs: Processes, pg: str) -> None:
    lacking = make_old_queue(pg)
    # A reader holds the jobs table a moment, so the two migrates surely meet: both start and
    # wait (one on the table, the other on the advisory lock), then both go on at once.
    with psycopg.connect(libpq(pg)) as reader:
        reader.execute("LOCK TABLE procrastinate_jobs IN ACCESS EXCLUSIVE MODE")
        started = [
            subprocess.Popen(
                [sys.executable, "-m", "bot", "migrate"],
                cwd=procs.tmp_path,
                env=procs.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        waiting = (
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock'"
        )
        assert wait_for(lambda: query(pg, waiting)[0][0] == 2, 60)
        reader.rollback()
    outputs = [proc.communicate(timeout=60) for proc in started]
    assert [proc.returncode for proc in started] == [0, 0], outputs
    firsts = sorted(out.splitlines()[0] for out, _ in outputs)
    assert firsts == [
        f"Store migrated; job queue brought up to date: {len(lacking)} procrastinate"
        " migrations applied.",
        "Store migrated; job queue tables present.",
    ]
    [(count,)] = query(pg, f"SELECT count(*) FROM {RECORD}")
    assert count == len(shipped())
    assert asyncio.run(run_a_job(pg)) == Status.SUCCEEDED


def test_check_says_when_the_queue_schema_is_newer_or_unrecorded(procs: Processes, pg: str) -> None:
    # A database made before the record existed (procrastinate 3.10's tables, no record): it
    # holds every migration up to the baseline, and migrate records them, applying none.
    asyncio.run(ensure_schema(settings_of(pg)))
    execute(pg, f"DROP TABLE {RECORD}")
    assert procs.cli("migrate").stdout == "Store migrated; job queue tables present.\n"
    assert {row[0] for row in query(pg, f"SELECT name FROM {RECORD}")} == set(shipped())
    # A newer newsbot applied a migration this one does not ship: check says so, as an error.
    execute(pg, f"INSERT INTO {RECORD} VALUES ('99.00.00_01_pre_future.sql', now())")
    check = procs.cli("check")
    assert check.returncode == 1
    assert re.search(
        r"newer than this newsbot's procrastinate \(99.00.00_01_pre_future.sql\)", check.stderr
    )
