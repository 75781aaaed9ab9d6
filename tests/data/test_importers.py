"""Importers against the real exports in ../shared/datasets, on SQLite and PostgreSQL.

Expected counts are the ones measured independently in the datasets' README.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from data.importers import csvmap, lastfm, listenbrainz, spotify
from data.importers.base import DEFAULT_SCROBBLE_MS, FileReport, Parser
from data.importers.run import import_all, import_file
from data.importers.sources import expand
from models.catalog import Artist, Item, ItemKind
from models.listening import EventSource, ListeningEvent
from models.users import User
from service.store import Store
from tests.utils.factories import count_events

ROOT = Path(__file__).resolve().parents[2]
DATASETS = Path(os.environ.get("ENCORE_DATASETS", ROOT.parent / "shared" / "datasets"))
FIXTURES = ROOT / "tests" / "fixtures"
needs_data = pytest.mark.skipif(not DATASETS.is_dir(), reason=f"no datasets at {DATASETS}")


def run(
    store: Store,
    paths: list[Path],
    accepts: Callable[[str], bool],
    parse: Parser,
    user: str | None = None,
) -> list[FileReport]:
    return import_all(store.engine, store.resolver, expand(paths, accepts), parse, user=user)


def totals(reports: list[FileReport]) -> tuple[int, int, dict[str, int]]:
    skipped: dict[str, int] = {}
    for r in reports:
        assert r.error is None, r.error
        for reason, n in r.skipped.items():
            skipped[reason] = skipped.get(reason, 0) + n
    return sum(r.imported for r in reports), sum(r.duplicates for r in reports), skipped


@needs_data
def test_spotify_extended_folder_imports_exactly(store: Store) -> None:
    folder = DATASETS / "spotify-extended-efrrowini"
    reports = run(store, [folder], spotify.accepts, spotify.parse, user="efrrowini")
    assert len(reports) == 6
    assert totals(reports) == (7006, 1, {})  # 7,007 records, one exact duplicate
    with store.sessions() as session:
        kinds = dict(
            session.execute(
                select(Item.kind, func.count()).join(ListeningEvent).group_by(Item.kind)
            ).all()
        )
        top = session.execute(
            select(Artist.name, func.count())
            .select_from(ListeningEvent)
            .join(Item)
            .join(Artist)
            .group_by(Artist.name)
            .order_by(func.count().desc())
            .limit(2)
        ).all()
    assert kinds[ItemKind.episode] == 49  # podcast episodes from the audio files
    assert top[0] == ("Lana Del Rey", 164)
    assert top[1] == ("Taylor Swift", 142)  # 141 in the audio files (README) + 1 video


@needs_data
def test_spotify_reimport_adds_nothing(store: Store) -> None:
    folder = DATASETS / "spotify-extended-efrrowini"
    run(store, [folder], spotify.accepts, spotify.parse)
    again = run(store, [folder], spotify.accepts, spotify.parse)
    assert totals(again) == (0, 7007, {})
    assert count_events(store.engine) == 7006


@needs_data
def test_spotify_endsong_skips_empty_records(store: Store) -> None:
    reports = run(store, [DATASETS / "spotify-endsong-candidlyred" / "endsong.json"],
                  spotify.accepts, spotify.parse)  # fmt: skip
    assert totals(reports) == (941, 2, {"no track, episode or audiobook in the record": 20})


@needs_data
def test_spotify_stores_start_time_and_event_fields(store: Store) -> None:
    path = DATASETS / "spotify-extended-efrrowini" / "Streaming_History_Audio_2023.json"
    first = json.loads(path.read_text())[0]
    run(store, [path], spotify.accepts, spotify.parse, user="a")
    with store.sessions() as session:
        event, item = session.execute(
            select(ListeningEvent, Item)
            .join(Item)
            .where(Item.spotify_uri == first["spotify_track_uri"])
        ).first()  # type: ignore[misc]
    end = datetime.fromisoformat(first["ts"])
    assert event.ts == end - timedelta(milliseconds=first["ms_played"])
    assert (item.title, item.artist.name) == ("Forever", "Labrinth")
    assert (event.skipped, event.reason_start, event.reason_end) == (True, "trackdone", "endplay")
    assert (event.platform, event.country, event.source) == ("android", "IN", EventSource.spotify)


@needs_data
def test_spotify_account_data_both_files(store: Store) -> None:
    folder = DATASETS / "spotify-account-streaminghistory-averydata"
    reports = run(store, [folder], spotify.accepts, spotify.parse)
    assert totals(reports) == (345 + 8054, 0, {})


@needs_data
def test_spotify_zip_as_sent(store: Store, tmp_path: Path) -> None:
    archive = tmp_path / "my_spotify_data.zip"
    folder = DATASETS / "spotify-extended-efrrowini"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.glob("*.json")):
            zf.write(path, f"Spotify Extended Streaming History/{path.name}")
        zf.writestr(
            "Spotify Extended Streaming History/ReadMeFirst_ExtendedStreamingHistory.pdf", b"%PDF"
        )
    reports = run(store, [archive], spotify.accepts, spotify.parse)
    assert [Path(r.name.split(":")[1]).name for r in reports] == sorted(
        p.name for p in folder.glob("*.json")
    )
    assert totals(reports) == (7006, 1, {})


@needs_data
def test_truncated_file_stores_nothing(store: Store, tmp_path: Path) -> None:
    source = DATASETS / "spotify-extended-efrrowini" / "Streaming_History_Audio_2024.json"
    truncated = tmp_path / "Streaming_History_Audio_2024.json"
    data = source.read_bytes()
    truncated.write_bytes(data[: len(data) * 2 // 3])
    reports = run(store, [truncated], spotify.accepts, spotify.parse)
    assert reports[0].error and "truncated" in reports[0].error
    assert (reports[0].imported, reports[0].duplicates) == (0, 0)
    assert count_events(store.engine) == 0
    with store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Item)) == 0


@needs_data
def test_wrong_format_is_refused(store: Store) -> None:
    lastfm_csv = DATASETS / "lastfm-scrobbles-sachawheeler" / "scrobbles.csv"
    spotify_json = DATASETS / "spotify-endsong-candidlyred" / "endsong.json"
    assert "not a Spotify" in (
        run(store, [lastfm_csv], spotify.accepts, spotify.parse)[0].error or ""
    )
    assert "not a Last.fm" in (
        run(store, [spotify_json], lastfm.accepts, lastfm.parse)[0].error or ""
    )
    assert "not a ListenBrainz" in (
        run(store, [spotify_json], listenbrainz.accepts, listenbrainz.parse)[0].error or ""
    )
    assert count_events(store.engine) == 0


@needs_data
def test_lastfm_csv_and_1k_tsv(store: Store) -> None:
    csv_path = DATASETS / "lastfm-scrobbles-sachawheeler" / "scrobbles.csv"
    tsv_path = DATASETS / "lastfm-1k-sample" / "userid-timestamp-artid-artname-traid-traname.tsv"
    assert totals(run(store, [csv_path], lastfm.accepts, lastfm.parse, user="sacha")) == (
        11622,
        0,
        {},
    )
    assert totals(run(store, [tsv_path], lastfm.accepts, lastfm.parse)) == (85, 0, {})
    with store.sessions() as session:
        users = set(session.scalars(select(User.external_id)))
        arms = session.execute(
            select(func.count(func.distinct(Item.id)), func.count())
            .select_from(ListeningEvent)
            .join(Item)
            .where(Item.mbid == "00431014-07cf-43dd-a6b8-7ffc52fd3c3a")
        ).one()
        ms = set(session.scalars(select(ListeningEvent.ms_played).distinct()))
        gogo = session.scalar(select(Artist.name).where(Artist.name_key == "go-go's"))
    assert users == {"sacha", "user_000001"}  # the 1K file names its own user
    # "Into My Arms" is scrobbled as by "Nick Cave and the Bad Seeds" and "... & the Bad Seeds"
    # with one recording MBID: the MBID makes them one item.
    assert arms[0] == 1
    assert arms[1] == sum(
        1
        for line in csv_path.read_text().splitlines()
        if "00431014-07cf-43dd-a6b8-7ffc52fd3c3a" in line
    )
    assert ms == {DEFAULT_SCROBBLE_MS}
    assert (
        gogo == "Go\u2010Go\u2019s"
    )  # typographic punctuation kept for display, folded for matching


def test_listenbrainz_jsonl(store: Store) -> None:
    reports = run(store, [FIXTURES / "listenbrainz"], listenbrainz.accepts, listenbrainz.parse)
    assert totals(reports) == (3, 1, {"no artist or track name": 1, "unreadable listened_at": 1})
    with store.sessions() as session:
        first = session.scalars(select(Item).where(Item.title == "Riverside")).one()
        ms = sorted(session.scalars(select(ListeningEvent.ms_played)))
    assert first.spotify_uri == "spotify:track:4c9wlE8J0DOfn3YA4FIkkw"
    assert first.isrc == "DEA621000048"
    assert ms == sorted([229_000, 268_000, DEFAULT_SCROBBLE_MS])


def test_listenbrainz_json_array(store: Store, tmp_path: Path) -> None:
    lines = (FIXTURES / "listenbrainz" / "listens.jsonl").read_text().splitlines()
    array = tmp_path / "listens.json"
    array.write_text(json.dumps([json.loads(line) for line in lines if line.strip()]))
    assert totals(run(store, [array], listenbrainz.accepts, listenbrainz.parse))[:2] == (3, 1)


def test_hostile_strings(store: Store, tmp_path: Path) -> None:
    def play(n: int, **fields: object) -> dict[str, object]:
        return {
            "ts": f"2024-01-01T1{n}:00:00Z",
            "ms_played": 200_000,
            "master_metadata_album_artist_name": "A",
            "spotify_track_uri": f"spotify:track:{n:022d}",
            **fields,
        }

    hostile = [
        play(
            0,
            master_metadata_track_name="Ro\x00bert'); DROP TABLE users;--",
            master_metadata_album_artist_name="<script>alert(1)</script>",
            master_metadata_album_album_name="A\r\nB",
            platform="x" * 5000,
            reason_start="\u202e" * 100,
        ),
        play(1, master_metadata_track_name="T" * 100_000),
        play(2, master_metadata_track_name="neg", ms_played=-5),
        play(3, master_metadata_track_name="future", ts="9999-01-01T12:00:00Z"),
        play(4, master_metadata_track_name="x", ts="not a time"),
    ]
    path = tmp_path / "Streaming_History_Audio_2024.json"
    path.write_text(json.dumps(hostile))
    reports = run(store, [path], spotify.accepts, spotify.parse)
    assert totals(reports) == (
        1, 0,
        {"name longer than 512 characters": 1, "negative ms_played": 1,
         "timestamp in the future": 1, "unreadable ts or ms_played": 1},
    )  # fmt: skip
    with store.sessions() as session:
        item = session.scalars(select(Item)).one()
        assert session.scalar(select(func.count()).select_from(User)) == 1  # users table intact
    assert item.title == "Ro bert'); DROP TABLE users;--"
    assert item.artist.name == "<script>alert(1)</script>"  # stored as text; pages must escape it
    assert item.album is not None and item.album.title == "A B"


def test_csv_with_mapping(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "plays.csv"
    path.write_text(
        "when;who;band;song;dur;skip\n"
        "01 Jun 2024, 10:00;ann;Agnes Obel;Riverside;229000;no\n"
        "01 Jun 2024, 10:04;ann;Agnes Obel;Fuel to Fire;12000;yes\n"
        "bad date;ann;Agnes Obel;Riverside;1;no\n"
        "01 Jun 2024, 10:00;ann;Agnes Obel;Riverside;229000;no\n"
    )
    mapping = csvmap.CsvMapping.parse(
        "ts=when,user=who,artist=band,title=song,ms_played=dur,skipped=skip",
        ts_format="%d %b %Y, %H:%M", delimiter=";",
    )  # fmt: skip
    reports = run(store, [path], lambda _n: True, csvmap.make_parser(mapping))
    assert totals(reports) == (2, 1, {"unreadable timestamp": 1})
    with store.sessions() as session:
        skipped = session.scalars(select(ListeningEvent.skipped).order_by(ListeningEvent.ts)).all()
    assert skipped == [False, True]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("artist=a,title=b", "ts=COLUMN is required"),
        ("ts=t,artist=a", "map artist and title"),
        ("ts=t,colour=c,artist=a,title=b", "unknown field 'colour'"),
        ("ts", "is not FIELD=COLUMN"),
    ],
)
def test_csv_mapping_errors(spec: str, message: str) -> None:
    with pytest.raises(csvmap.MappingError, match=message):
        csvmap.CsvMapping.parse(spec)


@needs_data
def test_parallel_parse_gives_the_same_counts(store: Store) -> None:
    sources = expand([DATASETS / "spotify-endsong-candidlyred"], spotify.accepts)
    reports = [
        import_file(store.engine, store.resolver, s, spotify.parse, parallel=True) for s in sources
    ]
    assert totals(reports) == (941, 2, {"no track, episode or audiobook in the record": 20})
    assert count_events(store.engine) == 941


@needs_data
def test_parallel_parse_of_a_truncated_file_stores_nothing(store: Store, tmp_path: Path) -> None:
    source = DATASETS / "spotify-extended-efrrowini" / "Streaming_History_Audio_2024.json"
    truncated = tmp_path / source.name
    truncated.write_bytes(source.read_bytes()[:400_000])
    [src] = expand([truncated], spotify.accepts)
    report = import_file(store.engine, store.resolver, src, spotify.parse, parallel=True,
                         batch_size=100)  # fmt: skip
    assert report.error and "truncated" in report.error
    assert count_events(store.engine) == 0
