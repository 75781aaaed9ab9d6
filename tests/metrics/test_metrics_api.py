"""The metrics endpoints against the pandas computation in ``reference.py``, on a synthetic
history that crosses both 2025 DST changes, in three zones and every granularity, on both
backends."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from service.store import Store
from tests.metrics import reference as ref

ZONES = ["Europe/Amsterdam", "America/New_York", "Asia/Kolkata"]
FIRST, END = date(2025, 3, 20), date(2025, 11, 20)


def get(client: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"/v1/metrics/{path}", params=params)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a == pytest.approx(b, rel=1e-9, abs=1e-9)


def assert_agree(
    client: httpx.Client, data: dict[str, Any], zone: str, first: date, end: date, granularity: str
) -> dict[str, list[dict[str, Any]]]:
    """Every endpoint's rows for the range equal the pandas computation's; returns them."""
    ev = ref.prepare(data, zone)
    q = {"from": first.isoformat(), "to": end.isoformat(), "granularity": granularity, "tz": zone}

    stars = get(client, "north-star", **q)
    want = ref.north_star(ev, first, end, granularity)
    assert [(str(s), str(e)) for s, e, *_ in want] == [(r["start"], r["end"]) for r in stars]
    for r, w in zip(stars, want, strict=True):
        assert close(r["listening_minutes"], w[2]) and r["active_users"] == w[3], (zone, r, w)

    got_a = get(client, "active-users", **q)
    for g, w in zip(got_a, ref.active_users(ev, first, end, granularity), strict=True):
        counts = (g["active_users"], g["wau"], g["mau"], g["new_users"], g["returning_users"])
        assert counts == (w[2], w[4], w[5], w[7], w[8]), (zone, g, w)
        assert close(g["dau"], w[3]) and close(g["stickiness"], w[6])

    got_e = get(client, "engagement", **q)
    want_e = ref.engagement(ev, data["feedback"], zone, first, end, granularity)
    for g, w in zip(got_e, want_e, strict=True):
        assert (g["plays"], g["streams"], g["sessions"]) == (w[2], w[3], w[5]), (zone, g, w)
        for key, value in zip(
            ["skip_rate", "sessions_per_user", "avg_session_minutes",
             "likes_per_100_streams", "saves_per_100_streams"],
            [w[4], w[6], w[7], w[8], w[9]], strict=True,
        ):  # fmt: skip
            assert close(g[key], value), (zone, key, g, w)

    got_d = get(client, "discovery", **q)
    want_d = ref.discovery(ev, data["served"], zone, first, end, granularity)
    for g, w in zip(got_d, want_d, strict=True):
        assert close(g["listening_minutes"], w[2])
        assert close(g["new_artist_share"], w[3]) and close(g["rec_share"], w[4]), (g, w)
        assert (g["rec_plays"], g["served_lists"], g["clicked_lists"]) == (w[5], w[6], w[7])
    return {"north-star": stars, "active-users": got_a, "engagement": got_e, "discovery": got_d}


@pytest.mark.parametrize("granularity", ["day", "week", "month"])
def test_metrics_agree_with_pandas_in_every_zone(
    history: Store, client: httpx.Client, granularity: str
) -> None:
    data = ref.load(history.engine)
    for zone in ZONES:
        got = assert_agree(client, data, zone, FIRST, END, granularity)
        assert sum(r["active_users"] for r in got["north-star"]) > 0
        assert sum(g["sessions"] for g in got["engagement"]) > 0
        assert sum(g["clicked_lists"] for g in got["discovery"]) > 0
        tagged = sum(1 for r in data["events"]["rec_id"] if isinstance(r, str))
        attributed = sum(g["rec_plays"] for g in got["discovery"])
        assert 0 < attributed < tagged  # lists served to someone else are not attributed


def test_retention_agrees_with_pandas(history: Store, client: httpx.Client) -> None:
    data = ref.load(history.engine)
    for zone in ZONES:
        ev = ref.prepare(data, zone)
        got = get(client, "retention", **{"from": "2025-03-10", "to": "2025-05-01", "tz": zone})
        want = ref.retention(ev, date(2025, 3, 10), date(2025, 5, 1))
        assert [(date.fromisoformat(c["week"]), c["users"], c["active"]) for c in got] == want
        assert all(c["retention"][0] == 1.0 for c in got)


@pytest.mark.parametrize("by", ["platform", "country", "kind"])
def test_breakdown_sums_to_the_total(history: Store, client: httpx.Client, by: str) -> None:
    q = {"from": "2025-03-01", "to": "2025-12-01", "granularity": "month", "tz": "Europe/Amsterdam"}
    total = get(client, "north-star", **q)
    split = get(client, "north-star", by=by, **q)
    groups = {r["group"] for r in split}
    assert len(groups) >= 2
    for t in total:
        parts = [r for r in split if r["start"] == t["start"]]
        assert sum(r["listening_minutes"] for r in parts) == pytest.approx(t["listening_minutes"])
        assert sum(r["active_users"] for r in parts) >= t["active_users"]
    data = ref.load(history.engine)
    ev = ref.in_range(ref.prepare(data, "Europe/Amsterdam"), date(2025, 3, 1), date(2025, 12, 1))
    want = (ev.groupby(by)["ms_played"].sum() / 60_000).to_dict()
    got: dict[str, float] = {}
    for r in split:
        got[r["group"]] = got.get(r["group"], 0) + r["listening_minutes"]
    assert got == pytest.approx({k: v for k, v in want.items()})
    eng = get(client, "engagement", by=by, **q)
    assert all(r["likes_per_100_streams"] is None for r in eng)


def test_new_plays_refresh_the_rollup(history: Store, client: httpx.Client) -> None:
    from datetime import UTC, datetime

    from models.ingest import ingest_events
    from models.records import EventRecord, ItemRef

    q = {"from": "2026-01-01", "to": "2026-01-03", "tz": "UTC"}
    assert [r["active_users"] for r in get(client, "north-star", **q)] == [0, 0]
    play = EventRecord(
        user="newcomer", ts=datetime(2026, 1, 2, 23, 59, tzinfo=UTC), ms_played=60_000,
        item=ItemRef(artist="Artist 1", title="Song 1", album="LP"),
    )  # fmt: skip
    ingest_events(history.engine, history.resolver, [play])
    rows = get(client, "north-star", **q)
    assert [(r["active_users"], r["listening_minutes"]) for r in rows] == [(0, 0), (1, 1.0)]
    active = get(client, "active-users", **q)
    assert active[1]["new_users"] == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2025-02-01", "to": "2025-01-01"}, "to"),
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"granularity": "year"}, "granularity"),
        ({"by": "album"}, "by"),
        ({"from": "2000-01-01", "to": "2025-01-01"}, "to"),
        ({"from": "yesterday"}, "from"),
    ],
)
def test_bad_ranges_are_named(client: httpx.Client, params: dict[str, str], field: str) -> None:
    response = client.get("/v1/metrics/north-star", params=params)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail[0]["loc"] == ["query", field]
