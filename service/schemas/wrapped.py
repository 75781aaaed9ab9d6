"""Wrapped as the API returns it: the report, its refusals and the Top Songs formats.

The report's shape is :class:`wrapped.report.Report` itself (pydantic, one model per card),
so the JSON served and the OpenAPI schema are the domain's own, never a hand-kept copy.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from wrapped.export import ExportFormat
from wrapped.report import Report

WrappedReport = Report
TopSongsFormat = ExportFormat


class RefusalItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str
    ctx: dict[str, Any] | None = None


class Refusal(BaseModel):
    """FastAPI's error shape. ``type`` names the reason; a ``not_eligible`` refusal carries
    the listener's numbers and the thresholds in ``ctx``."""

    detail: list[RefusalItem]


def _refusal(description: str, example: dict[str, Any]) -> dict[str, Any]:
    return {
        "model": Refusal,
        "description": description,
        "content": {"application/json": {"example": {"detail": [example]}}},
    }


REFUSALS: dict[int | str, dict[str, Any]] = {
    403: _refusal(
        "the listener opted out of Wrapped",
        {"loc": ["path", "user_id"], "msg": "this listener has opted out of Wrapped",
         "type": "wrapped_opted_out"},
    ),
    404: _refusal(
        "unknown user (`not_found`), or no listening in the window (`nothing_to_wrap`)",
        {"loc": ["path", "year"], "msg": "nothing to wrap: no listening in 2024",
         "type": "nothing_to_wrap"},
    ),
    409: _refusal(
        "not enough listening yet (ENCORE_WRAPPED__MIN_STREAMS, ENCORE_WRAPPED__MIN_ARTISTS)",
        {"loc": ["path", "year"],
         "msg": "not enough listening yet: 12 of 30 streams and 3 of 5 artists",
         "type": "not_eligible",
         "ctx": {"streams": 12, "artists": 3, "minutes": 41, "required_streams": 30,
                 "required_artists": 5}},
    ),
    422: _refusal(
        "a malformed parameter, an unknown timezone or a range that ends before it starts",
        {"loc": ["query", "tz"], "msg": "unknown timezone 'Mars/Olympus'; use an IANA name",
         "type": "value_error"},
    ),
}  # fmt: skip

EXPORT_MEDIA: dict[str, dict[str, Any]] = {
    "application/json": {},
    "audio/x-mpegurl": {},
    "application/xspf+xml": {},
    "text/uri-list": {},
}
