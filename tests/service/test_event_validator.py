"""Property tests for the event schema: valid events always pass, anything else is
either valid or refused with field-level errors, never a crash."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from service.batch import validate_items
from service.schemas.events import EventIn

EVENTS = TypeAdapter(list[EventIn])
names = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=60
).filter(lambda s: s.strip())
items = st.one_of(
    st.fixed_dictionaries(
        {"artist": names, "title": names},
        optional={"album": names, "kind": st.sampled_from(["track", "episode", "video"])},
    ),
    st.builds(
        lambda s: {"spotify_uri": f"spotify:track:{s}"},
        st.text(alphabet="abcdefghijkLMNOP0123456789", min_size=22, max_size=22),
    ),
)
stamps = st.one_of(
    st.datetimes(
        min_value=datetime(2001, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ).map(lambda d: d.isoformat()),
    st.integers(min_value=978_307_200, max_value=1_900_000_000),
)
valid_events = st.fixed_dictionaries(
    {
        "user_id": names.filter(lambda s: len(s.strip()) <= 128),
        "ts": stamps,
        "ms_played": st.integers(min_value=0, max_value=86_400_000),
        "item": items,
    },
    optional={
        "skipped": st.booleans(),
        "shuffle": st.booleans(),
        "private": st.booleans(),
        "event_id": names,
        "country": st.sampled_from(["nl", "GB", "In"]),
    },
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)


@given(st.lists(valid_events, min_size=1, max_size=20))
def test_valid_events_all_pass(events: list[dict[str, Any]]) -> None:
    good, rejected = validate_items(events, EVENTS)
    assert rejected == []
    assert [i for i, _ in good] == list(range(len(events)))
    for (_, model), raw in zip(good, events, strict=True):
        assert model.ts.tzinfo is UTC
        assert model.ms_played == raw["ms_played"]


@settings(max_examples=200)
@given(st.lists(st.one_of(valid_events, json_values), min_size=1, max_size=10))
def test_mixed_batches_split_into_good_and_rejected(events: list[Any]) -> None:
    good, rejected = validate_items(events, EVENTS)
    indices = sorted([i for i, _ in good] + [r.index for r in rejected])
    assert indices == list(range(len(events)))  # every item is accounted for exactly once
    for r in rejected:
        assert r.errors, "a rejection always says why"
        try:
            EventIn.model_validate(events[r.index])
        except ValidationError:
            continue
        raise AssertionError(f"item {r.index} was rejected but is valid")


@given(valid_events, st.sampled_from(["user_id", "ts", "ms_played", "item"]))
def test_missing_required_field_is_named(event: dict[str, Any], field: str) -> None:
    del event[field]
    good, rejected = validate_items([event], EVENTS)
    assert good == []
    assert rejected[0].errors[0].loc == [field]
    assert rejected[0].errors[0].type == "missing"


@given(
    valid_events, st.integers(min_value=86_400_001, max_value=10**12) | st.integers(max_value=-1)
)
def test_absurd_ms_played_is_refused(event: dict[str, Any], ms: int) -> None:
    event["ms_played"] = ms
    _, rejected = validate_items([event], EVENTS)
    assert rejected[0].errors[0].loc == ["ms_played"]
