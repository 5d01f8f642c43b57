"""messages: indexes for $filter/$orderby pages (newest first, unread first) with the id as the
last key, so that an index scan yields a whole keyset page in order

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The new indexes lead with the old ones' columns, which they replace.
_NEW = {
    "ix_messages_folder_id_received_at_id": ["folder_id", "received_at", "id"],
    "ix_messages_folder_id_is_read_received_at_id": ["folder_id", "is_read", "received_at", "id"],
    "ix_messages_user_id_received_at_id": ["user_id", "received_at", "id"],
    "ix_messages_user_id_is_read_received_at_id": ["user_id", "is_read", "received_at", "id"],
}
_OLD = {
    "ix_messages_folder_id_received_at": ["folder_id", "received_at"],
    "ix_messages_user_id_received_at": ["user_id", "received_at"],
}


def upgrade() -> None:
    for name, columns in _NEW.items():
        op.create_index(name, "messages", columns)
    for name in _OLD:
        op.drop_index(name, "messages")


def downgrade() -> None:
    for name, columns in _OLD.items():
        op.create_index(name, "messages", columns)
    for name in _NEW:
        op.drop_index(name, "messages")
