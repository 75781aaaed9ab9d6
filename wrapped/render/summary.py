"""What the share card and the story say, in words: the headline numbers and the top 5.

Names come from listeners' exports, so they are cleaned once here for display: Unicode
NFC (so an accent never separates from its letter when a name is cut short), control
characters and line breaks as spaces, and a stand-in for an empty name. Escaping for HTML
is the template's job, never this module's.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from wrapped.report import Report

TOP_N = 5
UNKNOWN_ARTIST = "Unknown artist"
UNTITLED = "Untitled"

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def clean(text: str, empty: str = "") -> str:
    """A name as one printable line."""
    return _CONTROL.sub(" ", unicodedata.normalize("NFC", text)).strip() or empty


def number(n: int) -> str:
    """``7660`` as ``7,660``."""
    return f"{n:,}"


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{number(n)} {one if n == 1 else (many or one + 's')}"


def day(value: date) -> str:
    """``8 October 2024``."""
    return f"{value.day} {value:%B %Y}"


def hour(h: int) -> str:
    return f"{h:02d}:00"


@dataclass(frozen=True, slots=True)
class Song:
    title: str
    artist: str
    streams: int


@dataclass(frozen=True, slots=True)
class Summary:
    """The card's content: the window's label, minutes, streams and the top 5 artists and
    songs (songs as in "Your Top Songs", by streams)."""

    label: str
    minutes: int
    streams: int
    artists: int
    tracks: int
    top_artists: tuple[str, ...]
    top_songs: tuple[Song, ...]

    @classmethod
    def of(cls, report: Report) -> Summary:
        songs = report.top_songs.tracks or report.top.tracks
        return cls(
            label=report.window.label,
            minutes=report.totals.minutes,
            streams=report.totals.streams,
            artists=report.totals.music.artists,
            tracks=report.totals.music.tracks,
            top_artists=tuple(clean(a.name, UNKNOWN_ARTIST) for a in report.top.artists[:TOP_N]),
            top_songs=tuple(
                Song(clean(t.title, UNTITLED), clean(t.artist, UNKNOWN_ARTIST), t.streams)
                for t in songs[:TOP_N]
            ),
        )

    def alt_text(self) -> str:
        """The card's alternative text: everything it shows, in reading order."""
        parts = [f"Wrapped {self.label}: {plural(self.minutes, 'minute')} listened."]
        if self.top_artists:
            parts.append("Top artists: " + ", ".join(self.top_artists) + ".")
        if self.top_songs:
            songs = "; ".join(f"{s.title} by {s.artist}" for s in self.top_songs)
            parts.append(f"Top songs: {songs}.")
        return " ".join(parts)
