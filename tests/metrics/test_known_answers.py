"""Hand-computed answers around the spring 2025 DST change in Amsterdam (clocks jump from
02:00 to 03:00 local on 30 March, at 01:00 UTC), on both backends."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from models.ingest import ingest_events
from models.listening import ListeningEvent
from models.metrics.rollup import refresh
from models.records import EventRecord, ItemRef
from models.served import ServedList, record_served
from models.users import User
from service.store import Store
from tests.metrics.test_metrics_api import get

ENCORE = str(Path(sys.executable).parent / "encore")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def play(user: str, ts: str, ms: int, title: str, **kw: object) -> EventRecord:
    item = ItemRef(artist="Agnes Obel", title=title, album="Aventine")
    return EventRecord(user=user, ts=at(ts), ms_played=ms, item=item, **kw)  # type: ignore[arg-type]


@pytest.fixture
def dst(store: Store) -> Store:
    plays = [
        play("a", "2025-03-29T22:30:00", 60_000, "One", platform="ios", skipped=False),
        play("a", "2025-03-29T23:30:00", 120_000, "Two", platform="ios", rec_id="r1"),
        play("a", "2025-03-30T22:30:00", 180_000, "Three", platform="web", skipped=True),
        play("b", "2025-03-30T21:59:00", 240_000, "Two", platform="web"),
        play("a", "2025-05-15T12:00:00", 60_000, "One", platform="ios"),  # artist not new
        play("b", "2025-03-30T20:00:00", 600_000, "Secret", private=True),
    ]
    assert ingest_events(store.engine, store.resolver, plays).accepted == 6
    with store.sessions() as session:
        users = {u: i for u, i in session.execute(select(User.external_id, User.id))}
        items = dict(
            session.execute(
                select(ListeningEvent.ts, ListeningEvent.item_id).where(
                    ListeningEvent.user_id == users["b"], ListeningEvent.private.is_(False)
                )
            ).all()
        )
        two = next(iter(items.values()))
        record_served(session, [
            ServedList("r1", users["a"], at("2025-03-29T23:00:00"), None, "model", [two]),
            ServedList("r2", users["b"], at("2025-03-28T00:00:00"), None, "model", [two]),
        ])  # fmt: skip
        session.commit()
    return store


def test_days_follow_the_reporting_zone_across_dst(dst: Store, client: httpx.Client) -> None:
    q = {"from": "2025-03-29", "to": "2025-04-01"}
    ams = get(client, "north-star", tz="Europe/Amsterdam", **q)
    assert [(r["listening_minutes"], r["active_users"]) for r in ams] == [(1, 1), (6, 2), (3, 1)]
    utc = get(client, "north-star", tz="UTC", **q)
    assert [(r["listening_minutes"], r["active_users"]) for r in utc] == [(3, 1), (7, 2), (0, 0)]
    eng = get(client, "engagement", tz="Europe/Amsterdam", **q)
    assert [r["sessions"] for r in eng] == [1, 2, 1]  # a's plays are 59 minutes apart
    assert [r["skip_rate"] for r in eng] == [0.0, None, 1.0]
    disc = get(client, "discovery", tz="Europe/Amsterdam", **q)
    assert disc[1]["rec_share"] == pytest.approx(2 / 6)
    assert [(r["served_lists"], r["clicked_lists"]) for r in disc] == [(0, 0), (1, 1), (0, 0)]
    may = get(client, "discovery", tz="UTC", **{"from": "2025-05-15", "to": "2025-05-16"})
    assert may[0]["new_artist_share"] == 0.0  # first heard 47 days before
    march = get(client, "discovery", tz="UTC", **{"from": "2025-03-28", "to": "2025-03-29"})
    assert (march[0]["served_lists"], march[0]["clicked_lists"]) == (1, 0)  # played after 24 h
    by = get(client, "north-star", tz="Europe/Amsterdam", by="platform", **q)
    assert {(r["start"], r["group"]): r["listening_minutes"] for r in by if r["active_users"]} == {
        ("2025-03-29", "ios"): 1, ("2025-03-30", "ios"): 2, ("2025-03-30", "web"): 4,
        ("2025-03-31", "web"): 3,
    }  # fmt: skip
    active = get(client, "active-users", tz="Europe/Amsterdam", **q)
    assert [(r["new_users"], r["returning_users"], r["mau"]) for r in active] == [
        (1, 0, 1), (1, 1, 2), (0, 1, 2),
    ]  # fmt: skip


@pytest.mark.parametrize("rolled_up", [False, True], ids=["events", "rollup"])
def test_artist_stats(dst: Store, client: httpx.Client, rolled_up: bool) -> None:
    if rolled_up:
        with dst.engine.connect() as conn:
            refresh(conn, "UTC")
    artists = client.get("/v1/artists", params={"q": "agnes"}).json()["data"]
    artist_id = artists[0]["id"]
    r = client.get(
        f"/v1/artists/{artist_id}/stats", params={"from": "2025-01-01", "to": "2026-01-01"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["timezone"] == "UTC"
    stats = r.json()["data"]
    assert (stats["listeners"], stats["plays"], stats["streams"]) == (2, 5, 5)  # private left out
    assert stats["minutes"] == 11
    assert [(t["title"], t["streams"]) for t in stats["top_tracks"]] == [
        ("Two", 2),  # ties by minutes: Two has 6, One 2
        ("One", 2),
        ("Three", 1),
    ]
    assert [(c["country"], c["listeners"]) for c in stats["countries"]] == [(None, 2)]
    assert client.get("/v1/artists/999999/stats").status_code == 404


def test_report_prints_tables_and_writes_csv(dst: Store, db_url: str, tmp_path: Path) -> None:
    out_csv = tmp_path / "m.csv"
    args = ["metrics", "report", "--from", "2025-03-29", "--to", "2025-04-01",
            "--granularity", "day", "--tz", "Europe/Amsterdam", "--by", "platform",
            "--csv", str(out_csv)]  # fmt: skip
    env = {**os.environ, "ENCORE_DATABASE_URL": db_url}
    done = subprocess.run([ENCORE, *args], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "North Star" in done.stdout and "Engagement" in done.stdout
    rows = list(csv.DictReader(out_csv.open()))
    minutes = {(r["start"], r["group"]): float(r["listening_minutes"]) for r in rows}
    assert minutes[("2025-03-30", "web")] == 4.0
    backwards = ["metrics", "report", "--from", "2025-03-02", "--to", "2025-03-01"]
    bad = subprocess.run([ENCORE, *backwards], capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines() == [
        "error: --to: must be after 'from' (the range is [from, to))"
    ]
