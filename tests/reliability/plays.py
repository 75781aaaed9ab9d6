"""Plays with a known identity, and what the store holds of them, for the fault tests.

Play ``n`` belongs to one of a few listeners, names one of a few hundred tracks (so
concurrent batches race to create the same catalog rows) and carries ``ms_played =
100_000 + n``, which makes ``(user, ms_played)`` its identity in the store whichever
of the two idempotency rules (client event id, or user+item+ts+ms) it is stored under.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from models.engine import make_engine
from models.listening import ListeningEvent
from models.users import User

T0 = datetime(2025, 3, 1, tzinfo=UTC)
USERS = 5

Key = tuple[str, int]


def play(n: int) -> dict[str, Any]:
    """Play ``n`` as the API takes it; even plays carry an event id, odd ones do not."""
    body: dict[str, Any] = {
        "user_id": f"listener-{n % USERS}",
        "ts": (T0 + timedelta(seconds=37 * n)).isoformat().replace("+00:00", "Z"),
        "ms_played": key(n)[1],
        "item": {"artist": f"Artist {n % 41}", "title": f"Song {n % 301}"},
    }
    if n % 2 == 0:
        body["event_id"] = f"play-{n}"
    return body


def key(n: int) -> Key:
    return f"listener-{n % USERS}", 100_000 + n


def stored(db_url: str) -> list[Key]:
    """Every stored play as its identity, duplicates kept (so a test can see them)."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(User.external_id, ListeningEvent.ms_played).join(
                    User, User.id == ListeningEvent.user_id
                )
            ).all()
    finally:
        engine.dispose()
    return [(str(user), int(ms)) for user, ms in rows]


def count(db_url: str) -> int:
    """How many plays are stored (cheap enough to poll)."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(ListeningEvent)) or 0)
    finally:
        engine.dispose()


def spotify_export(first: int, count: int) -> bytes:
    """A Spotify extended-history file of ``count`` distinct plays (``ms_played`` unique)."""
    base = 1_735_689_600  # 2025-01-01
    rows = [
        {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(base + 200 * n)),
            "ms_played": 120_000 + n,
            "master_metadata_track_name": f"Song {n}",
            "master_metadata_album_artist_name": f"Artist {n % 97}",
            "master_metadata_album_album_name": f"Album {n % 89}",
            "spotify_track_uri": f"spotify:track:{n:022d}",
            "reason_start": "trackdone",
            "reason_end": "trackdone",
            "skipped": False,
            "shuffle": False,
            "offline": False,
            "platform": "linux",
        }
        for n in range(first, first + count)
    ]
    return json.dumps(rows).encode()
