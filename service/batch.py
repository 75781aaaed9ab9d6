"""Validating batches item by item, so one bad event never sinks the rest.

The envelope (valid JSON, an object with the list, within the size and count
limits) is all-or-nothing and fails with a 4xx; each item is then validated on
its own and reported by index.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

import orjson
from fastapi import Request
from pydantic import BaseModel, TypeAdapter, ValidationError

from models.records import IngestResult
from service.errors import ApiError
from service.schemas.events import BatchResult, FieldError, RejectedItem
from service.settings import IngestSettings

M = TypeVar("M", bound=BaseModel)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 once it grows past ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError(
            413, ["body"], f"body is {declared} bytes; the limit is {limit}", "too_large"
        )
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, ["body"], f"body is over the limit of {limit} bytes", "too_large")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_envelope(body: bytes, key: str, limit: int) -> list[Any]:
    """The list under ``key`` in a JSON object body, checked against the count limit."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, ["body"], f"body is not valid JSON: {exc}", "json_invalid") from None
    if not isinstance(payload, dict) or key not in payload:
        raise ApiError(422, ["body", key], f'body must be an object with a "{key}" list', "missing")
    extra = sorted(set(payload) - {key})
    if extra:
        raise ApiError(422, ["body", extra[0]], "unexpected field", "extra_forbidden")
    items = payload[key]
    if not isinstance(items, list):
        raise ApiError(422, ["body", key], f'"{key}" must be a list', "list_type")
    if not items:
        raise ApiError(422, ["body", key], f'"{key}" is empty', "too_short")
    if len(items) > limit:
        raise ApiError(
            422, ["body", key], f"at most {limit} per batch, got {len(items)}", "too_long"
        )
    return items


def _errors(exc: ValidationError, strip: int) -> dict[int, list[FieldError]]:
    grouped: dict[int, list[FieldError]] = {}
    for err in exc.errors(include_url=False, include_input=False):
        loc = list(err["loc"])
        index = int(loc[0]) if strip else 0
        grouped.setdefault(index, []).append(
            FieldError(loc=loc[strip:], msg=err["msg"], type=err["type"])
        )
    return grouped


def validate_items(
    items: list[Any], adapter: TypeAdapter[list[M]]
) -> tuple[list[tuple[int, M]], list[RejectedItem]]:
    """Validate every item; returns (index, model) for the good ones and the rejections."""
    try:
        return list(enumerate(adapter.validate_python(items))), []
    except ValidationError as exc:
        bad = _errors(exc, strip=1)
    good = [i for i in range(len(items)) if i not in bad]
    models = adapter.validate_python([items[i] for i in good])
    rejected = [RejectedItem(index=i, errors=errs) for i, errs in sorted(bad.items())]
    return list(zip(good, models, strict=True)), rejected


class Timed(Protocol):
    @property
    def ts(self) -> datetime | None: ...


T = TypeVar("T", bound=Timed)


def outside_window(
    items: list[tuple[int, T]], limits: IngestSettings
) -> tuple[list[tuple[int, T]], list[RejectedItem]]:
    """Split off items whose ``ts`` is too far in the future or before the earliest allowed
    time (for events and feedback alike); an item without ``ts`` means now and is kept."""
    latest = datetime.now(UTC) + timedelta(seconds=limits.max_future_skew_seconds)
    kept, rejected = [], []
    for index, item in items:
        if item.ts is not None and item.ts > latest:
            msg = f"timestamp is in the future (more than {limits.max_future_skew_seconds} s ahead)"
        elif item.ts is not None and item.ts < limits.earliest_ts:
            msg = f"timestamp is before {limits.earliest_ts.isoformat()}"
        else:
            kept.append((index, item))
            continue
        rejected.append(
            RejectedItem(index=index, errors=[FieldError(loc=["ts"], msg=msg, type="value_error")])
        )
    return kept, rejected


def report(
    result: IngestResult, rejected: Sequence[RejectedItem], stored_indices: Sequence[int], key: str
) -> tuple[int, BatchResult]:
    """The response status and body for a processed batch.

    ``stored_indices[i]`` is the batch position of the i-th record sent to the store.
    200 when every item was stored or was a duplicate, 422 when any was rejected
    (the good ones are stored all the same).
    """
    all_rejected = list(rejected) + [
        RejectedItem(
            index=stored_indices[r.index],
            errors=[FieldError(loc=[r.field], msg=r.reason, type="value_error")],
        )
        for r in result.rejected
    ]
    all_rejected.sort(key=lambda r: r.index)
    detail = [
        FieldError(loc=["body", key, r.index, *e.loc], msg=e.msg, type=e.type)
        for r in all_rejected
        for e in r.errors
    ]
    body = BatchResult(
        accepted=result.accepted,
        duplicates=result.duplicates,
        rejected=all_rejected,
        detail=detail,
    )
    return (422 if all_rejected else 200), body
