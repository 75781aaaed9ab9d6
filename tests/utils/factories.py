"""Small builders for request bodies and records used across the suites."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from models.listening import ListeningEvent
from models.records import EventRecord, ItemRef

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def event(i: int = 0, **overrides: Any) -> dict[str, Any]:
    """A valid API event; ``i`` varies the time and track."""
    body: dict[str, Any] = {
        "user_id": "alice",
        "ts": (T0 + timedelta(minutes=4 * i)).isoformat().replace("+00:00", "Z"),
        "ms_played": 200_000,
        "item": {"artist": "Agnes Obel", "title": f"Track {i % 7}", "album": "Aventine"},
    }
    body.update(overrides)
    return body


def record(i: int = 0, user: str = "alice", **overrides: Any) -> EventRecord:
    fields: dict[str, Any] = {
        "user": user,
        "ts": T0 + timedelta(minutes=4 * i),
        "ms_played": 200_000,
        "item": ItemRef(artist="Agnes Obel", title=f"Track {i % 7}", album="Aventine"),
    }
    fields.update(overrides)
    return EventRecord(**fields)


def count_events(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(ListeningEvent)) or 0)
