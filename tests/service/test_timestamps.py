"""Property tests for timestamp parsing: ISO 8601 with an offset, or epoch seconds/millis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.schemas.fields import EPOCH_MS_THRESHOLD, parse_timestamp

offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
instants = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)


@given(instants, offsets)
def test_iso_with_any_offset_round_trips_to_the_same_instant(
    instant: datetime, tz: timezone
) -> None:
    text = instant.astimezone(tz).isoformat()
    parsed = parse_timestamp(text)
    assert parsed == instant
    assert parsed.tzinfo is UTC


@given(
    st.datetimes(
        min_value=datetime(1973, 3, 4), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    )
)
def test_epoch_seconds_and_millis_agree(instant: datetime) -> None:
    """Unambiguous from 1973-03-04 on, when epoch milliseconds pass the threshold."""
    whole = instant.replace(microsecond=0)
    seconds = int(whole.timestamp())
    assert parse_timestamp(seconds) == whole
    assert parse_timestamp(seconds * 1000) == whole


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)))
def test_naive_iso_is_refused(naive: datetime) -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        parse_timestamp(naive.isoformat())


@given(st.text(max_size=40))
def test_arbitrary_text_parses_or_raises_value_error(text: str) -> None:
    try:
        parsed = parse_timestamp(text)
    except ValueError:
        return
    assert parsed.tzinfo is UTC


@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers()))
def test_arbitrary_numbers_parse_or_raise_value_error(number: float) -> None:
    try:
        parsed = parse_timestamp(number)
    except ValueError:
        return
    assert parsed.tzinfo is UTC


def test_threshold_separates_seconds_from_millis() -> None:
    assert parse_timestamp(EPOCH_MS_THRESHOLD - 1).year > 5000  # seconds: far future
    assert parse_timestamp(EPOCH_MS_THRESHOLD).year == 1973  # milliseconds


def test_z_suffix_and_booleans() -> None:
    assert parse_timestamp("2024-05-01T12:00:00Z") == datetime(2024, 5, 1, 12, tzinfo=UTC)
    with pytest.raises(ValueError, match="boolean"):
        parse_timestamp(True)
    with pytest.raises(ValueError):
        parse_timestamp(["2024-05-01T12:00:00Z"])
