"""``POST /v1/events``: batches of listening events, stored idempotently."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import TypeAdapter

from models.ingest import ingest_events
from service import metrics
from service.batch import outside_window, parse_envelope, read_body, report, validate_items
from service.deps import SettingsDep, StoreDep
from service.openapi import json_body
from service.schemas.errors import ErrorBody
from service.schemas.events import BatchResult, EventBatchIn, EventIn

router = APIRouter(prefix="/v1/events", tags=["events"])

EVENTS = TypeAdapter(list[EventIn])


@router.post(
    "",
    response_model=BatchResult,
    responses={
        422: {
            "model": BatchResult | ErrorBody,
            "description": "some events rejected, the rest stored (`BatchResult`); or the "
            "envelope is wrong and nothing is stored (`detail` only)",
        },
        413: {"description": "body over the size limit"},
        400: {"description": "body is not JSON"},
    },
    openapi_extra=json_body(EventBatchIn),
)
async def post_events(request: Request, settings: SettingsDep, store: StoreDep) -> Response:
    """Store a batch of events. Each event is validated on its own: the valid ones are
    stored and every rejected one is reported by its index with field-level reasons.
    Sending the same event again (same ``event_id``, or without one the same user,
    item, ``ts`` and ``ms_played``) counts as a duplicate and stores nothing."""
    limits = settings.ingest
    body = await read_body(request, limits.max_body_bytes)
    items = parse_envelope(body, "events", limits.max_batch_events)
    valid, rejected = validate_items(items, EVENTS)
    valid, late = outside_window(valid, limits)
    records = [event.to_record() for _, event in valid]
    result = await run_in_threadpool(ingest_events, store.engine, store.resolver, records)
    status, out = report(result, rejected + late, [i for i, _ in valid], "events")
    metrics.count_batch(
        "events", accepted=out.accepted, duplicates=out.duplicates, rejected=len(out.rejected)
    )
    return Response(out.model_dump_json(), status_code=status, media_type="application/json")
