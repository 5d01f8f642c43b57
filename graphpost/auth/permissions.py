"""Graph permissions as tokens carry them, and the principal a verified token stands for."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from graphpost.errors import AccessDenied

# The mail and user permissions graphpost knows; tokens and app grants use these names exactly.
KNOWN_PERMISSIONS = frozenset({
    "Mail.Read", "Mail.ReadBasic", "Mail.ReadBasic.All", "Mail.ReadWrite", "Mail.Send",
    "Mail.Read.Shared", "Mail.ReadWrite.Shared", "Mail.Send.Shared",
    "User.Read", "User.Read.All", "User.ReadBasic.All",
})
DEFAULT_DELEGATED_SCOPES = ("Mail.ReadWrite", "Mail.Send")


class PrincipalKind(str, Enum):
    DELEGATED = "delegated"      # a user signed in to an app: permissions in `scp`
    APPLICATION = "application"  # an app acting as itself: permissions in `roles`


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    tenant_id: str
    app_id: str
    permissions: frozenset[str]
    user_id: str | None = None  # the signed-in user, for delegated tokens only

    @property
    def is_delegated(self) -> bool:
        return self.kind is PrincipalKind.DELEGATED

    def require(self, *any_of: str) -> None:
        """Raise AccessDenied unless the token carries at least one of these permissions."""
        if not self.permissions.intersection(any_of):
            raise AccessDenied()


def unknown_permissions(names: list[str]) -> list[str]:
    return [name for name in names if name not in KNOWN_PERMISSIONS]
