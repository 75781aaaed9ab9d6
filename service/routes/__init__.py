"""Every router of the API, in one visible table, with the access each needs.

The access is checked before anything else on every route of the router: ``PUBLIC``
(no credential), ``READ``, ``INGEST``, ``ADMIN`` (an API key with that scope; ``admin``
implies all), or ``READ_OWN`` / ``ADMIN_OWN`` (the same, or the end-user token of the
route's ``{user_id}``). A route that needs more than its router adds a dependency from
``service.deps`` to its decorator, e.g. ``dependencies=[AdminOrOwnerScope]``.

Requests are matched against the routes in this order, so the hot read path (the user
list) comes right after the health probes: every router above a route costs its
requests a failed pattern match per route.

``DIRECT`` names the routes answered ahead of all of them, outside FastAPI's dependency
resolution, by a plain handler after the same checks (:mod:`service.direct_route`): the
FastAPI route documents the operation, the handler answers it.
"""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter

from service.auth.access import Access
from service.deps import (
    ADMIN,
    ADMIN_OWN,
    INGEST,
    INGEST_ANY_USER,
    PUBLIC,
    READ,
    READ_ANY_USER,
    READ_OWN,
)
from service.direct_route import Handler
from service.routes import (
    audiences,
    catalog,
    dashboard,
    events,
    experiments,
    feedback,
    health,
    history,
    imports,
    metrics,
    pages,
    product_metrics,
    recommendations,
    sharing,
    signin,
    similar,
    users,
    whoami,
    wrapped,
)  # fmt: skip

ROUTERS: tuple[tuple[APIRouter, Access], ...] = (
    (health.router,    PUBLIC),    # GET /healthz, GET /readyz
    (recommendations.router, READ_OWN),  # GET /v1/users/{user_id}/recommendations,
                                         # POST /v1/recommendations (key only)
    (whoami.router,    READ_ANY_USER),  # GET /v1/whoami (a read key or any listener's token)
    (events.router,    INGEST),    # POST /v1/events
    (feedback.router,  INGEST),    # POST /v1/feedback
    (catalog.router,   READ),      # GET /v1/items, GET /v1/artists
    (history.router,   READ_OWN),  # GET /v1/users/{user_id}/history
    (similar.router,   READ_OWN),  # GET /v1/users/{user_id}/similar; GET /v1/items|artists/
                                   # {id}/similar (key only)
    (imports.router,   INGEST_ANY_USER),  # POST /v1/imports, GET /v1/imports/{job_id}
                                          # (a listener: their own uploads)
    (wrapped.router,   READ_OWN),  # GET /v1/users/{user_id}/wrapped[/{year}[/top-songs]]
    (sharing.router,   READ_OWN),  # .../wrapped/{year}/card.png|story; POST|DELETE .../share
                                   # (admin or the user)
    (sharing.public,   PUBLIC),    # GET /share/{token}[/card.png], /static/wrapped/{name}
    (users.router,     ADMIN_OWN), # POST .../tokens (admin), PUT .../privacy,
                                   # GET .../export, DELETE /v1/users/{user_id}
    (signin.router,    PUBLIC),    # GET|POST /signin, POST /signout
    (metrics.router,   PUBLIC),    # GET /metrics
    (product_metrics.router, READ),  # GET /v1/metrics/*, GET /v1/artists/{artist_id}/stats
    (experiments.router, ADMIN),   # /v1/experiments[/{name}[/stop|/report]], .../-/assignment
    (audiences.router, ADMIN),     # /v1/audiences[/{name}[/export.csv|/deliveries]]
    (dashboard.router, READ),      # GET /dashboard (a signed-in operator's session)
    (pages.router,     INGEST_ANY_USER),  # GET /wrapped: upload an export, land on the story
)  # fmt: skip

DIRECT: tuple[tuple[Callable[..., Any], Handler], ...] = (
    # GET /v1/users/{user_id}/recommendations: the hot read path
    (recommendations.recommendations, recommendations.user_list),
)
