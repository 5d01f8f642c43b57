"""Delegated scopes as a client asks for them: Graph's permissions, by full name
(`https://graph.microsoft.com/Mail.Send`) or short (`Mail.Send`, which Entra reads as Graph's),
`{resource}/.default`, and OpenID Connect's own scopes."""

from __future__ import annotations

from dataclasses import dataclass

from graphpost.auth.permissions import DEFAULT_DELEGATED_SCOPES, KNOWN_PERMISSIONS
from graphpost.identity import errors
from graphpost.identity.resources import MAX_SCOPE, Resource, default_resource, resource_named
from graphpost.identity.tenants import TenantRef

OIDC_SCOPES = ("openid", "profile", "email", "offline_access")
_CANONICAL = {name.lower(): name for name in KNOWN_PERMISSIONS}


@dataclass(frozen=True)
class DelegatedScopes:
    resource: Resource
    permissions: tuple[str, ...]  # Graph's names, as the token's `scp` carries them
    oidc: tuple[str, ...]         # the OpenID Connect scopes asked for
    # The permissions as the answer's `scope` names them: as the client wrote them, `.default`
    # spelled out with the resource. MSAL files the token under these and finds it again only if
    # they contain what it asks for next time.
    named: tuple[str, ...]

    @property
    def granted(self) -> str:
        """The `scope` of the answer: the permissions and the OpenID scopes but offline_access,
        which Entra does not name there (it answers it with a refresh token)."""
        return " ".join([*self.named, *(name for name in self.oidc if name != "offline_access")])


def delegated(scope: str, tenant: TenantRef, base: str = "") -> DelegatedScopes:
    """`base` is the scheme and host the client called: a login host serves its own cloud's Graph
    (graphpost/identity/resources.py)."""
    names = scope.split()
    if not names:
        raise errors.missing_parameter("scope")
    if len(scope) > MAX_SCOPE:
        raise errors.invalid_scope(scope[:100] + "…")
    oidc = tuple(dict.fromkeys(name.lower() for name in names if name.lower() in OIDC_SCOPES))
    asked = [name.rpartition("/") for name in names if name.lower() not in OIDC_SCOPES]
    # A resource by any of its names counts once, an unknown one by its own name: more than one is
    # refused before any is looked at, as Entra does.
    graph = default_resource(base)
    named = {prefix: resource_named(prefix, base) if slash else graph for prefix, slash, _ in asked}
    if len({resource.identifier if resource else prefix.lower() for prefix, resource in named.items()}) > 1:
        raise errors.several_resources(scope)
    resource = next(iter(named.values()), None) or graph
    permissions: list[str] = []
    spelled: list[str] = []
    for prefix, slash, permission in asked:
        if named[prefix] is None:
            raise errors.unknown_resource(prefix, tenant.segment)
        if permission == ".default":
            # graphpost keeps no consented permissions per app: `.default` is what `graphpost token` grants.
            permissions += DEFAULT_DELEGATED_SCOPES
            spelled += [f"{resource.identifier}/{name}" for name in DEFAULT_DELEGATED_SCOPES]
        elif permission.lower() in _CANONICAL:
            permissions.append(_CANONICAL[permission.lower()])
            spelled.append(prefix + slash + permission)
        else:
            raise errors.invalid_scope(prefix + slash + permission)
    if not permissions:
        # Only OpenID scopes: the token is for the login host's Graph, with what `.default` grants.
        permissions += DEFAULT_DELEGATED_SCOPES
        spelled += [f"{resource.identifier}/{name}" for name in DEFAULT_DELEGATED_SCOPES]
    return DelegatedScopes(resource, tuple(dict.fromkeys(permissions)), oidc, tuple(dict.fromkeys(spelled)))
