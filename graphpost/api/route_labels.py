"""The route template a request was served by, as the `route` label of /metrics.

The router puts the route it chose in the scope (`scope["route"]`), but a route object is shared
by every prefix it is included under (/v1.0 and /beta, /me and /users/{user_ref}), and its own
`path` lacks them. So each route is given, at start-up, its full templates with their compiled
patterns (at most four); a finished request matches its path against those of its route only.
The label is always one of the app's templates: a bounded set, whatever paths clients send."""

from __future__ import annotations

import re
from collections import defaultdict

from starlette.routing import BaseRoute, compile_path
from starlette.types import Scope

from graphpost.metrics import UNMATCHED


class RouteLabels:
    def __init__(self) -> None:
        self._templates: dict[int, list[tuple[re.Pattern[str], str]]] = defaultdict(list)

    def add(self, route: BaseRoute, prefix: str) -> None:
        path = getattr(route, "path", None)
        if path is not None:
            template = prefix + path
            self._templates[id(route)].append((compile_path(template)[0], template))

    def of(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is None:
            return UNMATCHED
        candidates = self._templates.get(id(route), ())
        if len(candidates) == 1:
            return candidates[0][1]
        path = scope["path"]
        for pattern, template in candidates:
            if pattern.match(path):
                return template
        return UNMATCHED
