"""The store: SQLite by default, PostgreSQL by URL."""

from bot.store.store import Store, utcnow

__all__ = ["Store", "utcnow"]
