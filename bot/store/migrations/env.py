"""Alembic environment: migrations run on the connection the store hands over."""

from alembic import context

from bot.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only `newsbot` applies migrations
    raise SystemExit("run migrations through newsbot (the store applies them at start)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
