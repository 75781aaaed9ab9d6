"""Artist stats from a zone's rollup, and straight from the events for a zone without one,
against the pandas computation: every artist of the synthetic history, ranges that cut
days on both sides of the DST changes, new plays after the rollup, an erased listener;
on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from models.ingest import ingest_events
from models.metrics.rollup import refresh, rollup_id
from models.metrics.schema import MetricsArtistDay, MetricsArtistTrackDay
from models.privacy import delete_user, set_privacy
from models.records import EventRecord, ItemRef
from service.store import Store
from tests.metrics import reference as ref

YEAR = (date(2025, 1, 1), date(2026, 1, 1))
CUTS = [  # around both DST changes, single days, and ranges that start mid-history
    (date(2025, 3, 27), date(2025, 4, 3)),
    (date(2025, 3, 30), date(2025, 3, 31)),
    (date(2025, 4, 5), date(2025, 10, 26)),
    (date(2025, 10, 26), date(2025, 10, 27)),
    (date(2025, 10, 20), date(2025, 11, 20)),
]


def stats(client: httpx.Client, artist: int, first: date, end: date, zone: str) -> dict[str, Any]:
    """The endpoint's answer in the shape of ``reference.artist_stats``."""
    params = {"from": first.isoformat(), "to": end.isoformat(), "tz": zone}
    response = client.get(f"/v1/artists/{artist}/stats", params=params)
    assert response.status_code == 200, response.text
    d = response.json()["data"]
    return {
        "listeners": d["listeners"], "plays": d["plays"], "streams": d["streams"],
        "minutes": d["minutes"],
        "top_tracks": [(t["item_id"], t["streams"], t["minutes"], t["listeners"])
                       for t in d["top_tracks"]],
        "countries": [(c["country"], c["listeners"], c["minutes"]) for c in d["countries"]],
    }  # fmt: skip


def assert_agree(store: Store, client: httpx.Client, zone: str, ranges: list[Any]) -> int:
    """Every artist's stats for every range equal pandas'; returns how many had plays."""
    ev = ref.prepare(ref.load(store.engine), zone)
    seen = 0
    artists = sorted(set(ev["artist_id"].tolist()))
    for first, end in ranges:
        of_artist = ref.split(ref.in_range(ev, first, end), "artist_id")
        for artist in artists:
            want = ref.artist_stats(of_artist(artist), artist, first, end)
            assert stats(client, artist, first, end, zone) == want, (zone, artist, first, end)
            seen += want["plays"] > 0
    return seen


def rows(store: Store) -> int:
    with store.engine.connect() as conn:
        return sum(
            int(conn.scalar(select(func.count()).select_from(t)) or 0)
            for t in (MetricsArtistDay, MetricsArtistTrackDay)
        )


@pytest.mark.parametrize("zone", ["Europe/Amsterdam", "America/New_York", "Asia/Kolkata"])
def test_rolled_up_stats_agree_with_pandas(history: Store, client: httpx.Client, zone: str) -> None:
    with history.engine.connect() as conn:
        refresh(conn, zone)
    assert rows(history) > 1000
    assert assert_agree(history, client, zone, [YEAR, *CUTS]) > 50


def test_a_zone_without_a_rollup_is_read_from_the_events(
    history: Store, client: httpx.Client
) -> None:
    assert assert_agree(history, client, "Asia/Tokyo", [YEAR, CUTS[0], CUTS[3]]) > 20
    with history.engine.connect() as conn:
        assert rollup_id(conn, "Asia/Tokyo") is None  # an artist request builds nothing
    assert rows(history) == 0


def test_new_plays_after_the_rollup(history: Store, client: httpx.Client) -> None:
    zone = "Europe/Amsterdam"
    with history.engine.connect() as conn:
        refresh(conn, zone)
    assert_agree(history, client, zone, [YEAR, CUTS[0]])
    item = ItemRef(artist="Artist 3", title="Song 1", album="LP")
    new = ItemRef(artist="Artist 3", title="Encore", album="LP")
    t0 = datetime(2025, 3, 30, 21, 30, tzinfo=UTC)  # 23:30 local, after the DST change
    more = [  # a newcomer from a new country; an old listener's earlier first day and a new track
        EventRecord(user="newcomer", ts=t0, ms_played=200_000, item=item, country="DE"),
        EventRecord(user="newcomer", ts=t0 + timedelta(minutes=40), ms_played=10_000, item=new,
                    country="DE"),
        EventRecord(user="listener-04", ts=t0 - timedelta(days=60), ms_played=45_000, item=new),
        EventRecord(user="listener-04", ts=t0 + timedelta(hours=1), ms_played=31_000, item=new,
                    country="DE"),
    ]  # fmt: skip
    assert ingest_events(history.engine, history.resolver, more).accepted == 4
    with history.engine.connect() as conn:
        assert refresh(conn, zone, full_share=1.0) == 2  # only the two listeners
    assert_agree(history, client, zone, [YEAR, *CUTS])
    artist = next(a for a in client.get("/v1/artists", params={"q": "Artist 3"}).json()["data"])
    got = stats(client, artist["id"], *CUTS[0], zone)
    assert ("DE", 2, (200_000 + 10_000 + 31_000) / 60_000) in got["countries"]


def test_an_erased_listener_counts_nowhere_and_an_opted_out_one_still_counts(
    history: Store, client: httpx.Client
) -> None:
    zone = "America/New_York"
    with history.engine.connect() as conn:
        refresh(conn, zone)
    ev = ref.prepare(ref.load(history.engine), zone)
    artist = int(ev["artist_id"].value_counts().index[0])
    before = stats(client, artist, *YEAR, zone)
    with history.sessions() as session:
        set_privacy(session, user_id="listener-02", personalization=False)
    assert stats(client, artist, *YEAR, zone) == before
    with history.sessions() as session:
        assert delete_user(session, user_id="listener-03") is not None
        session.commit()
    after = stats(client, artist, *YEAR, zone)
    assert after["listeners"] == before["listeners"] - 1
    assert_agree(history, client, zone, [YEAR, *CUTS])
