"""The synthetic history: realistic properties of what is generated, and loading it.

Generator properties are checked on one small history (in memory, fast); loading
runs on both databases through the ``store`` fixture.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import combinations, pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import func, select

from data.synth import SynthConfig, SynthError, World, build_world, store_history
from data.synth.listening import Plays, generate_block
from data.synth.population import allocate
from data.synth.rhythm import ZONES
from data.synth.spotify import write_spotify_json
from data.synth.world import plan_blocks
from models.catalog import Artist, Item, ItemKind, Tag, artist_tags
from models.listening import EventSource, ListeningEvent
from models.users import User
from service.store import Store
from tests.utils.factories import count_events

START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2025, 1, 1, tzinfo=UTC)
MS = 1000


def config(**overrides: object) -> SynthConfig:
    fields: dict[str, object] = {"users": 300, "events": 30_000, "start": START, "end": END}
    fields.update(overrides)
    return SynthConfig(**fields)  # type: ignore[arg-type]


def plays_of(world: World) -> Plays:
    blocks = [generate_block(world, b) for b in range(len(world.blocks))]
    return Plays(*(np.concatenate([getattr(p, f) for p in blocks]) for f in Plays.__slots__))


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(config())


@pytest.fixture(scope="module")
def plays(world: World) -> Plays:
    return plays_of(world)


def local_hours_and_days(world: World, plays: Plays) -> tuple[np.ndarray, np.ndarray]:
    """Local hour and weekday of each play, from the zone names (not the generator's table)."""
    zones = [ZoneInfo(ZONES[zone][0]) for zone in world.population.zone.tolist()]
    when = [
        datetime.fromtimestamp(ms / MS, zones[u])
        for u, ms in zip(plays.user.tolist(), plays.start_ms.tolist(), strict=True)
    ]
    return np.array([w.hour for w in when]), np.array([w.weekday() for w in when])


def test_exactly_the_requested_plays_by_every_listener(world: World, plays: Plays) -> None:
    assert len(plays) == 30_000
    assert np.bincount(plays.user, minlength=300).min() >= 1
    assert world.population.ids[:2] == ["synth-000000", "synth-000001"]


def test_same_seed_same_history_other_seed_another(plays: Plays) -> None:
    again = plays_of(build_world(config()))
    for name in Plays.__slots__:
        assert np.array_equal(getattr(plays, name), getattr(again, name)), name
    other = plays_of(build_world(config(seed=1)))
    assert not np.array_equal(plays.start_ms, other.start_ms)


def test_plays_stay_inside_the_window(plays: Plays) -> None:
    start_ms, end_ms = int(START.timestamp() * MS), int(END.timestamp() * MS)
    assert plays.start_ms.min() >= start_ms
    assert (plays.start_ms + plays.ms_played).max() < end_ms


def test_nothing_is_played_before_its_release(world: World, plays: Plays) -> None:
    assert (world.catalog.release_ms[plays.item] <= plays.start_ms).all()
    released_during = world.catalog.release_ms[plays.item] >= int(START.timestamp() * MS)
    assert 0.05 < released_during.mean() < 0.7  # new releases keep coming, and get played


def test_new_releases_get_a_bump(world: World, plays: Plays) -> None:
    """Plays of a track in its first 90 days outnumber those of any later 90 days."""
    age_days = (plays.start_ms - world.catalog.release_ms[plays.item]) // (86_400 * MS)
    tracks = ~world.catalog.is_episode(plays.item)
    new = world.catalog.release_ms[plays.item] >= int(START.timestamp() * MS)
    by_quarter = np.bincount(age_days[tracks & new] // 90)
    assert by_quarter[0] > 1.3 * by_quarter[1:].max()


def test_popularity_has_a_long_tail(plays: Plays) -> None:
    counts = np.sort(np.bincount(plays.item))[::-1]
    counts = counts[counts > 0]
    assert counts[: len(counts) // 10].sum() > 0.5 * len(plays)
    assert counts[len(counts) // 2 :].sum() < 0.1 * len(plays)  # the other half: a long tail


def test_listeners_of_one_cluster_share_more_items(world: World, plays: Plays) -> None:
    items = [set(plays.item[plays.user == u].tolist()) for u in range(len(world.population))]
    cluster = world.population.cluster
    within: list[float] = []
    across: list[float] = []
    for a, b in combinations(range(0, len(items), 3), 2):
        jaccard = len(items[a] & items[b]) / len(items[a] | items[b])
        (within if cluster[a] == cluster[b] else across).append(jaccard)
    assert np.mean(within) > 1.5 * np.mean(across)


def test_skips_are_a_quarter_and_short(world: World, plays: Plays) -> None:
    assert 0.18 < plays.skipped.mean() < 0.32
    assert plays.ms_played[plays.skipped].max() < 30_000
    assert plays.ms_played[~plays.skipped].min() >= 30_000
    tracks = ~world.catalog.is_episode(plays.item) & ~plays.skipped
    full = plays.ms_played[tracks] == world.catalog.duration_ms[plays.item[tracks]]
    assert full.mean() > 0.8  # a play that is not skipped is mostly heard to the end


def test_tracks_last_minutes_and_some_plays_are_podcasts(world: World, plays: Plays) -> None:
    duration = world.catalog.duration_ms[: world.catalog.n_tracks] / 60_000
    assert 2 < np.median(duration) < 6 and np.quantile(duration, 0.9) < 7
    assert 0.005 < world.catalog.is_episode(plays.item).mean() < 0.15


def test_sessions_are_runs_of_plays_half_an_hour_apart(plays: Plays) -> None:
    same_user = plays.user[1:] == plays.user[:-1]
    pause = plays.start_ms[1:] - (plays.start_ms[:-1] + plays.ms_played[:-1])
    pause = pause[same_user]
    assert (pause >= 0).all()  # no overlapping plays
    assert ((pause < 5 * MS) | (pause >= 30 * 60 * MS)).all()
    lengths = np.diff(np.flatnonzero(np.r_[True, pause >= 30 * 60 * MS, True]))
    assert 3 < lengths.mean() < 20 and lengths.max() >= 24


def test_nights_are_quiet_and_weekends_start_later(world: World, plays: Plays) -> None:
    hour, weekday = local_hours_and_days(world, plays)
    by_hour = np.bincount(hour, minlength=24)
    assert by_hour[1:5].sum() * 3 < by_hour[18:22].sum()
    commute = (hour >= 7) & (hour < 9)
    assert commute[weekday < 5].mean() > 1.3 * commute[weekday >= 5].mean()
    assert len(set(world.population.zone.tolist())) >= 5


def test_activity_is_heavy_tailed(world: World) -> None:
    counts = np.sort(world.population.counts)[::-1]
    assert counts[: len(counts) // 10].sum() > 0.3 * counts.sum()


def test_allocation_is_exact_and_capped() -> None:
    rng = np.random.default_rng(0)
    activity, cap = rng.lognormal(0, 1.1, 500), rng.integers(0, 40, 500)
    for total in (0, 7, 500, 4_000, int(cap.sum())):
        counts = allocate(total, activity, cap)
        assert counts.sum() == total and (counts <= cap).all()


def test_blocks_cover_every_listener_once() -> None:
    counts = np.array([5, 0, 300, 7, 7, 7, 1_000, 2])
    blocks = plan_blocks(counts, size=20)
    assert blocks[0][0] == 0 and blocks[-1][1] == len(counts)
    assert all(a[1] == b[0] for a, b in pairwise(blocks))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"end": START}, "must be after start"),
        ({"end": START - timedelta(days=1)}, "must be after start"),
        ({"events": -1}, "events must not be negative"),
        ({"users": 0}, "users must be at least 1"),
        ({"users": 1, "events": 100_000}, "do not fit 1 listener over 366 days"),
    ],
)
def test_impossible_histories_are_refused(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(SynthError, match=message):
        build_world(config(**overrides))


def test_spotify_export_has_the_fields_of_a_real_one(world: World, tmp_path: Path) -> None:
    path = tmp_path / "Streaming_History_Audio_synth.json"
    assert write_spotify_json(world, path) == 30_000
    records = json.loads(path.read_text())
    real_keys = [
        "ts", "platform", "ms_played", "conn_country", "ip_addr", "master_metadata_track_name",
        "master_metadata_album_artist_name", "master_metadata_album_album_name",
        "spotify_track_uri", "episode_name", "episode_show_name", "spotify_episode_uri",
        "audiobook_title", "audiobook_uri", "audiobook_chapter_uri", "audiobook_chapter_title",
        "reason_start", "reason_end", "shuffle", "skipped", "offline", "offline_timestamp",
        "incognito_mode",
    ]  # fmt: skip
    assert len(records) == 30_000 and all(list(r) == real_keys for r in records)
    tracks = [r for r in records if r["spotify_track_uri"]]
    episodes = [r for r in records if r["spotify_episode_uri"]]
    assert len(tracks) + len(episodes) == len(records) and episodes
    uri = re.compile(r"spotify:(track|episode):[0-9A-Za-z]{22}")
    assert all(uri.fullmatch(r["spotify_track_uri"] or r["spotify_episode_uri"]) for r in records)
    assert all(r["master_metadata_album_artist_name"] and r["episode_name"] is None for r in tracks)
    assert all(r["episode_show_name"] and r["master_metadata_track_name"] is None for r in episodes)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["ts"]) for r in records)
    ends = [datetime.fromisoformat(r["ts"]) for r in records]
    starts = [
        e - timedelta(milliseconds=r["ms_played"]) for e, r in zip(ends, records, strict=True)
    ]
    assert min(starts) >= START and max(ends) <= END
    assert Counter(type(r["skipped"]) for r in records) == {bool: len(records)}


def test_spotify_export_of_one_listener_is_their_history(world: World, tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    written = write_spotify_json(world, path, user=7)
    records = json.loads(path.read_text())
    assert written == len(records) == world.population.counts[7]
    stamps = [r["ts"] for r in records]
    assert stamps == sorted(stamps)


def test_load_stores_exactly_the_generated_history(store: Store) -> None:
    small = build_world(config(users=40, events=3_000))
    result = store_history(store.engine, store.resolver, small)
    assert (result.events, result.inserted, result.users) == (3_000, 3_000, 40)
    assert count_events(store.engine) == 3_000
    generated = plays_of(small)
    with store.sessions() as session:
        rows = session.execute(
            select(ListeningEvent.ts, ListeningEvent.ms_played, ListeningEvent.source)
        ).all()
        zones = {u: z for u, z in session.execute(select(User.external_id, User.timezone))}
        n_items = session.scalar(select(func.count()).select_from(Item))
        kinds = set(session.scalars(select(Item.kind).distinct()))
        n_tagged = session.scalar(select(func.count(func.distinct(artist_tags.c.artist_id))))
        n_artists = int(session.scalar(select(func.count()).select_from(Artist)) or 0)
        genres = set(session.scalars(select(Tag.name)))
    stored = sorted((int(ts.timestamp() * MS), ms) for ts, ms, _ in rows)
    assert stored == sorted(
        zip(generated.start_ms.tolist(), generated.ms_played.tolist(), strict=True)
    )
    assert {source for _, _, source in rows} == {EventSource.synthetic}
    assert set(zones) == set(small.population.ids)
    assert len(set(zones.values())) >= 3 and "UTC" not in zones.values()
    assert n_items == small.catalog.n_items and kinds == {ItemKind.track, ItemKind.episode}
    assert n_tagged == len(small.catalog.artist_names) == n_artists - len(small.catalog.show_names)
    assert len(genres) >= 10


def test_loading_again_stores_nothing_new(store: Store) -> None:
    small = build_world(config(users=20, events=1_000))
    store_history(store.engine, store.resolver, small)
    again = store_history(store.engine, store.resolver, build_world(config(users=20, events=1_000)))
    assert (again.events, again.inserted) == (1_000, 0)
    assert count_events(store.engine) == 1_000


def test_stored_nights_are_quiet_in_the_listeners_own_time(store: Store) -> None:
    small = build_world(config(users=60, events=4_000))
    store_history(store.engine, store.resolver, small)
    with store.sessions() as session:
        rows = session.execute(
            select(ListeningEvent.ts, User.timezone).join(User, User.id == ListeningEvent.user_id)
        ).all()
    hours = Counter(ts.astimezone(ZoneInfo(zone)).hour for ts, zone in rows)
    night = sum(hours[h] for h in range(1, 5))
    evening = sum(hours[h] for h in range(18, 22))
    assert night * 3 < evening
