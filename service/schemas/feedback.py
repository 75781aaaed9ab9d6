"""Explicit feedback: likes, unlikes, saves and shares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from models.listening import FeedbackKind
from models.records import FeedbackRecord
from service.schemas.fields import Timestamp, UserIdText
from service.schemas.items import ItemIn

FEEDBACK_EXAMPLE: dict[str, Any] = {
    "user_id": "listener-42",
    "item": {"spotify_uri": "spotify:track:4c9wlE8J0DOfn3YA4FIkkw"},
    "kind": "like",
    "ts": "2024-05-01T12:03:00Z",
}


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [FEEDBACK_EXAMPLE]})

    user_id: UserIdText
    item: ItemIn
    kind: FeedbackKind
    ts: Timestamp | None = Field(None, description="when it happened; now when left out")

    def to_record(self) -> FeedbackRecord:
        return FeedbackRecord(
            user=self.user_id,
            item=self.item.to_ref(),
            kind=self.kind,
            ts=self.ts or datetime.now(UTC),
        )


class FeedbackBatchIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"feedback": [FEEDBACK_EXAMPLE]}]})

    feedback: list[FeedbackIn]
