"""Stories, the companies each article mentions, and full-text search over articles.

Revision ID: 0003
Revises: 0002

Full-text search differs by dialect and is made here with raw DDL, outside the metadata:

* SQLite: ``articles_fts``, an FTS5 table with external content (it stores only the index and
  reads title and text from ``articles``), kept in sync by three triggers. A later migration must
  not rebuild ``articles`` in batch mode without recreating the triggers.
* PostgreSQL: ``articles.search``, a stored generated tsvector (english; title weight A, text B)
  with a GIN index.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)

_SQLITE_FTS = [
    # porter: "launches" finds "launch", as the english configuration does on PostgreSQL.
    """CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, text, content='articles', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
    """CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, text)
        VALUES ('delete', old.id, old.title, old.text);
    END""",
    # Only a change of title or text reindexes: setting story_id must stay cheap.
    """CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, text ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, text)
        VALUES ('delete', old.id, old.title, old.text);
        INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
]

_POSTGRES_FTS = [
    """ALTER TABLE articles ADD COLUMN search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A')
        || setweight(to_tsvector('english', coalesce(text, '')), 'B')
    ) STORED""",
    "CREATE INDEX ix_articles_search ON articles USING gin (search)",
]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column(
            "lead_article_id",
            sa.Integer,
            sa.ForeignKey("articles.id", ondelete="SET NULL", name="fk_stories_lead_article_id"),
        ),
    )
    if sqlite:
        # SQLite cannot add a constraint to a table, but can add a column that references one;
        # batch mode would copy articles and, with foreign keys on, null entries.article_id.
        # No ON DELETE: SQLAlchemy does not reflect it on a column constraint, and a story is
        # deleted only once no article is in it.
        op.execute(
            "ALTER TABLE articles ADD COLUMN story_id INTEGER "
            "CONSTRAINT fk_articles_story_id REFERENCES stories (id)"
        )
    else:
        op.add_column("articles", sa.Column("story_id", sa.Integer))
        op.create_foreign_key("fk_articles_story_id", "articles", "stories", ["story_id"], ["id"])
    op.create_index("ix_articles_story_id", "articles", ["story_id"])
    op.create_table(
        "article_companies",
        sa.Column(
            "article_id",
            sa.Integer,
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("company", sa.Text, primary_key=True),
        sa.Column("known", sa.Boolean, nullable=False),
        sa.Column("mentions", sa.Integer, nullable=False),
        sa.Column("first_offset", sa.Integer, nullable=False),
        sa.Column("in_title", sa.Boolean, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("published_at", TS, nullable=False),
    )
    op.create_index(
        "ix_article_companies_company_published",
        "article_companies",
        ["company", "published_at", "article_id", "score"],
    )
    op.create_index(
        "ix_article_companies_about",
        "article_companies",
        ["company", "published_at", "article_id", "score"],
        sqlite_where=sa.text("score >= 2.0"),
        postgresql_where=sa.text("score >= 2.0"),
    )
    for statement in _SQLITE_FTS if sqlite else _POSTGRES_FTS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS articles_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS articles_fts")
    else:
        op.drop_index("ix_articles_search", table_name="articles")
        op.drop_column("articles", "search")
    op.drop_index("ix_article_companies_about", table_name="article_companies")
    op.drop_index("ix_article_companies_company_published", table_name="article_companies")
    op.drop_table("article_companies")
    op.drop_index("ix_articles_story_id", table_name="articles")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE articles DROP COLUMN story_id")
    else:
        op.drop_constraint("fk_articles_story_id", "articles", type_="foreignkey")
        op.drop_column("articles", "story_id")
    op.drop_table("stories")
