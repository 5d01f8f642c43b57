"""The `{tenant}` segment of an identity URL: a tenant's id, one of its accepted domains, or one
of Entra's multi-tenant names."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from graphpost.identity import errors
from graphpost.store import directory as rows
from graphpost.store.database import Database

# Entra's names for "any organisation's tenant": the v2 endpoint serves discovery documents
# for them. (`consumers`, personal Microsoft accounts, has no counterpart in graphpost.)
MULTI_TENANT = ("common", "organizations")
# A domain name is at most 253 characters (RFC 1035 §2.3.4); nothing longer is looked up.
MAX_SEGMENT = 253


@dataclass(frozen=True)
class TenantRef:
    segment: str           # as written in the URL's path
    tenant_id: str | None  # None for `common` and `organizations`

    @property
    def path_segment(self) -> str:
        """What graphpost writes in the URLs it hands out: the id, as Entra resolves a domain."""
        return self.tenant_id or self.segment.lower()


async def resolve(db: Database, segment: str) -> TenantRef:
    """The tenant a URL names; invalid_tenant (AADSTS90002) for one graphpost does not have."""
    if segment.lower() in MULTI_TENANT:
        return TenantRef(segment, None)
    if not segment or len(segment) > MAX_SEGMENT or "\x00" in segment:
        raise errors.unknown_tenant(segment[:MAX_SEGMENT])
    async with db.read() as conn:
        try:
            guid = str(uuid.UUID(segment))
        except ValueError:
            tenant_id = await rows.tenant_of_domain(conn, segment)
        else:
            tenant_id = guid if await rows.tenant_exists(conn, guid) else None
    if tenant_id is None:
        raise errors.unknown_tenant(segment)
    return TenantRef(segment, tenant_id)
