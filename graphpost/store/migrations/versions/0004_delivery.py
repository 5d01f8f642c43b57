"""delivery: attempts, schedule, last answer and worker lease on outbox entries

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

from graphpost.store.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_attempt_at", UTCDateTime, nullable=True))
        batch.add_column(sa.Column("last_error", sa.Text, nullable=True))
        batch.add_column(sa.Column("lease_until", UTCDateTime, nullable=True))
    op.create_index("ix_outbox_state_next_attempt_at", "outbox", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_state_next_attempt_at", "outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("last_error")
        batch.drop_column("next_attempt_at")
        batch.drop_column("attempts")
