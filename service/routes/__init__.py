"""Every router of the API, in one visible table."""

from fastapi import APIRouter

from service.routes import (
    catalog,
    events,
    feedback,
    health,
    history,
    imports,
    pages,
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
    pages.router,      # GET /wrapped (upload an export, land on the story)
)  # fmt: skip
