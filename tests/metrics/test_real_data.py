"""The metrics on the real exports in ../shared/datasets (four people's Spotify and
Last.fm histories, imported as ``encore import`` does) against the pandas computation, in
a zone with DST and one without, on both backends."""

from __future__ import annotations

from datetime import date

import httpx
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
