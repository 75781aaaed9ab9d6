"""A hot route answered outside FastAPI's routing and dependency machinery.

FastAPI resolves a route's dependencies per request (``solve_dependencies``: the
parameters of every dependency, the query string, an exit stack) and matches a request
against each included router in turn; on the user list that cost more than building the
list (``bench/recs_inprocess.py``). A :class:`DirectRoute` answers the same path ahead of
all of that: it matches the documented route's path and methods itself, runs the
documented route's own checks (the app's guards and the ROUTERS table's access check,
read from the FastAPI route, so the two cannot drift apart) and then a plain handler.

The FastAPI route stays where it is: it is what OpenAPI documents and what tests list,
and it answers whatever the direct route does not match (another method: 405). The
request scope names the FastAPI route (``scope["route"]``), so metrics, the access log
and the access check's 401 see the same route template and dependencies as before, and
errors raised by a check or the handler go through the app's exception handlers.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from starlette._utils import get_route_path  # how Starlette's own routes read the path
from starlette.datastructures import URLPath
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound, request_response
from starlette.types import Receive, Scope, Send

Handler = Callable[[Request], Awaitable[Response]]
Check = Callable[[Request], Awaitable[Any]]


class DirectRoute(BaseRoute):
    """Answers the path and methods of the FastAPI route ``context`` (as the app includes
    it) with ``handler`` after ``checks``."""

    def __init__(self, context: RouteContext, checks: list[Check], handler: Handler) -> None:
        documented = context.original_route
        assert isinstance(documented, APIRoute)
        self.documented = documented
        self.path = self.path_format = context.path_format
        self.path_regex = context.path_regex
        self.param_convertors = context.param_convertors
        self.methods = frozenset(context.methods or ())
        self.endpoint = documented.endpoint
        self.include_in_schema = False
        self.checks = tuple(checks)
        self.handler = handler

        async def run(request: Request) -> Response:
            for check in self.checks:
                await check(request)
            return await handler(request)

        self.app = request_response(run)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] not in self.methods:
            return Match.NONE, {}
        found = self.path_regex.match(get_route_path(scope))
        if found is None:
            return Match.NONE, {}
        params = {k: self.param_convertors[k].convert(v) for k, v in found.groupdict().items()}
        path_params = {**scope.get("path_params", {}), **params}
        return Match.FULL, {"endpoint": self.endpoint, "path_params": path_params,
                            "route": self.documented}  # fmt: skip

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        """No names of its own: ``url_for`` finds the FastAPI route's."""
        raise NoMatchFound(name, path_params)

    def __repr__(self) -> str:
        return f"DirectRoute({sorted(self.methods)} {self.path_format})"


def install(app: FastAPI, endpoint: Callable[..., Any], handler: Handler) -> DirectRoute:
    """Answer the route of ``endpoint`` (as the app includes it) with ``handler``, ahead of
    every other route. Its dependencies must be checks that take only the request
    (``refuse_nul``, an :class:`~service.auth.access.Access`); anything else would need
    FastAPI's resolution, so it is refused here rather than skipped."""
    contexts = [c for c in iter_route_contexts(app.routes) if c.endpoint is endpoint]
    if len(contexts) != 1 or not isinstance(contexts[0].original_route, APIRoute):
        raise ValueError(f"{endpoint.__qualname__} is not exactly one FastAPI route of the app")
    context = contexts[0]
    checks: list[Check] = []
    for depends in context.dependencies:
        check = depends.dependency
        params = list(inspect.signature(check).parameters.values())
        asynchronous = inspect.iscoroutinefunction(check) or inspect.iscoroutinefunction(
            type(check).__call__
        )
        if not asynchronous or len(params) != 1 or params[0].annotation not in (Request, "Request"):
            raise ValueError(f"{check!r} is not an async check of the request; it needs FastAPI")
        checks.append(check)
    route = DirectRoute(context, checks, handler)
    app.router.routes.insert(0, route)
    return route
