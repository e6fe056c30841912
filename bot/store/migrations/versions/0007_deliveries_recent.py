"""An index for the outbox's record of recent sends, read as a worker takes over delivery.

Revision ID: 0007
Revises: 0006

* ix_deliveries_state_updated: parts by state and last change, so "sent in the last minute"
  (Outbox.recent_sends, at the start of each `deliver` job) does not read every part ever sent.
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_deliveries_state_updated", "deliveries", ["state", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_state_updated", table_name="deliveries")
