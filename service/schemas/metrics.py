"""Response envelopes of the metrics API: the range asked for, then one row per period."""

from __future__ import annotations

from datetime import date
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from models.metrics.artists import ArtistStats
from models.metrics.localtime import Granularity
from models.metrics.query import (
    ActiveUsersRow,
    Cohort,
    Dimension,
    DiscoveryRow,
    EngagementRow,
    NorthStarRow,
)

Row = TypeVar("Row")


class MetricsPage(BaseModel, Generic[Row]):
    model_config = ConfigDict(populate_by_name=True)

    timezone: str = Field(description="IANA zone the days are local to")
    from_: date = Field(alias="from", description="first local day")
    to: date = Field(description="local day after the last")
    granularity: Granularity
    by: Dimension | None = None
    data: list[Row]


NorthStarPage = MetricsPage[NorthStarRow]
ActiveUsersPage = MetricsPage[ActiveUsersRow]
RetentionPage = MetricsPage[Cohort]
EngagementPage = MetricsPage[EngagementRow]
DiscoveryPage = MetricsPage[DiscoveryRow]


class ArtistStatsPage(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    timezone: str
    from_: date = Field(alias="from")
    to: date
    data: ArtistStats
