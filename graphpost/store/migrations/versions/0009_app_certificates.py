"""app_certificates: certificates an app signs its client assertions with

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

from graphpost.store.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_certificates",
        sa.Column("client_id", sa.String(36), sa.ForeignKey("apps.client_id", ondelete="CASCADE",
                                                            name="fk_app_certificates_client_id_apps"),
                  nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("sha1", sa.String(40), nullable=False),
        sa.Column("pem", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("client_id", "sha256", name="pk_app_certificates"),
    )


def downgrade() -> None:
    op.drop_table("app_certificates")
