"""Top Songs exports survive hostile names: valid XML, one M3U entry per track."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date

from wrapped.cards.top_songs import TopSongs
from wrapped.entries import TrackEntry
from wrapped.export import XSPF_NS, ExportFormat, export
from wrapped.report import Report

HOSTILE = 'Tom & "Jerry" <b>\x01\u2028</b> ]]>'


def track(n: int, **fields: object) -> TrackEntry:
    values: dict[str, object] = {
        "id": n, "title": f"Song {n}", "artist_id": 1, "artist": "Band", "album": "Record",
        "duration_ms": 201_400, "spotify_uri": f"spotify:track:{n:022d}",
        "ms_played": 1_000_000, "minutes": 16, "streams": 5,
    }  # fmt: skip
    values.update(fields)
    return TrackEntry.model_validate(values)


def report_with(tracks: list[TrackEntry], sample: Report) -> Report:
    return sample.model_copy(update={"top_songs": TopSongs(tracks=tracks)})


def a_report() -> Report:
    """An empty but valid report to hang tracks on."""
    empty = {"ms_played": 0, "minutes": 0, "streams": 0}
    return Report.model_validate(
        {
            "user_id": "ana",
            "window": {"label": "2024", "timezone": "UTC", "year": 2024,
                       "first_day": date(2024, 1, 1), "end_day": date(2025, 1, 1),
                       "start": "2024-01-01T00:00:00Z", "end": "2025-01-01T00:00:00Z"},
            "eligibility": {"streams": 0, "artists": 0, "minutes": 0, "required_streams": 0,
                            "required_artists": 0},
            "totals": {**empty, "plays": 0,
                       "music": {**empty, "tracks": 0, "artists": 0, "albums": 0},
                       "podcasts": {**empty, "episodes": 0, "shows": 0},
                       "videos": {**empty, "videos": 0}},
            "top": {"artists": [], "tracks": [], "albums": [], "genres": [], "top_artist": None},
            "top_songs": {"tracks": []},
            "clock": {"hours": [], "weekdays": [], "months": [], "peak_day": None,
                      "active_days": 0, "longest_streak": None},
            "discoveries": None,
            "behaviour": {"skip_rate": None, "skips": 0, "shuffle_share": None,
                          "recommended_share": None, "recommended_ms": 0},
            "comparisons": {"min_listeners": 20, "listeners": None, "top_artist": None,
                            "year_over_year": None},
            "personality": None, "months": [], "phases": [], "you_might_have_missed": [],
        }
    )  # fmt: skip


def test_xspf_is_valid_xml_with_hostile_names() -> None:
    tracks = [track(1, title=HOSTILE, artist=HOSTILE, album=None), track(2, spotify_uri=None)]
    out = export(report_with(tracks, a_report()), ExportFormat.xspf)
    assert out.media_type == "application/xspf+xml"
    root = ET.fromstring(out.content.encode())
    ns = {"x": XSPF_NS}
    assert root.tag == f"{{{XSPF_NS}}}playlist" and root.get("version") == "1"
    assert root.findtext("x:title", namespaces=ns) == "Your Top Songs 2024"
    first, second = root.findall("x:trackList/x:track", ns)
    assert first.findtext("x:title", namespaces=ns) == 'Tom & "Jerry" <b>\u2028</b> ]]>'
    assert first.find("x:album", ns) is None
    assert first.findtext("x:location", namespaces=ns) == "spotify:track:" + "0" * 21 + "1"
    assert second.find("x:location", ns) is None  # no URI: no location, still a track
    assert second.findtext("x:duration", namespaces=ns) == "201400"


def test_m3u_keeps_one_entry_per_track() -> None:
    tracks = [track(1, title="Line\nbreak", artist="A\r\nB"), track(2, spotify_uri=None)]
    out = export(report_with(tracks, a_report()), ExportFormat.m3u)
    lines = out.content.splitlines()
    assert lines[0] == "#EXTM3U" and lines[1] == "#PLAYLIST:Your Top Songs 2024"
    assert lines[2:] == [
        "#EXTINF:201,A B - Line break", "#EXTALB:Record", "spotify:track:" + "0" * 21 + "1",
        "#EXTINF:201,Band - Song 2", "#EXTALB:Record", "Band - Song 2",
    ]  # fmt: skip


def test_spotify_uri_list_and_json() -> None:
    tracks = [track(1), track(2, spotify_uri=None), track(3)]
    uris = export(report_with(tracks, a_report()), ExportFormat.spotify)
    assert uris.media_type == "text/uri-list"
    assert uris.content.split("\r\n") == [
        "# Your Top Songs 2024", "# 1 tracks without a Spotify URI are left out",
        "spotify:track:" + "0" * 21 + "1", "spotify:track:" + "0" * 21 + "3", "",
    ]  # fmt: skip
    body = json.loads(export(report_with(tracks, a_report()), ExportFormat.json).content)
    assert [t["position"] for t in body["tracks"]] == [1, 2, 3]
    assert body["tracks"][1] == {
        "position": 2, "title": "Song 2", "artist": "Band", "album": "Record",
        "duration_ms": 201_400, "spotify_uri": None, "streams": 5, "minutes": 16,
        "ms_played": 1_000_000,
    }  # fmt: skip
