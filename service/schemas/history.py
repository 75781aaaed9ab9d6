"""A page of a user's listening history."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from models.catalog import Item
from models.listening import EventSource, ListeningEvent
from service.schemas.catalog import ItemPublic


class HistoryEntry(BaseModel):
    ts: datetime
    ms_played: int
    item: ItemPublic
    skipped: bool | None
    reason_start: str | None
    reason_end: str | None
    shuffle: bool | None
    offline: bool | None
    private: bool
    platform: str | None
    country: str | None
    source: EventSource
    event_id: str | None
    rec_id: str | None

    @classmethod
    def of(cls, event: ListeningEvent, item: Item) -> HistoryEntry:
        return cls(
            ts=event.ts,
            ms_played=event.ms_played,
            item=ItemPublic.of(item),
            skipped=event.skipped,
            reason_start=event.reason_start,
            reason_end=event.reason_end,
            shuffle=event.shuffle,
            offline=event.offline,
            private=event.private,
            platform=event.platform,
            country=event.country,
            source=event.source,
            event_id=event.client_event_id,
            rec_id=event.rec_id,
        )


class HistoryPage(BaseModel):
    data: list[HistoryEntry]
    next_cursor: str | None
