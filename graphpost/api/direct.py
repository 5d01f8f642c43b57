"""sendMail served straight from ASGI, ahead of FastAPI's router, from the router's own route table.

sendMail is the call a busy client makes most, and its work is small next to what FastAPI's
router and its layers around a route cost (matching the path against every route, the exit
stacks, the endpoint wrappers): measured under load, a fifth of sendMail's time on the event loop
(bench/README.md). So a request that the router would give to a sendMail route is given here to
that route's own endpoint (api/routes/send.py: it takes nothing but the request), and its errors
become Graph's envelope through the same api/errors.py; the request ids and the body limit still
apply (this sits inside their middleware).

Nothing here repeats the routes: at start-up (when Starlette builds the middleware stack, before
the lifespan runs) the sendMail routes are found in the app's table (fastapi.routing's
iter_route_contexts: the routes of the included routers, in the order the router tries them, with
their prefixes and the dependencies of their inclusion), and a request is matched as the router
matches it — each route by its compiled path pattern and its methods, as its `matches()` does,
the first full match winning — so a new prefix for sendMail is served here too, and a path that an
earlier route takes still reaches that route through the router.
Only the routes up to the last sendMail route can come first, and only those that accept a
sendMail method can match, so a request tries a handful of patterns at most.

A sendMail route that asks for more than the request (a dependency, a parameter, a body limit of
its own, a model to render its answer) would have that skipped here: the app refuses to start
instead (FastPathMismatch), naming the route and what it asks for.

A $batch runs each of its requests through the whole app again (api/routes/batch.py), this
middleware included: a sendMail inside a $batch is served here too, as one outside it is."""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import Any, Sequence

from fastapi import FastAPI
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from graphpost.api.errors import error_response
from graphpost.api.routes.send import send_mail

FAST_ENDPOINTS = (send_mail,)


@dataclass(frozen=True)
class Candidate:
    """A route that the router tries before the last sendMail route, for a request of its method."""

    route: RouteContext
    fast: bool  # a sendMail route, served here
    # Read once from the route (a RouteContext reaches them through __getattr__): its compiled
    # pattern (None for a route of another kind, asked through its matches()), methods, convertors.
    path_regex: re.Pattern[str] | None
    methods: frozenset[str] | None
    convertors: dict[str, Any]

    @classmethod
    def of(cls, route: RouteContext, fast: bool) -> Candidate:
        methods = route.methods
        return cls(route, fast, getattr(route, "path_regex", None), None if methods is None else frozenset(methods),
                   getattr(route, "param_convertors", {}))

    def match(self, scope: Scope, path: str | None) -> Scope | None:
        """The child scope (endpoint, path parameters) when the route takes the request as a whole."""
        if path is None or self.path_regex is None:
            match, child_scope = self.route.matches(scope)
            return child_scope if match is Match.FULL else None
        found = self.path_regex.match(path)
        if found is None or (self.methods and scope["method"] not in self.methods):
            return None
        path_params = dict(scope.get("path_params", {}))
        path_params.update((key, self.convertors[key].convert(value)) for key, value in found.groupdict().items())
        return {"endpoint": self.route.endpoint, "path_params": path_params}


class FastPathMismatch(RuntimeError):
    """A route served ahead of the router asks for something that only the router would provide."""


class DirectRoutes:
    def __init__(self, app: ASGIApp, graph_app: FastAPI) -> None:
        self.app = app
        self.graph_app = graph_app
        # The table as the router walks it: the routes of the included routers, in order, each
        # with its prefix and the dependencies of its inclusion.
        table = list(iter_route_contexts(graph_app.router.routes))
        fast = [index for index, route in enumerate(table) if route.endpoint in FAST_ENDPOINTS]
        if not fast:
            raise FastPathMismatch("api/direct.py serves sendMail ahead of the router, but no route of the app "
                                   "calls send_mail: route it again, or take the fast path off (api/app.py)")
        for index in fast:
            check_route(table[index])
        self.fast_routes: tuple[RouteContext, ...] = tuple(table[index] for index in fast)
        self.methods = frozenset().union(*(route.methods or () for route in self.fast_routes))
        # The routes that the router tries up to the last sendMail route and that could take a request
        # of a sendMail method (a route without methods takes any), each with whether it is one.
        self.candidates: tuple[Candidate, ...] = tuple(
            Candidate.of(route, index in fast)
            for index, route in enumerate(table[:fast[-1] + 1])
            if route.methods is None or self.methods & route.methods)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in self.methods:
            # A route's own matches() costs several times its regex alone (a few µs each, on every
            # POST): with no root_path to strip, the path is matched as matches() would match it.
            path = None if scope.get("root_path") else scope["path"]
            for candidate in self.candidates:
                child_scope = candidate.match(scope, path)
                if child_scope is not None:
                    if candidate.fast:
                        await self._serve(candidate.route, child_scope, scope, receive, send)
                        return
                    break  # another route comes first: the router serves it
        await self.app(scope, receive, send)

    async def _serve(self, route: RouteContext, child_scope: Scope, scope: Scope, receive: Receive,
                     send: Send) -> None:
        # What the app and its router would have put in the scope for the endpoint.
        scope["app"] = self.graph_app
        scope["router"] = self.graph_app.router
        scope["route"] = route.original_route
        scope.update(child_scope)
        request = Request(scope, receive, send)
        endpoint = route.endpoint
        assert endpoint is not None  # check_route refused a fast route without one at start-up
        try:
            response = await endpoint(request)
        except Exception as exc:
            response = error_response(request, exc)
        await response(scope, receive, send)


def check_route(route: RouteContext) -> None:
    """Refuses (FastPathMismatch) a route whose endpoint the fast path cannot call as the router
    would: with the request alone, and its answer sent as it is."""
    problems = _what_the_router_would_add(route)
    if problems:
        methods = " ".join(sorted(route.methods or ()))
        path = route.path
        raise FastPathMismatch(
            f"api/direct.py serves {methods} {path} ahead of FastAPI's router, calling its endpoint with the "
            f"request alone, but the route asks for {'; '.join(problems)}: the fast path would skip it. "
            "Do that work in the endpoint, or take the route off the fast path (api/direct.py FAST_ENDPOINTS)")


def _what_the_router_would_add(route: RouteContext) -> list[str]:
    if not isinstance(route.original_route, APIRoute):
        return [f"a route of another kind ({type(route.original_route).__name__})"]
    dependant = route.dependant
    problems: list[str] = []
    if dependant.dependencies:
        problems.append("dependencies (" + ", ".join(_name(sub.call) for sub in dependant.dependencies) + ")")
    params: Sequence[Any] = (dependant.path_params + dependant.query_params + dependant.header_params
                             + dependant.cookie_params + dependant.body_params)
    if params:
        problems.append("parameters solved by FastAPI (" + ", ".join(param.name for param in params) + ")")
    for kind in ("websocket", "http_connection", "response", "background_tasks", "security_scopes"):
        name = getattr(dependant, f"{kind}_param_name")
        if name is not None:
            problems.append(f"a {kind.replace('_', ' ')} parameter ({name})")
    if dependant.request_param_name is None:
        problems.append("no Request parameter")
    if route.max_body_size is not None:
        problems.append(f"a body limit of its own ({route.max_body_size} bytes)")
    if route.endpoint is None:
        problems.append("no endpoint")
        return problems
    if not inspect.iscoroutinefunction(route.endpoint):
        problems.append("a synchronous endpoint (run in a thread by FastAPI)")
    returns = inspect.signature(route.endpoint, eval_str=True).return_annotation
    if not (inspect.isclass(returns) and issubclass(returns, Response)):
        problems.append("an answer rendered by FastAPI (its endpoint does not return a Response)")
    return problems


def _name(call: Any) -> str:
    return getattr(call, "__qualname__", None) or repr(call)
