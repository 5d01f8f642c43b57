"""users: accountEnabled (graphpost user disable / enable)

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN with a default: no rebuild of `users` on SQLite, whose ON DELETE CASCADE
    # would otherwise empty every mailbox (see 0005).
    op.add_column("users", sa.Column("account_enabled", sa.Boolean, nullable=False, server_default=sa.true()))


def downgrade() -> None:
    op.drop_column("users", "account_enabled")
