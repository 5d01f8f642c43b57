"""attachments: chunked blobs, attachment rows, submission attachments, upload sessions

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

from graphpost.store.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_blobs"),
    )
    op.create_table(
        "blob_chunks",
        sa.Column("blob_id", sa.String(36), nullable=False),
        sa.Column("offset", sa.BigInteger, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.ForeignKeyConstraint(["blob_id"], ["blobs.id"], name="fk_blob_chunks_blob_id_blobs", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("blob_id", "offset", name="pk_blob_chunks"),
    )
    op.create_table(
        "attachments",
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("content_type", sa.String(255), nullable=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("is_inline", sa.Boolean, nullable=False),
        sa.Column("content_id", sa.String(998), nullable=True),
        sa.Column("modified_at", UTCDateTime, nullable=False),
        sa.Column("blob_id", sa.String(36), nullable=True),
        sa.Column("data", sa.JSON, nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name="fk_attachments_message_id_messages",
                                ondelete="CASCADE", onupdate="CASCADE"),
        sa.ForeignKeyConstraint(["blob_id"], ["blobs.id"], name="fk_attachments_blob_id_blobs"),
        sa.PrimaryKeyConstraint("id", name="pk_attachments"),
    )
    op.create_index("ix_attachments_message_id", "attachments", ["message_id"])
    op.create_index("ix_attachments_blob_id", "attachments", ["blob_id"])
    op.create_table(
        "submission_attachments",
        sa.Column("submission_id", sa.String(36), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("content_type", sa.String(255), nullable=True),
        sa.Column("is_inline", sa.Boolean, nullable=False),
        sa.Column("content_id", sa.String(998), nullable=True),
        sa.Column("blob_id", sa.String(36), nullable=True),
        sa.Column("data", sa.JSON, nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"],
                                name="fk_submission_attachments_submission_id_submissions", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["blob_id"], ["blobs.id"], name="fk_submission_attachments_blob_id_blobs"),
        sa.PrimaryKeyConstraint("submission_id", "position", name="pk_submission_attachments"),
    )
    op.create_index("ix_submission_attachments_blob_id", "submission_attachments", ["blob_id"])
    op.create_table(
        "upload_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("is_inline", sa.Boolean, nullable=False),
        sa.Column("content_id", sa.String(998), nullable=True),
        sa.Column("received", sa.BigInteger, nullable=False),
        sa.Column("blob_id", sa.String(36), nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("attachment_id", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_upload_sessions_user_id_users", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name="fk_upload_sessions_message_id_messages",
                                ondelete="CASCADE", onupdate="CASCADE"),
        sa.ForeignKeyConstraint(["blob_id"], ["blobs.id"], name="fk_upload_sessions_blob_id_blobs"),
        sa.PrimaryKeyConstraint("id", name="pk_upload_sessions"),
    )
    op.create_index("ix_upload_sessions_message_id", "upload_sessions", ["message_id"])


def downgrade() -> None:
    op.drop_table("upload_sessions")
    op.drop_table("submission_attachments")
    op.drop_table("attachments")
    op.drop_table("blob_chunks")
    op.drop_table("blobs")
