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
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("immutable_id", sa.String(200), nullable=True))
    op.execute(sa.text("UPDATE messages SET immutable_id = :prefix || id").bindparams(prefix=_IMMUTABLE_PREFIX))
    with op.batch_alter_table("messages") as batch:
        batch.alter_column("immutable_id", existing_type=sa.String(200), nullable=False)
        batch.create_unique_constraint("uq_messages_immutable_id", ["immutable_id"])


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint("uq_messages_immutable_id", type_="unique")
        batch.drop_column("immutable_id")
