"""Liveness and readiness, kept apart: a live process may still be unable to serve."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from models.engine import check_connection
from models.errors import StoreError
from models.migrate import current_revision, head_revision
from service.deps import StoreDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    revision: str | None = None
    reason: str | None = None


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(store: StoreDep) -> JSONResponse:
    """The database answers and its schema is the one this code expects."""

    def probe() -> Health:
        try:
            check_connection(store.engine)
            revision = current_revision(store.engine)
        except StoreError as exc:
            return Health(status="unavailable", reason=str(exc))
        if revision != head_revision():
            return Health(
                status="unavailable",
                revision=revision,
                reason=f"schema at {revision}, code expects {head_revision()}: "
                "run encore db upgrade",
            )
        return Health(status="ready", revision=revision)

    health = await run_in_threadpool(probe)
    return JSONResponse(health.model_dump(), status_code=200 if health.status == "ready" else 503)
