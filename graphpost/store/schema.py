"""The tables, in SQLAlchemy Core. One schema for SQLite and PostgreSQL; Alembic migrations in
store/migrations reproduce it."""

from __future__ import annotations

import sqlalchemy as sa

from graphpost.store.types import UTCDateTime

# Deterministic constraint names, so that migrations can refer to them on both backends.
metadata = sa.MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

GUID = sa.String(36)

tenants = sa.Table(
    "tenants", metadata,
    sa.Column("id", GUID, primary_key=True),
    sa.Column("display_name", sa.String(256), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# Accepted domains: mail for these domains is local to the tenant.
domains = sa.Table(
    "domains", metadata,
    sa.Column("name", sa.String(255), primary_key=True),  # always lower case
    sa.Column("tenant_id", GUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True),
)

users = sa.Table(
    "users", metadata,
    sa.Column("id", GUID, primary_key=True),
    sa.Column("tenant_id", GUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("user_principal_name", sa.String(320), nullable=False),
    # Lower-cased copies: Graph matches UPNs and addresses case-insensitively.
    sa.Column("upn_key", sa.String(320), nullable=False, unique=True),
    sa.Column("mail", sa.String(320), nullable=False),
    sa.Column("mail_key", sa.String(320), nullable=False, unique=True),
    sa.Column("display_name", sa.String(256), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

apps = sa.Table(
    "apps", metadata,
    sa.Column("client_id", GUID, primary_key=True),
    sa.Column("tenant_id", GUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("display_name", sa.String(256), nullable=False),
    sa.Column("secret_hash", sa.String(256), nullable=False),
    sa.Column("permissions", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)
