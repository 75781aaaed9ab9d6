"""A listener's privacy controls over a real server, on both databases: opting out of
personalization, Wrapped and comparisons; the export of everything stored about them;
deletion that leaves no row about them in any table; and retention pruning."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from sqlalchemy import select, text

import models.tables  # noqa: F401
from models.base import Base
from models.jobs import create_job
from models.privacy import prune_events
from models.served import ServedList, record_served
from models.users import User
from models.wrapped_populations import put_population, stored_spans
from recsys.store import read_store
from service.settings import ModelSettings, Settings
from service.store import Store
from tests.utils.factories import T0, count_events, event

GONE = "zed-deleted-7f3a"
"""A listener id no other data contains, so finding it anywhere means a row was left."""


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    models = ModelSettings(dir=tmp_path / "models", reload_seconds=0)
    return Settings(database_url=db_url, models=models, _env_file=None)


def year_of(user: str, n: int = 40) -> list[dict[str, Any]]:
    """Enough plays (n, over six artists, in 2024) for a Wrapped."""
    return [
        event(i, user_id=user, item={"artist": f"Artist {i % 6}", "title": f"Song {i % 9}"})
        for i in range(n)
    ]


def post(client: httpx.Client, events: list[dict[str, Any]]) -> None:
    got = client.post("/v1/events", json={"events": events})
    assert got.status_code == 200, got.text


def store_id(store: Store, user: str) -> int | None:
    with store.sessions() as session:
        return session.scalar(select(User.id).where(User.external_id == user))


def fill(client: httpx.Client, store: Store, user: str) -> None:
    """Events, feedback, a share link, a served list and an import job for ``user``."""
    post(client, year_of(user))
    fb = {"user_id": user, "item": {"artist": "Artist 1", "title": "Song 1"}, "kind": "like",
          "ts": T0.isoformat()}  # fmt: skip
    assert client.post("/v1/feedback", json={"feedback": [fb]}).status_code == 200
    assert client.post(f"/v1/users/{user}/wrapped/2024/share").status_code == 201
    with store.sessions() as session:
        uid = session.scalar(select(User.id).where(User.external_id == user))
        record_served(session, [ServedList(f"rec-{user}", uid, T0, None, "popular", [1, 2])])
        session.commit()
        create_job(session, user=user, format="spotify", bytes_total=10)


def test_privacy_flags_round_trip(client: httpx.Client) -> None:
    post(client, year_of("alice"))
    got = client.put("/v1/users/alice/privacy", json={"wrapped": False})
    assert got.status_code == 200, got.text
    assert got.json() == {"user_id": "alice", "personalization": True, "wrapped": False,
                          "comparisons": True}  # fmt: skip
    assert client.get("/v1/users/alice/wrapped/2024").status_code == 403
    assert client.get("/v1/users/alice/privacy").json()["wrapped"] is False
    again = client.put("/v1/users/alice/privacy", json={"wrapped": True, "comparisons": False})
    assert again.json()["wrapped"] is True and again.json()["comparisons"] is False
    assert client.get("/v1/users/alice/wrapped/2024").status_code == 200
    bad = client.put("/v1/users/alice/privacy", json={"wrapped": "maybe"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "wrapped"]
    extra = client.put("/v1/users/alice/privacy", json={"ads": False})
    assert extra.status_code == 422 and extra.json()["detail"][0]["loc"] == ["body", "ads"]
    missing = client.put("/v1/users/nobody/privacy", json={"wrapped": False})
    assert missing.status_code == 404


def test_a_listener_manages_their_own_privacy_with_their_token(
    client: httpx.Client, user_client: Callable[[str], httpx.Client]
) -> None:
    post(client, year_of("alice") + year_of("bob"))
    alice = user_client("alice")
    assert alice.put("/v1/users/alice/privacy", json={"comparisons": False}).status_code == 200
    assert alice.put("/v1/users/bob/privacy", json={"comparisons": False}).status_code == 403
    assert alice.get("/v1/users/alice/export").status_code == 200
    assert alice.delete("/v1/users/bob").status_code == 403
    assert client.get("/v1/users/bob/privacy").json()["comparisons"] is True


def test_opting_out_of_personalization_serves_popular_and_leaves_training(
    client: httpx.Client, store: Store, settings: Settings
) -> None:
    from service.retraining import model_params, retrain

    post(client, year_of("alice") + year_of("bob", 30) + year_of("carol", 20))
    retrain(store, settings, model_params("als"), evaluate=False, promote="always")
    personal = client.get("/v1/users/alice/recommendations")
    assert personal.json()["source"] == "model"
    client.put("/v1/users/alice/privacy", json={"personalization": False})
    got = client.get("/v1/users/alice/recommendations").json()
    assert got["source"] == "popular"
    assert client.get("/v1/users/bob/recommendations").json()["source"] == "model"
    interactions = read_store(store.engine)
    alice = store_id(store, "alice")
    assert alice not in set(interactions.user_ids.external(range(interactions.n_users)).tolist())


def test_export_has_everything_stored_about_the_listener(
    client: httpx.Client, store: Store
) -> None:
    fill(client, store, "alice")
    fill(client, store, "bob")
    got = client.get("/v1/users/alice/export")
    assert got.status_code == 200, got.text
    assert got.headers["content-disposition"] == 'attachment; filename="encore-export-alice.json"'
    data = got.json()
    assert data["user"]["external_id"] == "alice"
    tables = data["tables"]
    assert len(tables["listening_events"]) == 40
    assert [f["kind"] for f in tables["feedback"]] == ["like"]
    assert len(tables["share_links"]) == 1 and tables["share_links"][0]["year"] == 2024
    assert [s["rec_id"] for s in tables["served_recommendations"]] == ["rec-alice"]
    assert [j["user_external_id"] for j in tables["import_jobs"]] == ["alice"]
    alice = data["user"]["id"]
    assert all(row["user_id"] == alice for row in tables["listening_events"])
    assert {i["artist"] for i in data["items"]} == {f"Artist {n}" for n in range(6)}

    zipped = client.get("/v1/users/alice/export", params={"format": "zip"})
    assert zipped.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as archive:
        names = set(archive.namelist())
        events = json.loads(archive.read("listening_events.json"))
    assert {"user.json", "items.json", "feedback.json", "share_links.json"} <= names
    assert len(events) == 40
    assert client.get("/v1/users/nobody/export").status_code == 404


def rows_naming(store: Store, user_id: int, external_id: str) -> list[str]:
    """Every row in every table that references store id ``user_id`` through a foreign key
    to users, or mentions ``external_id`` anywhere; as ``table: row`` strings."""
    found = []
    with store.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            user_fks = [
                c.name
                for c in table.columns
                if any(fk.column.table.name == "users" for fk in c.foreign_keys)
            ]
            for row in conn.execute(table.select()).mappings():
                if table.name == "users" and row["id"] == user_id:
                    found.append(f"users: {dict(row)}")
                elif any(row[c] == user_id for c in user_fks) or external_id in repr(dict(row)):
                    found.append(f"{table.name}: {dict(row)}")
    return found


def test_delete_leaves_no_row_about_the_listener_in_any_table(
    client: httpx.Client, store: Store, settings: Settings, live: Any
) -> None:
    from service.retraining import model_params, retrain

    fill(client, store, GONE)
    fill(client, store, "bob")
    post(client, year_of("carol", 30))
    retrain(store, settings, model_params("als"), evaluate=False, promote="always")
    assert client.get(f"/v1/users/{GONE}/recommendations").json()["source"] == "model"
    share = client.post(f"/v1/users/{GONE}/wrapped/2024/share").json()["token"]
    gone_id = store_id(store, GONE)
    assert gone_id is not None and rows_naming(store, gone_id, GONE)
    bob_before = client.get("/v1/users/bob/export").json()["tables"]

    got = client.delete(f"/v1/users/{GONE}")
    assert got.status_code == 204, got.text
    assert rows_naming(store, gone_id, GONE) == []
    assert client.get("/v1/users/bob/export").json()["tables"] == bob_before
    # the served model still has the old id, but nothing maps the listener to it now
    recs = client.get(f"/v1/users/{GONE}/recommendations").json()
    assert recs["source"] == "popular"
    assert client.get(f"/share/{share}").status_code == 404
    assert client.get(f"/v1/users/{GONE}/history").status_code == 404
    assert client.delete(f"/v1/users/{GONE}").status_code == 404
    interactions = read_store(store.engine)
    assert gone_id not in set(interactions.user_ids.external(range(interactions.n_users)).tolist())


def test_delete_is_one_transaction(client: httpx.Client, store: Store) -> None:
    """A failure part-way (here: the users row cannot go) leaves every row in place."""
    from models.privacy import delete_user

    post(client, year_of("alice"))
    before = count_events(store.engine)
    with store.sessions() as session:
        dialect = session.get_bind().dialect.name
        if dialect == "sqlite":
            session.execute(text(
                "CREATE TRIGGER keep_users BEFORE DELETE ON users "
                "BEGIN SELECT RAISE(ABORT, 'kept'); END"
            ))  # fmt: skip
        else:
            session.execute(text(
                "CREATE FUNCTION keep_users() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'kept'; END $$"
            ))  # fmt: skip
            session.execute(text(
                "CREATE TRIGGER keep_users BEFORE DELETE ON users "
                "FOR EACH ROW EXECUTE FUNCTION keep_users()"
            ))  # fmt: skip
        session.commit()
        try:
            with pytest.raises(Exception, match="kept"):
                delete_user(session, user_id="alice")
        finally:
            session.rollback()
            session.execute(
                text("DROP TRIGGER keep_users" + (" ON users" if dialect != "sqlite" else ""))
            )
            if dialect != "sqlite":
                session.execute(text("DROP FUNCTION keep_users()"))
            session.commit()
    assert count_events(store.engine) == before == 40


def test_prune_deletes_only_events_older_than_the_cut(client: httpx.Client, store: Store) -> None:
    post(client, year_of("alice", 10))
    cut = T0 + timedelta(minutes=4 * 6)  # events 0..5 are older
    with store.sessions() as session:
        assert prune_events(session, before=cut) == 6
        assert prune_events(session, before=cut) == 0
    assert count_events(store.engine) == 4
    assert datetime.now(UTC) > cut


def test_prune_drops_the_stored_wrapped_populations_that_reach_before_the_cut(
    client: httpx.Client, store: Store
) -> None:
    post(client, year_of("alice", 10))
    cut = T0 + timedelta(minutes=4 * 6)
    arrays = {"user_ms": np.array([1, 2], dtype=np.int64)}
    with store.sessions() as session:
        for start in (T0 - timedelta(days=1), cut, cut + timedelta(days=1)):
            put_population(session, start=start, end=start + timedelta(days=30), last_event=10,
                           arrays=arrays, built_at=T0)  # fmt: skip
        session.commit()
        assert prune_events(session, before=cut) == 6
        assert [s.start for s in stored_spans(session)] == [cut, cut + timedelta(days=1)]
