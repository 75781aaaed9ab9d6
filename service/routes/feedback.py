"""``POST /v1/feedback``: explicit signals, batched and validated like events."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import TypeAdapter

from models.ingest import ingest_feedback
from service import metrics
from service.batch import outside_window, parse_envelope, read_body, report, validate_items
from service.deps import SettingsDep, StoreDep
from service.openapi import json_body
from service.schemas.errors import ErrorBody
from service.schemas.events import BatchResult
from service.schemas.feedback import FeedbackBatchIn, FeedbackIn

router = APIRouter(prefix="/v1/feedback", tags=["feedback"])

FEEDBACK = TypeAdapter(list[FeedbackIn])


@router.post(
    "",
    response_model=BatchResult,
    responses={422: {"model": BatchResult | ErrorBody}, 413: {}, 400: {}},
    openapi_extra=json_body(FeedbackBatchIn),
)
async def post_feedback(request: Request, settings: SettingsDep, store: StoreDep) -> Response:
    """Record likes, unlikes, saves and shares; the same signal at the same time is kept once."""
    limits = settings.ingest
    body = await read_body(request, limits.max_body_bytes)
    items = parse_envelope(body, "feedback", limits.max_batch_events)
    valid, rejected = validate_items(items, FEEDBACK)
    valid, late = outside_window(valid, limits)
    records = [fb.to_record() for _, fb in valid]
    result = await run_in_threadpool(ingest_feedback, store.engine, store.resolver, records)
    status, out = report(result, rejected + late, [i for i, _ in valid], "feedback")
    metrics.count_batch(
        "feedback", accepted=out.accepted, duplicates=out.duplicates, rejected=len(out.rejected)
    )
    return Response(out.model_dump_json(), status_code=status, media_type="application/json")
