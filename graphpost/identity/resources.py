"""The resources a token can be asked for, by scope, and the audience its token carries.

A client-credentials scope is `{resource}/.default` (Entra's rule for that grant). Each cloud's
Graph has its own resource identifier (graphpost.auth.clouds) and tokens carry it as their
audience. A login host serves its own cloud only: Entra's sign-in service of one cloud knows no
resource of another, and answers such a scope as any unknown resource (AADSTS500011). graphpost
reached on any other host (its own address) serves every cloud."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from graphpost.auth import clouds
from graphpost.auth.tokens import GRAPH_APP_ID

DEFAULT_SUFFIX = "/.default"
# A scope parameter is a few names; anything past this is no request a client makes.
MAX_SCOPE = 2048


@dataclass(frozen=True)
class Resource:
    identifier: str  # what a scope names, and the token's `aud`
    cloud: clouds.Cloud


RESOURCES = {cloud.audience: Resource(cloud.audience, cloud) for cloud in clouds.CLOUDS}
GRAPH = RESOURCES[clouds.GLOBAL.audience]
# Entra accepts a resource by its application id too: `00000003-…/.default`. Every cloud's Graph
# has that id; a login host reads it as its own cloud's Graph.
_BY_APP_ID = {cloud.name: RESOURCES[cloud.audience] for cloud in clouds.CLOUDS}


def served_clouds(base: str) -> tuple[clouds.Cloud, ...]:
    """The clouds whose resources a token endpoint called at `base` (scheme and host) serves:
    those of the login host called, every cloud on any other host."""
    host = clouds.host_name(urlsplit(base).netloc)
    own = tuple(cloud for cloud in clouds.CLOUDS if host in cloud.login_hosts)
    return own or clouds.CLOUDS


def resource_named(name: str, base: str = "") -> Resource | None:
    """The resource a scope's prefix names, if the token endpoint at `base` serves it."""
    served = served_clouds(base)
    key = name.rstrip("/").lower()
    if key == GRAPH_APP_ID:
        return _BY_APP_ID[served[0].name]
    resource = RESOURCES.get(key)
    return resource if resource is not None and resource.cloud in served else None


def default_resource(base: str = "") -> Resource:
    """The Graph a permission without a resource (`Mail.Send`) is for: the login host's cloud's,
    the global cloud's on any other host."""
    return RESOURCES[served_clouds(base)[0].audience]
