"""Which listeners a worker counts as having news (plays newer than its model), on both
databases: none right after the model loads, and still none on every later look, which
re-reads the newest event ids to catch late commits but must not take plays the model
was trained on for news; a play after the model's data window makes its listener, and
only them, a listener with news."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from models.ingest import ingest_events
from models.listening import ListeningEvent
from models.records import EventRecord, ItemRef
from models.users import User
from service.recs.fresh import OVERLAP_IDS, FreshListening
from service.retraining import Outcome
from service.settings import Settings
from service.store import Store
from tests.service.test_recommendations_api import recs_settings, synth_history, train
from tests.service.test_recs_candidates import load


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return recs_settings(db_url, tmp_path)


def test_only_plays_after_the_models_window_are_news(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    history = synth_history(store)
    outcome: Outcome = train(history, settings, "als")
    served = load(history, outcome, tmp_path / "cache")
    fresh = FreshListening(history.sessions, poll_seconds=0)
    with history.sessions() as session:
        newest = session.scalars(
            select(User.external_id)
            .join(ListeningEvent, ListeningEvent.user_id == User.id)
            .order_by(ListeningEvent.id.desc())
            .limit(OVERLAP_IDS)
        ).all()
    assert len(set(newest)) > 1  # the overlap re-read covers several listeners' plays
    fresh.poll(served)  # the first look after a version loads
    assert fresh.by_external == {}
    fresh.poll(served)  # a later look re-reads the newest ids
    assert fresh.by_external == {}
    until = outcome.artifact.window.until
    assert until is not None
    item = ItemRef(artist="Someone New", title="First Single", album="Debut")
    after = datetime.fromtimestamp(until, UTC) + timedelta(hours=1)
    late = EventRecord(user=newest[-1], ts=after, ms_played=200_000, item=item)
    assert ingest_events(history.engine, history.resolver, [late]).accepted == 1
    fresh.poll(served)
    assert set(fresh.by_external) == {newest[-1]}
