"""mail: folders, messages, submissions and the outbox

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

from graphpost.store.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "folders",
        sa.Column("id", sa.String(120), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("parent_id", sa.String(120), nullable=False),
        sa.Column("well_known", sa.String(40), nullable=True),
        sa.Column("display_name", sa.String(256), nullable=False),
        sa.Column("is_hidden", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_folders_user_id_users", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_folders"),
        sa.UniqueConstraint("user_id", "well_known", name="uq_folders_user_id_well_known"),
    )
    op.create_index("ix_folders_user_id_parent_id", "folders", ["user_id", "parent_id"])
    op.create_table(
        "messages",
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("folder_id", sa.String(120), nullable=False),
        sa.Column("change_key", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("modified_at", UTCDateTime, nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.Column("sent_at", UTCDateTime, nullable=True),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("is_read", sa.Boolean, nullable=False),
        sa.Column("is_draft", sa.Boolean, nullable=False),
        sa.Column("importance", sa.String(8), nullable=False),
        sa.Column("has_attachments", sa.Boolean, nullable=False),
        sa.Column("internet_message_id", sa.String(998), nullable=False),
        sa.Column("conversation_id", sa.String(120), nullable=False),
        sa.Column("from_address", sa.String(320), nullable=True),
        sa.Column("data", sa.JSON, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_messages_user_id_users", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["folder_id"], ["folders.id"], name="fk_messages_folder_id_folders",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
    )
    op.create_index("ix_messages_folder_id_received_at", "messages", ["folder_id", "received_at"])
    op.create_index("ix_messages_user_id_received_at", "messages", ["user_id", "received_at"])
    op.create_table(
        "submissions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("internet_message_id", sa.String(998), nullable=False),
        sa.Column("message", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_submissions_user_id_users", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_submissions"),
    )
    op.create_index("ix_submissions_user_id", "submissions", ["user_id"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("submission_id", sa.String(36), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("domain", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"], name="fk_outbox_submission_id_submissions",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
    )
    op.create_index("ix_outbox_submission_id", "outbox", ["submission_id"])
    op.create_index("ix_outbox_state_created_at", "outbox", ["state", "created_at"])


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("submissions")
    op.drop_table("messages")
    op.drop_table("folders")
