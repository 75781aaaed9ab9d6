"""Windows and local time: DST days, half-hour zones, the date line; no database."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from wrapped.errors import InvalidWindow
from wrapped.window import US, LocalTime, Window, day_date, month_label, transitions


def us(text: str) -> int:
    instant = datetime.fromisoformat(text).astimezone(UTC)
    return int(instant.timestamp()) * US + instant.microsecond


def local(texts: list[str], tz: str) -> LocalTime:
    return LocalTime.of(np.array([us(t) for t in texts], dtype=np.int64), ZoneInfo(tz))


@pytest.mark.parametrize(
    ("tz", "start", "end"),
    [
        ("UTC", "2024-01-01T00:00:00+00:00", "2025-01-01T00:00:00+00:00"),
        ("Europe/Amsterdam", "2023-12-31T23:00:00+00:00", "2024-12-31T23:00:00+00:00"),
        ("Pacific/Kiritimati", "2023-12-31T10:00:00+00:00", "2024-12-31T10:00:00+00:00"),
        ("Pacific/Pago_Pago", "2024-01-01T11:00:00+00:00", "2025-01-01T11:00:00+00:00"),
        ("Asia/Kolkata", "2023-12-31T18:30:00+00:00", "2024-12-31T18:30:00+00:00"),
    ],
)
def test_a_year_starts_at_local_midnight(tz: str, start: str, end: str) -> None:
    window = Window.for_year(2024, tz)
    assert window.start == datetime.fromisoformat(start)
    assert window.end == datetime.fromisoformat(end)
    assert window.start_us == us(start) and window.end_us == us(end)
    assert window.label == "2024"


def test_dst_days_in_amsterdam() -> None:
    # 31 March 2024: 02:00 CET becomes 03:00 CEST at 01:00 UTC; no local hour 2 that day.
    spring = local(["2024-03-31T00:59:59Z", "2024-03-31T01:00:00Z"], "Europe/Amsterdam")
    assert spring.hour.tolist() == [1, 3]
    # 27 October 2024: 03:00 CEST falls back to 02:00 CET at 01:00 UTC; hour 2 happens twice.
    autumn = local(
        ["2024-10-27T00:30:00Z", "2024-10-27T01:30:00Z", "2024-10-27T22:59:59Z",
         "2024-10-27T23:00:00Z"], "Europe/Amsterdam",
    )  # fmt: skip
    assert autumn.hour.tolist() == [2, 2, 23, 0]
    assert [str(day_date(d)) for d in autumn.day] == ["2024-10-27"] * 3 + ["2024-10-28"]
    assert autumn.weekday.tolist() == [6, 6, 6, 0]  # Sunday, then Monday


def test_half_hour_and_date_line_zones() -> None:
    kolkata = local(["2024-12-31T18:29:59Z", "2024-12-31T18:30:00Z"], "Asia/Kolkata")
    assert [str(day_date(d)) for d in kolkata.day] == ["2024-12-31", "2025-01-01"]
    assert kolkata.hour.tolist() == [23, 0]
    assert [month_label(m) for m in kolkata.month] == ["2024-12", "2025-01"]
    kiritimati = local(["2024-12-31T09:59:59Z", "2024-12-31T10:00:00Z"], "Pacific/Kiritimati")
    assert [str(day_date(d)) for d in kiritimati.day] == ["2024-12-31", "2025-01-01"]


@pytest.mark.parametrize(
    "tz", ["Europe/Amsterdam", "America/Santiago", "Australia/Lord_Howe", "America/St_Johns"]
)
def test_offsets_match_zoneinfo_play_by_play(tz: str) -> None:
    """Lord Howe shifts by 30 minutes, Santiago at local midnight, St John's at -3:30."""
    zone = ZoneInfo(tz)
    rng = random.Random(tz)
    first = datetime(2023, 1, 1, tzinfo=UTC)
    instants = [first + timedelta(seconds=rng.randrange(0, 2 * 366 * 86_400)) for _ in range(3000)]
    changes = transitions(zone, int(first.timestamp()), int(max(instants).timestamp()))[0]
    assert changes.size >= 4  # two years of DST
    instants += [datetime.fromtimestamp(int(t), UTC) + timedelta(seconds=d)
                 for t in changes[1:] for d in (-1, 0, 1)]  # fmt: skip
    ts = np.array([int(i.timestamp()) * US for i in instants], dtype=np.int64)
    got = LocalTime.of(ts, zone)
    expected = [i.astimezone(zone) for i in instants]
    assert got.hour.tolist() == [e.hour for e in expected]
    assert [day_date(d) for d in got.day] == [e.date() for e in expected]
    assert got.weekday.tolist() == [e.weekday() for e in expected]


def test_dst_day_is_23_hours_long() -> None:
    day = Window.between(date(2024, 3, 31), date(2024, 4, 1), "Europe/Amsterdam")
    assert day.end - day.start == timedelta(hours=23)  # type: ignore[operator]
    assert day.year is None and day.label == "2024-03-31 to 2024-03-31"


def test_ranges_and_their_previous_year() -> None:
    leap = Window.between(date(2024, 2, 29), date(2024, 3, 1), "UTC")
    assert leap.previous() == Window("UTC", date(2023, 2, 28), date(2023, 3, 1))
    assert Window.between(date(2024, 1, 1), date(2025, 1, 1), "UTC").year == 2024
    assert Window.for_year(2024, "UTC").previous() == Window.for_year(2023, "UTC")
    everything = Window.between(None, None, "UTC", today=date(2025, 6, 30))
    assert everything.start is None and everything.end_day == date(2025, 7, 1)
    assert everything.previous() is None and everything.label == "all time to 2025-06-30"


def test_bad_windows_are_refused() -> None:
    with pytest.raises(InvalidWindow, match="unknown timezone"):
        Window.for_year(2024, "Mars/Olympus_Mons")
    with pytest.raises(InvalidWindow, match="end after it starts") as caught:
        Window.between(date(2024, 5, 1), date(2024, 5, 1), "UTC")
    assert caught.value.field == "to"
    with pytest.raises(InvalidWindow, match="dates must be from 1970"):
        Window.between(date(1, 1, 1), None, "Asia/Tokyo")
    with pytest.raises(InvalidWindow, match="year must be") as caught:
        Window.for_year(0, "UTC")
    assert caught.value.field == "year"
