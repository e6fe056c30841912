"""What the story clusterer derived from each indexed article, for a quick rebuild at start.

Revision ID: 0006
Revises: 0005

* story_features: per indexed article, its term counts (JSON), its sampled shingle hashes and
  its word count. An article indexed before this revision has none: the rebuild reads its text.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "story_features",
        sa.Column(
            "article_id",
            sa.Integer,
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("terms", sa.Text, nullable=False),
        sa.Column("shingles", sa.Text, nullable=False),
        sa.Column("words", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("story_features")
