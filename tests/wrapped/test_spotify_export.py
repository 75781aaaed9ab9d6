"""Wrapped 2024 of a real Spotify export, each number recomputed from the JSON files.

The export (``../shared/datasets/spotify-extended-efrrowini``) is imported once per backend.
The expected numbers come from the files alone, in plain Python: a record's ``ts`` is when
the play *ended*, so its start, which decides its year, day and hour, is ``ts - ms_played``.
The listener is in India: the year is 2024 in Asia/Kolkata (UTC+05:30).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from data.importers import spotify
from data.importers.run import import_all
from data.importers.sources import expand
from service.settings import Settings
from service.store import Store
from tests.conftest import BACKENDS, empty_database
from tests.data.test_importers import DATASETS, needs_data
from wrapped.report import Report, build_report
from wrapped.rules import Rules
from wrapped.window import Window

FOLDER = DATASETS / "spotify-extended-efrrowini"
TZ = ZoneInfo("Asia/Kolkata")
YEAR = 2024

pytestmark = needs_data


@dataclass(frozen=True)
class Play:
    start: datetime  # local
    ms: int
    artist: str  # case-folded, as the catalog matches names
    track: Any  # the item: see read_plays
    album: tuple[str, str]
    kind: str
    skipped: bool | None
    shuffle: bool | None
    names: tuple[str, str]  # (title, artist) as displayed


def read_plays() -> list[Play]:
    """Every record as a play. A track is one Spotify URI *or* one (artist, title, album):
    the export gives some URIs two album names and some names two URIs, and the catalog
    makes each such group one item, so tracks are the connected groups of URIs and names.
    An item keeps the album of the record that created it, the group's first."""
    parent: dict[Any, Any] = {}

    def root(node: Any) -> Any:
        parent.setdefault(node, node)
        while parent[node] != node:
            node = parent[node] = parent[parent[node]]
        return node

    def names(r: dict[str, Any]) -> tuple[str, str, str]:
        if r["spotify_episode_uri"]:
            return r["episode_show_name"], r["episode_name"], ""
        return (r["master_metadata_album_artist_name"], r["master_metadata_track_name"],
                r["master_metadata_album_album_name"])  # fmt: skip

    def group(r: dict[str, Any]) -> Any:
        return root(("names", *(n.casefold() for n in names(r))))

    records = [
        (path, r) for path in sorted(FOLDER.glob("*.json")) for r in json.loads(path.read_text())
    ]
    tracks = [r for _path, r in records if r["spotify_track_uri"]]
    for r in tracks:
        parent[root(("uri", r["spotify_track_uri"]))] = group(r)
    albums: dict[Any, tuple[str, str]] = {}
    for r in tracks:
        artist, _title, album = names(r)
        albums.setdefault(group(r), (artist.casefold(), album.casefold()))
    plays = []
    seen = set()
    for path, r in records:
        key = (r["ts"], r["spotify_track_uri"] or r["spotify_episode_uri"], r["ms_played"])
        if key in seen:  # the one exact duplicate in the export
            continue
        seen.add(key)
        end = datetime.fromisoformat(r["ts"].replace("Z", "+00:00"))
        artist, title, _album = names(r)
        kind = "episode" if r["spotify_episode_uri"] else "track"
        plays.append(
            Play(
                start=(end - timedelta(milliseconds=r["ms_played"])).astimezone(TZ),
                ms=r["ms_played"], artist=artist.casefold(), track=group(r),
                album=albums.get(group(r), ("", "")),
                kind="video" if "Video" in path.name else kind,
                skipped=r["skipped"], shuffle=r["shuffle"], names=(title, artist),
            )
        )  # fmt: skip
    assert not any(p for p in plays if p.kind == "video" and p.start.year == YEAR)
    return plays


@pytest.fixture(scope="module")
def raw() -> list[Play]:
    return read_plays()


@pytest.fixture(scope="module")
def plays(raw: list[Play]) -> list[Play]:
    return [p for p in raw if p.start.year == YEAR]


@pytest.fixture(scope="module")
def music(plays: list[Play]) -> list[Play]:
    return [p for p in plays if p.kind == "track" and p.ms > 0]


@pytest.fixture(scope="module", params=BACKENDS)
def report(request: pytest.FixtureRequest) -> Iterator[Report]:
    """The 2024 report, imported and built once per backend."""
    fixture = "pg_schema_url" if request.param == "postgresql" else "sqlite_url"
    url = empty_database(request.getfixturevalue(fixture))
    store = Store.open(Settings(database_url=url, _env_file=None))
    try:
        import_all(store.engine, store.resolver, expand([FOLDER], spotify.accepts),
                   spotify.parse, user="efrrowini")  # fmt: skip
        with store.sessions() as session:
            yield build_report(
                session, user_id="efrrowini",
                window_for=lambda _own: Window.for_year(YEAR, "Asia/Kolkata"), rules=Rules(),
            )  # fmt: skip
    finally:
        store.close()


def sums(plays: list[Play], key: Any) -> dict[Any, tuple[int, int]]:
    """(ms, streams) per key."""
    out: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    for p in plays:
        out[key(p)][0] += p.ms
        out[key(p)][1] += p.ms >= 30_000
    return {k: (v[0], v[1]) for k, v in out.items()}


def test_totals(report: Report, plays: list[Play], music: list[Play]) -> None:
    t = report.totals
    assert t.plays == len(plays) == 3154
    assert t.ms_played == sum(p.ms for p in plays)
    assert t.minutes == sum(p.ms for p in plays) // 60_000
    assert t.streams == sum(p.ms >= 30_000 for p in plays)
    assert t.music.ms_played == sum(p.ms for p in music)
    assert t.music.tracks == len({p.track for p in music})
    assert t.music.artists == len({p.artist for p in music})
    assert t.music.albums == len({p.album for p in music})
    episodes = [p for p in plays if p.kind == "episode"]
    assert (t.podcasts.ms_played, t.podcasts.episodes) == (sum(p.ms for p in episodes), 1)
    assert t.videos.ms_played == 0


def test_top_lists(report: Report, music: list[Play]) -> None:
    def ranking(by: Any) -> list[tuple[Any, int, int]]:
        totals = sums(music, by)
        return sorted(((k, ms, n) for k, (ms, n) in totals.items()), key=lambda r: (-r[1], -r[2]))

    artists = ranking(lambda p: p.artist)[:5]
    assert [(a.name.casefold(), a.ms_played, a.streams) for a in report.top.artists] == artists
    tracks = ranking(lambda p: p.track)[:5]
    assert [(t.ms_played, t.streams) for t in report.top.tracks] == [r[1:] for r in tracks]
    titles = {p.track: p.names[0] for p in music}
    assert [t.title for t in report.top.tracks][:1] == [titles[tracks[0][0]]]
    albums = ranking(lambda p: p.album)[:5]
    assert [((a.artist.casefold(), a.title.casefold()), a.ms_played, a.streams)
            for a in report.top.albums] == albums  # fmt: skip
    assert report.top.genres == []  # a Spotify export carries no genres

    top = report.top.top_artist
    assert top is not None
    theirs = [p for p in music if p.artist == artists[0][0]]
    assert top.first_played == min(p.start.date() for p in theirs)
    best = max(sums(theirs, lambda p: p.track).items(), key=lambda kv: (kv[1][0], kv[1][1]))
    assert (top.top_track.title, top.top_track.ms_played) == (titles[best[0]], best[1][0])


def test_top_songs(report: Report, music: list[Play]) -> None:
    totals = sums(music, lambda p: p.track)
    expected = sorted(((ms, n) for ms, n in totals.values() if n > 0),
                      key=lambda r: (-r[1], -r[0]))[:100]  # fmt: skip
    songs = report.top_songs.tracks
    assert [(s.ms_played, s.streams) for s in songs] == expected
    assert all(s.spotify_uri and s.spotify_uri.startswith("spotify:track:") for s in songs)


def test_clock(report: Report, plays: list[Play]) -> None:
    c = report.clock
    assert [h.ms_played for h in c.hours] == [
        sum(p.ms for p in plays if p.start.hour == h) for h in range(24)
    ]
    assert [d.ms_played for d in c.weekdays] == [
        sum(p.ms for p in plays if p.start.weekday() == d) for d in range(7)
    ]
    assert [m.ms_played for m in c.months] == [
        sum(p.ms for p in plays if p.start.month == m) for m in range(1, 13)
    ]
    per_day = Counter[date]()
    for p in plays:
        if p.ms > 0:
            per_day[p.start.date()] += p.ms
    peak = max(per_day.items(), key=lambda kv: (kv[1], -kv[0].toordinal()))
    assert c.peak_day and (c.peak_day.date, c.peak_day.ms_played) == peak
    assert c.active_days == len(per_day)
    days = sorted(per_day)
    runs, run = [], [days[0]]
    for day in days[1:]:
        run = [*run, day] if day - run[-1] == timedelta(days=1) else [day]
        runs.append(run)
    longest = max(runs, key=len)
    assert c.longest_streak
    assert (c.longest_streak.days, c.longest_streak.first_day) == (len(longest), longest[0])


def test_behaviour(report: Report, plays: list[Play]) -> None:
    known = [p for p in plays if p.skipped is not None]
    assert report.behaviour.skip_rate == round(
        sum(p.skipped is True for p in known) / len(known), 4
    )
    shuffled = [p for p in plays if p.shuffle is not None]
    assert report.behaviour.shuffle_share == round(
        sum(p.ms for p in shuffled if p.shuffle) / sum(p.ms for p in shuffled), 4
    )
    assert report.behaviour.recommended_share == 0.0


def test_discoveries(report: Report, raw: list[Play], music: list[Play]) -> None:
    before = {p.artist for p in raw if p.start.year < YEAR and p.ms > 0}
    new = sums([p for p in music if p.artist not in before], lambda p: p.artist)
    d = report.discoveries
    assert d is not None
    assert d.new_artists == len(new)
    assert d.ms_played == sum(ms for ms, _ in new.values())
    assert d.new_artist_share == round(d.ms_played / sum(p.ms for p in music), 4)
    best = sorted(new.items(), key=lambda kv: (-kv[1][0], -kv[1][1]))[:10]
    assert [(x.name.casefold(), x.ms_played) for x in d.top] == [(k, v[0]) for k, v in best]


def test_year_over_year(report: Report, raw: list[Play]) -> None:
    before = [p for p in raw if p.start.year == YEAR - 1]
    yoy = report.comparisons.year_over_year
    assert yoy is not None and yoy.previous == str(YEAR - 1)
    assert yoy.ms_played == sum(p.ms for p in before)
    assert yoy.streams == sum(p.ms >= 30_000 for p in before)
    assert report.comparisons.listeners is None  # one listener: too few to compare


def test_months_and_personality(report: Report, music: list[Play]) -> None:
    for month in report.months:
        in_month = [p for p in music if f"{p.start:%Y-%m}" == month.month]
        assert month.ms_played == sum(p.ms for p in in_month)
        if in_month:
            best = max(sums(in_month, lambda p: p.artist).items(), key=lambda kv: kv[1])
            assert month.top_artist and month.top_artist.name.casefold() == best[0]
    assert report.personality is not None
    assert [a.axis for a in report.personality.archetypes] == ["discovery", "clock", "variety"]
    assert report.personality.summary.startswith("You're ")


def test_the_report_is_json(report: Report) -> None:
    again = Report.model_validate_json(report.model_dump_json())
    assert again == report
