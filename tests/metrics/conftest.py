"""A synthetic history built to cross every boundary the metrics care about: local
midnights on both sides of the 2025 DST changes, sessions across midnight, private plays,
unknown skip flags, several platforms, countries and kinds, served lists (some attributed,
some naming someone else's list, one anonymous) and feedback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from models.catalog import ItemKind
from models.ingest import ingest_events, ingest_feedback
from models.listening import FeedbackKind, ListeningEvent
from models.records import EventRecord, FeedbackRecord, ItemRef
from models.served import ServedList, record_served
from models.users import User
from service.store import Store

PLATFORMS = ["android", "ios", "web", None]
COUNTRIES = ["NL", "US", "IN", None]
DST_DAYS = [datetime(2025, 3, 29, tzinfo=UTC), datetime(2025, 10, 25, tzinfo=UTC)]


def synthetic_history(
    seed: int = 11, users: int = 12
) -> tuple[list[EventRecord], list[FeedbackRecord]]:
    """About five weeks of plays around each 2025 DST change, for ``users`` listeners."""
    rng = np.random.default_rng(seed)
    events: list[EventRecord] = []
    feedback: list[FeedbackRecord] = []
    for u in range(users):
        name = f"listener-{u:02d}"
        for base in DST_DAYS:
            t = base - timedelta(days=10 - u % 7, hours=float(rng.uniform(0, 24)))
            stop = base + timedelta(days=25)
            while t < stop:
                t += timedelta(hours=float(rng.exponential(14)))
                for _ in range(int(rng.integers(1, 7))):
                    artist = int(min(rng.zipf(1.6), 15))
                    item = ItemRef(
                        kind=ItemKind.episode if artist == 15 else ItemKind.track,
                        artist=f"Artist {artist}", title=f"Song {int(rng.integers(0, 4))}",
                        album="LP",
                    )  # fmt: skip
                    ms = int(rng.choice([0, 5_000, 29_999, 30_000, 180_000, 240_000]))
                    events.append(
                        EventRecord(
                            user=name, ts=t, ms_played=ms, item=item,
                            skipped=[None, True, False][int(rng.integers(0, 3))],
                            private=bool(rng.random() < 0.05),
                            platform=PLATFORMS[int(rng.integers(0, 4))] if u % 3 else "android",
                            country=COUNTRIES[u % 4],
                        )
                    )  # fmt: skip
                    if rng.random() < 0.08:
                        kind = FeedbackKind.like if rng.random() < 0.7 else FeedbackKind.save
                        feedback.append(FeedbackRecord(user=name, item=item, kind=kind, ts=t))
                    t += timedelta(milliseconds=ms + int(rng.integers(0, 40 * 60_000)))
    return events, feedback


def load_history(store: Store) -> None:
    """Store the synthetic history; every 9th play carries the rec_id of a list served to
    its listener 10 minutes earlier, except every 27th, whose list went to listener-00."""
    events, feedback = synthetic_history()
    owners: dict[str, tuple[str, datetime]] = {}
    for n, e in enumerate(events):
        if n % 9 == 0:
            e.rec_id = f"rec-{n}"
            owners[e.rec_id] = (e.user if n % 27 else "listener-00", e.ts - timedelta(minutes=10))
    assert not ingest_events(store.engine, store.resolver, events).rejected
    assert not ingest_feedback(store.engine, store.resolver, feedback).rejected
    with store.sessions() as session:
        ids = {u: i for u, i in session.execute(select(User.external_id, User.id))}
        played = session.execute(
            select(ListeningEvent.rec_id, ListeningEvent.item_id).where(
                ListeningEvent.rec_id.is_not(None)
            )
        ).all()
        lists = [
            ServedList(rec, ids[owners[rec][0]], owners[rec][1], None, "model", [item, item + 1])
            for rec, item in played
            if rec is not None
        ]
        lists.append(ServedList("anon-1", None, DST_DAYS[0], None, "popular", [1]))
        record_served(session, lists)
        session.commit()


@pytest.fixture
def history(store: Store) -> Store:
    load_history(store)
    return store
