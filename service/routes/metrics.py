"""``GET /metrics``: Prometheus text exposition (see :mod:`service.metrics`)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from service.metrics import exposition

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response, include_in_schema=False)
def read_metrics() -> Response:
    body, media_type = exposition()
    return Response(body, media_type=media_type)
