"""directory: tenants, accepted domains, users, app registrations

Revision ID: 0001
Revises:
"""
from alembic import op
import sqlalchemy as sa

from graphpost.store.types import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("display_name", sa.String(256), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tenants"),
    )
    op.create_table(
        "domains",
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_domains_tenant_id_tenants",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("name", name="pk_domains"),
    )
    op.create_index("ix_domains_tenant_id", "domains", ["tenant_id"])
    op.create_table(
        "users",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("user_principal_name", sa.String(320), nullable=False),
        sa.Column("upn_key", sa.String(320), nullable=False),
        sa.Column("mail", sa.String(320), nullable=False),
        sa.Column("mail_key", sa.String(320), nullable=False),
        sa.Column("display_name", sa.String(256), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_users_tenant_id_tenants",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("upn_key", name="uq_users_upn_key"),
        sa.UniqueConstraint("mail_key", name="uq_users_mail_key"),
    )
    op.create_index("ix_users_tenant_id", "users", ["tenant_id"])
    op.create_table(
        "apps",
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("display_name", sa.String(256), nullable=False),
        sa.Column("secret_hash", sa.String(256), nullable=False),
        sa.Column("permissions", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_apps_tenant_id_tenants",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id", name="pk_apps"),
    )
    op.create_index("ix_apps_tenant_id", "apps", ["tenant_id"])


def downgrade() -> None:
    op.drop_table("apps")
    op.drop_table("users")
    op.drop_table("domains")
    op.drop_table("tenants")
