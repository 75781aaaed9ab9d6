"""Every router of the API, in one visible table."""

from fastapi import APIRouter

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
    recommendations,
    sharing,
    wrapped,
)  # fmt: skip

ROUTERS: tuple[APIRouter, ...] = (
    health.router,     # GET /healthz, GET /readyz
    events.router,     # POST /v1/events
    feedback.router,   # POST /v1/feedback
    catalog.router,    # GET /v1/items, GET /v1/artists
    history.router,    # GET /v1/users/{user_id}/history
    recommendations.router,  # GET /v1/users/{user_id}/recommendations, /v1/items/{item_id}/similar
    imports.router,    # POST /v1/imports, GET /v1/imports/{job_id}
    wrapped.router,    # GET /v1/users/{user_id}/wrapped[/{year}[/top-songs]]
    sharing.router,    # .../wrapped/{year}/card.png|story|share, GET /share/{token}
    metrics.router,    # GET /v1/metrics/*, GET /v1/artists/{artist_id}/stats
    experiments.router,  # /v1/experiments[/{name}[/stop|/report]], /v1/experiments/-/assignment
    audiences.router,  # /v1/audiences[/{name}[/export.csv|/deliveries]]
    dashboard.router,  # GET /dashboard
)  # fmt: skip
