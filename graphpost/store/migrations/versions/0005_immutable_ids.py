"""messages: immutable ids, which survive moves between folders (Prefer: IdType="ImmutableId")

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Real immutable ids start "AAkALg" (Graph's docs and answers); existing messages get one made of
# that prefix and their current id, which keeps them unique and URL-safe base64.
_IMMUTABLE_PREFIX = "AAkALg"


def upgrade() -> None:
    # No batch rebuild of `messages` on SQLite: dropping the old table would run the ON DELETE
    # CASCADE of attachments and upload sessions (foreign keys are on) and lose them. A plain
    # ADD COLUMN and a unique index need no rebuild; the column stays nullable there (graphpost
    # always writes it), and becomes NOT NULL on PostgreSQL.
    op.add_column("messages", sa.Column("immutable_id", sa.String(200), nullable=True))
    op.execute(sa.text("UPDATE messages SET immutable_id = :prefix || id").bindparams(prefix=_IMMUTABLE_PREFIX))
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("messages", "immutable_id", existing_type=sa.String(200), nullable=False)
    op.create_index("uq_messages_immutable_id", "messages", ["immutable_id"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_messages_immutable_id", "messages")
    op.drop_column("messages", "immutable_id")
