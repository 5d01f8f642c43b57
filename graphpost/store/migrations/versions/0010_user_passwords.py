"""users: password_hash (graphpost user passwd), for signing in at the identity endpoint

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain nullable ADD COLUMN: no rebuild of `users` on SQLite, whose ON DELETE CASCADE would
    # otherwise empty every mailbox (see 0005).
    op.add_column("users", sa.Column("password_hash", sa.String(256), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "password_hash")
