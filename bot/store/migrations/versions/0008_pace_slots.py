"""Send slots shared by every process of one bot (PostgreSQL only: the workers' mode).

Revision ID: 0008
Revises: 0007

* pace_slots: one row per flood limit (a bot's overall rate, a chat's): ``times``, the
  starts of its latest sends (epoch seconds on the database's clock, oldest first, at most the
  limit's count; a send that was answered late counts from its answer), and ``hold_until``, a
  platform's "retry after" on that chat.
* newsbot_pace_take(...): takes a send's slot of both limits in one call (one round trip), or
  says how long to wait before asking again; newsbot_pace_done(...): moves a slow send's start
  to its answer. Both lock the bot's row before the chat's, so they never deadlock.

SQLite (one process, one in-memory pacer) has neither.
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

READY = """
CREATE FUNCTION newsbot_pace_ready(
    times float8[], hold float8, n int, period float8, gap float8
) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
    SELECT greatest(
        hold,
        CASE WHEN cardinality(times) >= n THEN times[cardinality(times) - n + 1] + period END,
        times[cardinality(times)] + gap
    )
$$
"""

PUSH = """
CREATE FUNCTION newsbot_pace_push(times float8[], new_time float8, n int)
RETURNS float8[] LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(x ORDER BY x), '{}')
    FROM (SELECT x FROM unnest(times || new_time) AS x ORDER BY x DESC LIMIT n) AS latest
$$
"""

LOCK = """
CREATE FUNCTION newsbot_pace_lock(name text, OUT times float8[], OUT hold float8)
LANGUAGE plpgsql AS $$
BEGIN
    LOOP
        SELECT p.times, p.hold_until INTO times, hold
        FROM pace_slots p WHERE p.key = name FOR UPDATE;
        EXIT WHEN FOUND;
        INSERT INTO pace_slots (key) VALUES (name) ON CONFLICT DO NOTHING;
    END LOOP;
END
$$
"""

# The bot's limit is "shared": its slots go in order, densely. A send whose chat is not ready
# by the bot's next slot takes nothing (taking a later slot would hold up every other chat):
# it is told when its chat is ready. ``ahead`` (NULL for replies) keeps digest parts from
# taking slots more than that far ahead, so a reply finds one soon.
TAKE = """
CREATE FUNCTION newsbot_pace_take(
    shared_key text, shared_count int, shared_period float8, shared_gap float8,
    own_key text, own_count int, own_period float8, own_gap float8,
    ahead float8, slack float8,
    OUT slot float8, OUT wait float8, OUT now_at float8, OUT busy boolean
) LANGUAGE plpgsql AS $$
DECLARE
    row_ record;
    ready_shared float8;
    ready_own float8;
BEGIN
    now_at := extract(epoch FROM clock_timestamp());
    ready_shared := now_at;
    busy := false;
    IF shared_key IS NOT NULL THEN
        SELECT * INTO row_ FROM newsbot_pace_lock(shared_key);
        ready_shared := greatest(now_at, newsbot_pace_ready(
            row_.times, row_.hold, shared_count, shared_period, shared_gap));
    END IF;
    SELECT * INTO row_ FROM newsbot_pace_lock(own_key);
    ready_own := coalesce(
        newsbot_pace_ready(row_.times, row_.hold, own_count, own_period, own_gap), now_at);
    IF ready_own > ready_shared + slack THEN
        busy := true;
        wait := ready_own - now_at;
        RETURN;
    END IF;
    slot := greatest(ready_shared, ready_own);
    IF ahead IS NOT NULL AND slot > now_at + ahead THEN
        slot := NULL;
        wait := ready_shared - ahead - now_at;
        RETURN;
    END IF;
    IF shared_key IS NOT NULL THEN
        UPDATE pace_slots SET times = newsbot_pace_push(times, slot, shared_count)
        WHERE key = shared_key;
    END IF;
    UPDATE pace_slots SET times = newsbot_pace_push(times, slot, own_count) WHERE key = own_key;
    wait := slot - now_at;
END
$$
"""

DONE = """
CREATE FUNCTION newsbot_pace_done(shared_key text, own_key text, slot float8, answered float8)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF shared_key IS NOT NULL THEN
        UPDATE pace_slots
        SET times = (SELECT array_agg(x ORDER BY x) FROM unnest(
            array_replace(times, slot, greatest(slot, answered))) AS x)
        WHERE key = shared_key AND slot = ANY(times);
    END IF;
    UPDATE pace_slots
    SET times = (SELECT array_agg(x ORDER BY x) FROM unnest(
        array_replace(times, slot, greatest(slot, answered))) AS x)
    WHERE key = own_key AND slot = ANY(times);
END
$$
"""

FUNCTIONS = ("newsbot_pace_take", "newsbot_pace_done", "newsbot_pace_lock")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE TABLE pace_slots ("
        " key text PRIMARY KEY,"
        " times float8[] NOT NULL DEFAULT '{}',"
        " hold_until float8 NOT NULL DEFAULT 0)"
    )
    for statement in (READY, PUSH, LOCK, TAKE, DONE):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}")
    op.execute("DROP FUNCTION IF EXISTS newsbot_pace_ready")
    op.execute("DROP FUNCTION IF EXISTS newsbot_pace_push")
    op.execute("DROP TABLE IF EXISTS pace_slots")
