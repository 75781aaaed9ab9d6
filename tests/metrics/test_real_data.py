"""The metrics on the real exports in ../shared/datasets (four people's Spotify and
Last.fm histories, imported as ``encore import`` does) against the pandas computation, in
a zone with DST and one without, on both backends."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from sqlalchemy import func, select

from data.importers import lastfm, spotify
from data.importers.run import import_all
from data.importers.sources import expand
from models.listening import ListeningEvent
from service.store import Store
from tests.data.test_importers import DATASETS, needs_data
from tests.metrics import reference as ref
from tests.metrics.test_metrics_api import assert_agree, get

SOURCES = [
    ("spotify-extended-efrrowini", spotify, "efrrowini"),
    ("spotify-endsong-candidlyred/endsong.json", spotify, "candidlyred"),
    ("spotify-account-streaminghistory-averydata", spotify, "averydata"),
    ("lastfm-scrobbles-sachawheeler/scrobbles.csv", lastfm, "sachawheeler"),
]


def import_real(store: Store) -> None:
    for path, fmt, user in SOURCES:
        reports = import_all(
            store.engine, store.resolver, expand([DATASETS / path], fmt.accepts), fmt.parse,
            user=user,
        )  # fmt: skip
        assert all(r.error is None for r in reports), reports


@needs_data
def test_real_histories_agree_with_pandas(store: Store, client: httpx.Client) -> None:
    import_real(store)
    with store.sessions() as session:
        first, last = session.execute(
            select(func.min(ListeningEvent.ts), func.max(ListeningEvent.ts))
        ).one()
    start, end = date(first.year, first.month, 1), date(last.year + 1, 1, 1)
    data = ref.load(store.engine)
    for zone in ["Asia/Kolkata", "America/New_York"]:  # a half-hour offset; DST
        got = assert_agree(client, data, zone, start, end, "month")
        assert sum(r["listening_minutes"] for r in got["north-star"]) > 100_000
        assert max(r["active_users"] for r in got["north-star"]) >= 2
        # The busiest year by week, and six weeks around the spring DST change by day.
        busiest = max(got["north-star"], key=lambda r: r["active_users"])["start"]
        year = date.fromisoformat(busiest).year
        assert_agree(client, data, zone, date(year, 1, 1), date(year + 1, 1, 1), "week")
        assert_agree(client, data, zone, date(year, 3, 1), date(year, 4, 15), "day")
        cohorts = get(client, "retention", **{"from": str(start), "to": str(end), "tz": zone})
        want = ref.retention(ref.prepare(data, zone), start, end)
        assert [(date.fromisoformat(c["week"]), c["users"], c["active"]) for c in cohorts] == want
        assert sum(c["users"] for c in cohorts) == 4


@needs_data
def test_artist_stats_agree_with_pandas(store: Store, client: httpx.Client) -> None:
    import_real(store)
    ev = ref.prepare(ref.load(store.engine), "UTC")
    ev = ref.in_range(ev, date(2023, 1, 1), date(2025, 1, 1))
    artist = int(ev.groupby("artist_id")["user_id"].nunique().sort_values().index[-1])
    mine = ev[ev["artist_id"] == artist]
    r = client.get(f"/v1/artists/{artist}/stats",
                   params={"from": "2023-01-01", "to": "2025-01-01", "tz": "UTC"})  # fmt: skip
    assert r.status_code == 200, r.text
    got = r.json()["data"]
    assert (got["listeners"], got["plays"]) == (mine["user_id"].nunique(), len(mine))
    assert got["streams"] == int((mine["ms_played"] >= 30_000).sum())
    assert got["minutes"] == pytest.approx(mine["ms_played"].sum() / 60_000)
    per_track = (
        mine.assign(stream=mine["ms_played"] >= 30_000)
        .groupby("item_id")
        .agg(streams=("stream", "sum"), ms=("ms_played", "sum"))
    )
    best = per_track.sort_values(["streams", "ms"], ascending=False).iloc[0]
    assert got["top_tracks"][0]["streams"] == int(best["streams"])
    assert got["top_tracks"][0]["minutes"] == pytest.approx(best["ms"] / 60_000)
    countries = mine.groupby("country")["user_id"].nunique().to_dict()
    assert {(c["country"] or ""): c["listeners"] for c in got["countries"]} == countries
