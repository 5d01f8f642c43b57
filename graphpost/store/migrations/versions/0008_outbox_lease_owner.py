"""outbox: the worker holding an entry's lease (settled and extended only by that worker)

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain nullable ADD COLUMN: no rebuild of `outbox` on SQLite. Entries leased before the
    # upgrade have no owner; their lease runs out and the next claim gives them one.
    op.add_column("outbox", sa.Column("lease_owner", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("lease_owner")
