"""The order of a digest's stories, so that a story's number in a digest finds it.

Revision ID: 0005
Revises: 0004

* digests: ``story_ids``, the ids of the stories a digest shows, in the order it numbers them,
  comma-separated ("" for a digest with no story). "/summary 2" is the second of them in the
  chat's latest digest. Digests recorded before this revision keep NULL: their order is unknown.

The column is added without batch mode, like 0004's: a batch rebuild of ``digests`` would
cascade deletes to the outbox's parts.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("digests", sa.Column("story_ids", sa.Text))


def downgrade() -> None:
    op.drop_column("digests", "story_ids")
