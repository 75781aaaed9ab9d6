"""The FastAPI application: wiring only; behaviour lives in the routes and below."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline
from sqlalchemy.exc import SQLAlchemyError

from models.errors import StoreError
from service import direct_route, errors, metrics, openapi
from service.auth.access import CSRF_HEADER, Gate
from service.auth.keys import KeyCache
from service.auth.ratelimit import RateLimiter
from service.auth.tokens import TokenSigner, load_secret
from service.guards import refuse_nul
from service.middleware import BodyLimit, RequestContext
from service.recs.runtime import Recs
from service.routes import DIRECT, ROUTERS
from service.settings import Settings, get_settings
from service.store import Store

log = logging.getLogger(__name__)

DESCRIPTION = """Encore stores listening history, recommends what to play next and
builds each listener's year in review. Send plays to `POST /v1/events`."""


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """Build the app; the store opens at start-up unless one is handed in (tests do)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = store is None
        app.state.store = store or Store.open(settings)
        log.info(
            "serving with database %s",
            app.state.store.engine.url.render_as_string(hide_password=True),
        )
        app.state.gate = gate(settings, app.state.store)
        if not settings.auth.enabled:
            log.warning(
                "auth is OFF (ENCORE_AUTH=off): anyone who can reach this server "
                "can read and change everything; for local demos only"
            )
        app.state.recs = Recs.create(app.state.store.sessions, settings)
        app.state.models = app.state.recs.models
        app.state.user_caches = [app.state.recs]
        try:
            app.state.models.refresh()
        except (StoreError, SQLAlchemyError) as exc:  # /readyz reports it; requests retry
            log.warning("no model loaded at start: %s", str(exc).splitlines()[0])
        app.state.recs.log.start()
        try:
            yield
        finally:
            app.state.recs.close()
            if owned:
                app.state.store.close()

    # Swagger UI from bundled assets, not a CDN: Encore runs offline. ReDoc is off
    # because its page pulls web fonts from the internet.
    app = FastAPIOffline(
        redoc_url=None,
        title="Encore",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(refuse_nul)],
    )
    app.state.settings = settings
    for router, access in ROUTERS:
        app.include_router(router, dependencies=[Depends(access)] if access.scope else None)
    for endpoint, handler in DIRECT:
        direct_route.install(app, endpoint, handler)
    errors.install(app)
    openapi.install(app, ROUTERS)
    install_middleware(app, settings)
    return app


def gate(settings: Settings, store: Store) -> Gate:
    auth = settings.auth
    return Gate(
        enabled=auth.enabled,
        keys=KeyCache(store.sessions, ttl=auth.key_cache_seconds),
        signer=TokenSigner(load_secret(auth), ttl_seconds=auth.token_ttl_seconds),
        limiter=RateLimiter(rate=auth.rate_per_second, burst=auth.rate_burst),
        user_limiter=RateLimiter(rate=auth.user_rate_per_second, burst=auth.user_rate_burst),
    )


def body_limits(settings: Settings) -> dict[str, int]:
    """Paths allowed a larger body than ``ENCORE_HTTP__MAX_BODY_BYTES``: their routes
    check their own limit with a precise message; the middleware is the backstop."""
    multipart_slack = 1024 * 1024
    return {
        "/v1/events": settings.ingest.max_body_bytes,
        "/v1/feedback": settings.ingest.max_body_bytes,
        "/v1/imports": settings.imports.max_upload_bytes + multipart_slack,
    }


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """Outermost first: request id, log and metrics; CORS (only with origins set); size."""
    app.add_middleware(BodyLimit, default=settings.http.max_body_bytes,
                       limits=body_limits(settings))  # fmt: skip
    if settings.http.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.http.cors_origins, allow_credentials=False,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["authorization", "content-type", "x-request-id", CSRF_HEADER],
            expose_headers=["x-request-id", "retry-after", "location"], max_age=600,
        )  # fmt: skip
    app.add_middleware(RequestContext)
    metrics.MODEL_VERSION.set(0)
