"""Listening events as clients send them, and the per-batch report they get back."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from models.listening import EventSource
from models.records import EventRecord
from service.schemas.fields import (
    ClientIdText,
    CountryCode,
    PlatformText,
    ReasonText,
    StrictMs,
    Timestamp,
    UserIdText,
)
from service.schemas.items import ItemIn

EVENT_EXAMPLE: dict[str, Any] = {
    "user_id": "listener-42",
    "ts": "2024-05-01T12:00:00Z",
    "ms_played": 183_000,
    "item": {
        "artist": "Agnes Obel",
        "title": "Riverside",
        "album": "Philharmonics",
        "spotify_uri": "spotify:track:4c9wlE8J0DOfn3YA4FIkkw",
        "duration_ms": 229_000,
    },
    "event_id": "7d0e6b1c-play-1",
    "skipped": False,
    "reason_start": "clickrow",
    "reason_end": "trackdone",
    "shuffle": False,
    "platform": "android",
    "country": "NL",
}


class EventIn(BaseModel):
    """One play. ``ts`` is when playback started; ``event_id`` makes retries safe."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EVENT_EXAMPLE]})

    user_id: UserIdText
    ts: Timestamp
    ms_played: StrictMs
    item: ItemIn
    event_id: ClientIdText | None = None
    skipped: StrictBool | None = None
    reason_start: ReasonText | None = None
    reason_end: ReasonText | None = None
    shuffle: StrictBool | None = None
    offline: StrictBool | None = None
    private: StrictBool = False
    platform: PlatformText | None = None
    country: CountryCode | None = None
    rec_id: ClientIdText | None = None

    def to_record(self, source: EventSource = EventSource.api) -> EventRecord:
        return EventRecord(
            user=self.user_id,
            ts=self.ts,
            ms_played=self.ms_played,
            item=self.item.to_ref(),
            skipped=self.skipped,
            reason_start=self.reason_start,
            reason_end=self.reason_end,
            shuffle=self.shuffle,
            offline=self.offline,
            private=self.private,
            platform=self.platform,
            country=self.country.upper() if self.country else None,
            source=source,
            client_event_id=self.event_id,
            rec_id=self.rec_id,
        )


class EventBatchIn(BaseModel):
    """Up to ``ENCORE_INGEST__MAX_BATCH_EVENTS`` events (1,000 by default)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"events": [EVENT_EXAMPLE]}]})

    events: list[EventIn]


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class RejectedItem(BaseModel):
    index: int = Field(description="position of the event in the submitted batch")
    errors: list[FieldError]


class BatchResult(BaseModel):
    """What happened to each part of a batch. Accepted events are stored even when
    others were rejected; re-sending the whole batch is safe (duplicates are counted)."""

    accepted: int
    duplicates: int
    rejected: list[RejectedItem]
    detail: list[FieldError] = Field(
        default_factory=list,
        description="the rejections again in FastAPI's error shape, loc starting at body",
    )
