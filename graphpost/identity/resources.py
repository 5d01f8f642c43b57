"""The resources a token can be asked for, by scope, and the audience its token carries.

A client-credentials scope is `{resource}/.default` (Entra's rule for that grant). Each cloud's
Graph has its own resource identifier and tokens carry it as their audience; graphpost knows the
global cloud's, and each national cloud is one more entry here."""

from __future__ import annotations

from dataclasses import dataclass

from graphpost.auth.tokens import GRAPH_APP_ID, GRAPH_AUDIENCE

DEFAULT_SUFFIX = "/.default"
# A scope parameter is a few names; anything past this is no request a client makes.
MAX_SCOPE = 2048


@dataclass(frozen=True)
class Resource:
    identifier: str  # what a scope names, and the token's `aud`
    cloud: str


GRAPH = Resource(GRAPH_AUDIENCE, "global")
RESOURCES = {
    GRAPH_AUDIENCE: GRAPH,
    # Entra accepts a resource by its application id too: `00000003-…/.default`.
    GRAPH_APP_ID: GRAPH,
}


def resource_named(name: str) -> Resource | None:
    return RESOURCES.get(name.rstrip("/").lower())
