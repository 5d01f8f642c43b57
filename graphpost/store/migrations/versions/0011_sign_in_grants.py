"""authorization_codes, refresh_tokens, device_codes: the identity endpoint's sign-in grants

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

from graphpost.store.types import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _app_fk(table: str) -> sa.Column:
    return sa.Column("client_id", sa.String(36), sa.ForeignKey("apps.client_id", ondelete="CASCADE",
                                                               name=f"fk_{table}_client_id_apps"), nullable=False)


def _user_fk(table: str, nullable: bool) -> sa.Column:
    return sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE",
                                                             name=f"fk_{table}_user_id_users"), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "authorization_codes",
        sa.Column("code_hash", sa.String(64), nullable=False),
        _app_fk("authorization_codes"),
        _user_fk("authorization_codes", False),
        sa.Column("redirect_uri", sa.String(2048), nullable=False),
        sa.Column("code_challenge", sa.String(128), nullable=True),
        sa.Column("challenge_method", sa.String(8), nullable=True),
        sa.Column("scope", sa.String(2048), nullable=False),
        sa.Column("nonce", sa.String(512), nullable=True),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("code_hash", name="pk_authorization_codes"),
    )
    op.create_index("ix_authorization_codes_expires_at", "authorization_codes", ["expires_at"])
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        _app_fk("refresh_tokens"),
        _user_fk("refresh_tokens", False),
        sa.Column("scope", sa.String(2048), nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_refresh_tokens"),
    )
    op.create_index("ix_refresh_tokens_user_id", "refresh_tokens", ["user_id"])
    op.create_index("ix_refresh_tokens_expires_at", "refresh_tokens", ["expires_at"])
    op.create_table(
        "device_codes",
        sa.Column("device_code_hash", sa.String(64), nullable=False),
        sa.Column("user_code", sa.String(16), nullable=False),
        _app_fk("device_codes"),
        sa.Column("scope", sa.String(2048), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        _user_fk("device_codes", True),
        sa.Column("last_polled_at", UTCDateTime, nullable=True),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("device_code_hash", name="pk_device_codes"),
        sa.UniqueConstraint("user_code", name="uq_device_codes_user_code"),
    )
    op.create_index("ix_device_codes_expires_at", "device_codes", ["expires_at"])


def downgrade() -> None:
    op.drop_table("device_codes")
    op.drop_table("refresh_tokens")
    op.drop_table("authorization_codes")
