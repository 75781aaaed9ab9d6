"""The FastAPI application: wiring only; behaviour lives in the routes and below."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi_offline import FastAPIOffline
from sqlalchemy.exc import SQLAlchemyError

from models.errors import StoreError
from service import errors, openapi
from service.guards import refuse_nul
from service.model_holder import ModelHolder
from service.routes import ROUTERS
from service.settings import Settings, get_settings
from service.store import Store

log = logging.getLogger(__name__)

DESCRIPTION = """Encore stores listening history, recommends what to play next and
builds each listener's year in review. Send plays to `POST /v1/events`."""


MULTIPART_SLACK = 1024 * 1024  # boundaries, part headers and the form fields of an upload


def body_ceiling(settings: Settings) -> int:
    """The most any request may send: refused with 413 from its Content-Length, or once it
    streams past it, before a byte reaches a route. Without it an oversized upload would be
    spooled to disk in full before the imports route could refuse it."""
    return max(settings.ingest.max_body_bytes, settings.imports.max_upload_bytes + MULTIPART_SLACK)


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
        app.state.models = ModelHolder(
            app.state.store.sessions,
            reload_seconds=settings.models.reload_seconds,
            root=settings.models.dir,
        )
        try:
            app.state.models.refresh()
        except (StoreError, SQLAlchemyError) as exc:  # /readyz reports it; requests retry
            log.warning("no model loaded at start: %s", str(exc).splitlines()[0])
        try:
            yield
        finally:
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
        max_body_size=body_ceiling(settings),
        dependencies=[Depends(refuse_nul)],
    )
    app.state.settings = settings
    for router in ROUTERS:
        app.include_router(router)
    errors.install(app)
    openapi.install(app)
    return app
