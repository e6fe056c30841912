"""Each story's summary, made ahead of /company: story_summaries.

Revision ID: 0009
Revises: 0008

* story_summaries: one row per story, the summary the deployment's summarizer made of it and
  the key of what it was made from (the summarizer, its settings, the story's articles in
  order). A story that gains an article or a new lead no longer matches its key, so its summary
  is made again rather than read; a deleted story takes its row with it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "story_summaries",
        sa.Column(
            "story_id",
            sa.Integer,
            sa.ForeignKey("stories.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("story_summaries")
