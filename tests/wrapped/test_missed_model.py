""" "You might have missed" from a real trained model, over a real server, on both databases.

The expected tracks are worked out here from the model's raw ranking (nothing filtered) and
the listener's raw events, never through the adapter under test.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import pytest
from sqlalchemy import func, select

from data.synth import SynthConfig, build_world, store_history
from models.listening import ListeningEvent
from models.users import User
from service.model_holder import ModelHolder
from service.retraining import model_params, retrain
from service.settings import ModelSettings, Settings, WrappedSettings
from service.store import Store
from service.wrapped_missed import ModelMissed
from wrapped.cards.missed import MISSED
from wrapped.stored import build_stored
from wrapped.window import Window

SYNTH = SynthConfig(
    users=80, events=8_000, start=datetime(2024, 1, 1, tzinfo=UTC),
    end=datetime(2024, 12, 1, tzinfo=UTC), seed=5,
)  # fmt: skip


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    models = ModelSettings(dir=tmp_path / "models", reload_seconds=0)
    lenient = WrappedSettings(min_streams=1, min_artists=1)
    return Settings(database_url=db_url, models=models, wrapped=lenient, _env_file=None)


@pytest.fixture
def trained(store: Store, settings: Settings) -> ModelHolder:
    store_history(store.engine, store.resolver, build_world(SYNTH))
    outcome = retrain(store, settings, model_params("als"), evaluate=False, promote="always")
    assert outcome.promoted
    holder = ModelHolder(store.sessions, reload_seconds=0)
    holder.refresh()
    assert holder.served is not None
    return holder


def expected(store: Store, holder: ModelHolder, external_id: str) -> list[int]:
    """The model's own ranking of every item for the listener, less every item they ever
    played (raw events), first :data:`MISSED`."""
    served = holder.served
    assert served is not None
    art = served.artifact
    with store.sessions() as session:
        user = session.scalar(select(User.id).where(User.external_id == external_id))
        played = set(
            session.scalars(select(ListeningEvent.item_id).where(ListeningEvent.user_id == user))
        )
    assert user is not None
    index = int(art.user_ids.index([user])[0])
    assert index >= 0
    ids, _ = art.model.recommend(
        [index], art.user_items[index], N=len(art.item_ids), filter_already_liked=False
    )
    ranked = art.item_ids.external(ids[0][ids[0] >= 0]).tolist()
    return [int(i) for i in ranked if i not in played][:MISSED]


def listeners_of(store: Store, item: int, other_than: str) -> int:
    """How many other listeners played ``item`` in 2024 (raw events)."""
    with store.sessions() as session:
        return int(
            session.scalar(
                select(func.count(func.distinct(ListeningEvent.user_id)))
                .join(User, User.id == ListeningEvent.user_id)
                .where(
                    ListeningEvent.item_id == item,
                    User.external_id != other_than,
                    ListeningEvent.ts >= datetime(2024, 1, 1, tzinfo=UTC),
                    ListeningEvent.ts < datetime(2025, 1, 1, tzinfo=UTC),
                )
            )
            or 0
        )


def test_missed_tracks_come_from_the_active_model(
    trained: ModelHolder, store: Store, client: httpx.Client
) -> None:
    users = ["synth-000001", "synth-000007", "synth-000042"]
    for user in users:
        r = client.get(f"/v1/users/{user}/wrapped/2024", params={"tz": "UTC"})
        assert r.status_code == 200, r.text
        missed = r.json()["you_might_have_missed"]
        assert [m["id"] for m in missed] == expected(store, trained, user)
        assert len(missed) == MISSED
        for m in missed:
            assert m["title"] and m["artist"]
            assert listeners_of(store, m["id"], other_than=user) >= 1


def test_a_build_stores_the_same_missed_tracks(
    trained: ModelHolder, store: Store, settings: Settings, client: httpx.Client
) -> None:
    served = trained.served
    assert served is not None
    with store.sessions() as session:
        summary = build_stored(
            session, window_for=lambda _own: Window.for_year(2024, "UTC"),
            rules=settings.wrapped.rules(), recommender=ModelMissed(served),
        )  # fmt: skip
    assert summary.built > 0
    user = "synth-000007"
    r = client.get(f"/v1/users/{user}/wrapped/2024", params={"tz": "UTC"})
    assert r.headers["x-wrapped-computed"] == "stored"
    assert [m["id"] for m in r.json()["you_might_have_missed"]] == expected(store, trained, user)


def test_a_listener_the_model_never_saw_misses_nothing(trained: ModelHolder) -> None:
    served = trained.served
    assert served is not None
    unknown = int(served.artifact.user_ids.ids.max()) + 1000
    known = int(served.artifact.user_ids.ids[0])
    got = ModelMissed(served).missed(np.array([unknown, known], dtype=np.int64), 7)
    assert got[0].size == 0 and got[1].size == 7
