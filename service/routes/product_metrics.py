"""``GET /v1/metrics/...`` and ``GET /v1/artists/{artist_id}/stats``: product metrics for a
range of local days, in periods of a day, week or month, optionally broken down."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from models.metrics.localtime import Granularity
from models.metrics.query import Dimension
from service.deps import SettingsDep, StoreDep
from service.errors import ApiError, NotFound
from service.product_metrics import Metrics, MetricsRequest
from service.schemas.errors import refusal
from service.schemas.fields import IsoDate, RowId
from service.schemas.metrics import (
    ActiveUsersPage,
    ArtistStatsPage,
    DiscoveryPage,
    EngagementPage,
    NorthStarPage,
    RetentionPage,
)

router = APIRouter(tags=["metrics"])

From = Annotated[
    IsoDate | None,
    Query(alias="from", description="first local day (30 days before `to` if omitted)"),
]
To = Annotated[IsoDate | None, Query(description="local day after the last (today if omitted)")]
Tz = Annotated[
    str | None,
    Query(max_length=64, description="IANA zone; ENCORE_METRICS__TIMEZONE by default"),
]


def metrics_request(
    settings: SettingsDep,
    from_: From = None,
    to: To = None,
    granularity: Granularity = Granularity.day,
    tz: Tz = None,
    by: Annotated[Dimension | None, Query(description="break down by this")] = None,
) -> MetricsRequest:
    return MetricsRequest.make(settings, first=from_, end=to, tz=tz, granularity=granularity, by=by)


RequestDep = Annotated[MetricsRequest, Depends(metrics_request)]


def _page(r: MetricsRequest, data: Any) -> dict[str, Any]:
    return {
        "timezone": r.zone, "from": r.first, "to": r.end, "granularity": r.granularity,
        "by": r.by, "data": data,
    }  # fmt: skip


@router.get("/v1/metrics/north-star", response_model=NorthStarPage)
def read_north_star(store: StoreDep, r: RequestDep) -> dict[str, Any]:
    """Total listening time and listening time per active listener, per period: the
    North Star every other metric explains. Private plays count nowhere."""
    return _page(r, Metrics(store.engine, r).north_star())


@router.get("/v1/metrics/active-users", response_model=ActiveUsersPage)
def read_active_users(store: StoreDep, r: RequestDep) -> dict[str, Any]:
    """Active listeners per period, DAU (mean over the period's days), WAU and MAU
    (trailing 7 and 30 days on the period's last day), stickiness (DAU/MAU on that day),
    new and returning listeners."""
    return _page(r, Metrics(store.engine, r).active_users())


@router.get("/v1/metrics/retention", response_model=RetentionPage)
def read_retention(store: StoreDep, r: RequestDep) -> dict[str, Any]:
    """Weekly cohorts by the week of each listener's first listen (Monday-start, in the
    range), with the share active 0, 1, 2, ... weeks later. Always weekly; no breakdown."""
    if r.by is not None:
        raise ApiError(422, ["query", "by"], "retention has no breakdown", "value_error")
    return _page(r, Metrics(store.engine, r).retention())


@router.get("/v1/metrics/engagement", response_model=EngagementPage)
def read_engagement(store: StoreDep, r: RequestDep) -> dict[str, Any]:
    """Plays, streams (30 s or more), skip rate, sessions per active listener and their
    average length (30-minute gap), likes and saves per 100 streams (null under a
    breakdown: feedback has no platform or country)."""
    return _page(r, Metrics(store.engine, r).engagement())


@router.get("/v1/metrics/discovery", response_model=DiscoveryPage)
def read_discovery(store: StoreDep, r: RequestDep) -> dict[str, Any]:
    """The share of listening on artists new to the listener (first heard within 30
    days), the share from served recommendations, and click-through of served lists
    (streamed within 24 h; null under a breakdown)."""
    return _page(r, Metrics(store.engine, r).discovery())


@router.get(
    "/v1/artists/{artist_id}/stats",
    response_model=ArtistStatsPage,
    responses={404: refusal("no artist with that id")},
)
def read_artist_stats(
    store: StoreDep,
    settings: SettingsDep,
    artist_id: Annotated[RowId, Path()],
    from_: From = None,
    to: To = None,
    tz: Tz = None,
) -> dict[str, Any]:
    """An artist's audience in the range: listeners, plays, streams, minutes, top tracks
    and where the listeners are."""
    r = MetricsRequest.make(settings, first=from_, end=to, tz=tz)
    stats = Metrics(store.engine, r).artist(artist_id)
    if stats is None:
        raise NotFound(["path", "artist_id"], f"no artist with id {artist_id}")
    return {"timezone": r.zone, "from": r.first, "to": r.end, "data": stats}
