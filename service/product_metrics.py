"""The metrics a request asks for: its range checked, the rollup of its zone refreshed,
then the aggregation read. Shared by the API, the CLI report and the dashboard.

Artist stats read the zone's rollup too, refreshed first, when the zone has one; a zone
without one is answered straight from the events rather than built inside an artist
request (a first build takes minutes on millions of events; the metrics endpoints and
``encore metrics refresh`` build it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import Engine

from models.metrics import query
from models.metrics.activity import feedback_counts
from models.metrics.artists import ArtistStats, artist_name, artist_stats, rolled_up_artist_stats
from models.metrics.localtime import Granularity, day_number, utc_bounds
from models.metrics.query import Dimension, Span
from models.metrics.rollup import refresh, rollup_id
from service.errors import ApiError
from service.settings import Settings

DEFAULT_DAYS = 30


def _invalid(field: str, msg: str) -> ApiError:
    return ApiError(422, ["query", field], msg, "value_error")


@dataclass(frozen=True, slots=True)
class MetricsRequest:
    """A validated range in one zone; ``to`` is the local day after the last."""

    first: date
    end: date
    zone: str
    granularity: Granularity = Granularity.day
    by: Dimension | None = None

    @classmethod
    def make(
        cls,
        settings: Settings,
        *,
        first: date | None,
        end: date | None,
        tz: str | None,
        granularity: Granularity = Granularity.day,
        by: Dimension | None = None,
    ) -> MetricsRequest:
        """Check and complete a request: the reporting zone by default, the last 30 days
        when no range is given; raises :class:`ApiError` naming the bad field."""
        zone = tz or settings.metrics.timezone
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise _invalid("tz", f"unknown time zone {zone!r}") from None
        end = end or (first + timedelta(days=DEFAULT_DAYS) if first else date.today())
        first = first or end - timedelta(days=DEFAULT_DAYS)
        if first >= end:
            raise _invalid("to", "must be after 'from' (the range is [from, to))")
        if (end - first).days > settings.metrics.max_days:
            raise _invalid("to", f"the range is longer than {settings.metrics.max_days} days")
        return cls(first, end, zone, granularity, by)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)


@dataclass(frozen=True, slots=True)
class Metrics:
    """Every metric of one request, computed on demand over one connection."""

    engine: Engine
    request: MetricsRequest

    def span(self) -> Span:
        """Refresh the zone's rollup (cheap when nothing changed) and frame the range."""
        with self.engine.connect() as conn:
            refresh(conn, self.request.zone)
            found = rollup_id(conn, self.request.zone)
        assert found is not None
        r = self.request
        return Span(found, r.first, r.end, r.granularity, r.by)

    def north_star(self) -> list[query.NorthStarRow]:
        span = self.span()
        with self.engine.connect() as conn:
            return query.north_star(conn, span)

    def active_users(self) -> list[query.ActiveUsersRow]:
        span = self.span()
        with self.engine.connect() as conn:
            return query.active_users(conn, span)

    def retention(self) -> list[query.Cohort]:
        span = self.span()
        with self.engine.connect() as conn:
            return query.retention(conn, span)

    def engagement(self) -> list[query.EngagementRow]:
        span, r = self.span(), self.request
        with self.engine.connect() as conn:
            feedback = None
            if r.by is None:
                start, end = utc_bounds(r.first, r.end, r.tz)
                feedback = feedback_counts(conn, start, end, r.tz, r.granularity)
            return query.engagement(conn, span, feedback)

    def discovery(self) -> list[query.DiscoveryRow]:
        span = self.span()
        with self.engine.connect() as conn:
            return query.discovery(conn, span)

    def artist(self, artist_id: int) -> ArtistStats | None:
        """The artist's stats for the range, or None when there is no such artist."""
        r = self.request
        with self.engine.connect() as conn:
            name = artist_name(conn, artist_id)
            found = rollup_id(conn, r.zone)
        if name is None:
            return None
        if found is not None:
            with self.engine.connect() as conn:
                refresh(conn, r.zone)
        with self.engine.connect() as conn:
            if found is None:
                start, end = utc_bounds(r.first, r.end, r.tz)
                return artist_stats(conn, artist_id, name, start, end)
            first, last = day_number(r.first), day_number(r.end)
            return rolled_up_artist_stats(conn, found, artist_id, name, first, last)
