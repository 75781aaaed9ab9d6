"""Your Top Songs as files other software reads: JSON, extended M3U, XSPF and a URI list.

Names are text from users' exports, so each format escapes them its own way: XSPF through
an XML serialiser (characters XML 1.0 cannot hold are dropped), M3U and URI lists by
turning line breaks and other control characters into spaces. M3U needs a location for
every entry: a track's Spotify URI, or else ``Artist - Title``, which playlist converters
match by name.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from wrapped.entries import TrackEntry
from wrapped.report import Report


class ExportFormat(StrEnum):
    json = "json"
    m3u = "m3u"
    xspf = "xspf"
    spotify = "spotify"


XSPF_NS = "http://xspf.org/ns/0/"

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class Export:
    content: str
    media_type: str
    extension: str


def title(report: Report) -> str:
    return f"Your Top Songs {report.window.label}"


def _line(text: str) -> str:
    return _CONTROL.sub(" ", text).strip()


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)


def to_json(report: Report) -> Export:
    tracks = [
        {
            "position": n,
            "title": t.title,
            "artist": t.artist,
            "album": t.album,
            "duration_ms": t.duration_ms,
            "spotify_uri": t.spotify_uri,
            "streams": t.streams,
            "minutes": t.minutes,
            "ms_played": t.ms_played,
        }
        for n, t in enumerate(report.top_songs.tracks, start=1)
    ]
    body = {"title": title(report), "user_id": report.user_id, "tracks": tracks}
    return Export(json.dumps(body, ensure_ascii=False, indent=2), "application/json", "json")


def _seconds(track: TrackEntry) -> int:
    return -1 if track.duration_ms is None else round(track.duration_ms / 1000)


def to_m3u(report: Report) -> Export:
    lines = ["#EXTM3U", f"#PLAYLIST:{_line(title(report))}"]
    for t in report.top_songs.tracks:
        name = f"{_line(t.artist)} - {_line(t.title)}"
        lines.append(f"#EXTINF:{_seconds(t)},{name}")
        if t.album:
            lines.append(f"#EXTALB:{_line(t.album)}")
        lines.append(_line(t.spotify_uri) if t.spotify_uri else name)
    return Export("\n".join(lines) + "\n", "audio/x-mpegurl", "m3u8")


def to_xspf(report: Report) -> Export:
    ET.register_namespace("", XSPF_NS)
    root = ET.Element(f"{{{XSPF_NS}}}playlist", version="1")

    def add(parent: ET.Element, tag: str, text: str) -> None:
        ET.SubElement(parent, f"{{{XSPF_NS}}}{tag}").text = _xml(text)

    add(root, "title", title(report))
    add(root, "creator", report.user_id)
    tracks = ET.SubElement(root, f"{{{XSPF_NS}}}trackList")
    for t in report.top_songs.tracks:
        track = ET.SubElement(tracks, f"{{{XSPF_NS}}}track")
        if t.spotify_uri:
            add(track, "location", t.spotify_uri)
        add(track, "title", t.title)
        add(track, "creator", t.artist)
        if t.album:
            add(track, "album", t.album)
        if t.duration_ms is not None:
            add(track, "duration", str(t.duration_ms))
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode", xml_declaration=False)
    return Export(
        '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n", "application/xspf+xml", "xspf"
    )


def to_spotify(report: Report) -> Export:
    """A ``text/uri-list`` (RFC 2483) of the tracks' Spotify URIs, in order; tracks without
    one are left out and counted in a comment line. Pasted into a Spotify playlist, it
    adds the tracks."""
    uris = [_line(t.spotify_uri) for t in report.top_songs.tracks if t.spotify_uri]
    missing = len(report.top_songs.tracks) - len(uris)
    lines = [f"# {_line(title(report))}"]
    if missing:
        lines.append(f"# {missing} tracks without a Spotify URI are left out")
    return Export("\r\n".join([*lines, *uris]) + "\r\n", "text/uri-list", "txt")


EXPORTS: dict[ExportFormat, Callable[[Report], Export]] = {
    ExportFormat.json: to_json,
    ExportFormat.m3u: to_m3u,
    ExportFormat.xspf: to_xspf,
    ExportFormat.spotify: to_spotify,
}


def export(report: Report, fmt: ExportFormat) -> Export:
    return EXPORTS[fmt](report)
