"""The story: a report as a page of full-screen slides, from the intro to the share card.

:func:`render_story` fills ``wrapped/assets/templates/story.html`` with Jinja2, autoescaping
always on: every name is a listener's data and is shown as text, never markup. The page has
no inline script or style (so a strict Content-Security-Policy holds) and links only to the
URLs it is given: its stylesheet, its script and the card images, all served by Encore.
Without JavaScript the slides simply follow one another down the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from wrapped.cards.comparisons import Standing
from wrapped.render.card import CardFormat
from wrapped.render.summary import (
    UNKNOWN_ARTIST,
    UNTITLED,
    Summary,
    clean,
    day,
    hour,
    number,
    plural,
)
from wrapped.report import Report

ASSETS = Path(__file__).resolve().parent.parent / "assets"
TEMPLATES = ASSETS / "templates"
STATIC = ASSETS / "static"

SLIDES: tuple[tuple[str, str], ...] = (
    ("intro", "Intro"),
    ("minutes", "Minutes listened"),
    ("top-artist", "Top artist"),
    ("top-songs", "Top songs"),
    ("clock", "Listening clock"),
    ("discoveries", "Discoveries"),
    ("personality", "Listening personality"),
    ("share", "Share"),
)
"""Each slide's id and name, in order; the template has one section per row."""

TOP_DISCOVERIES = 3


@dataclass(frozen=True, slots=True)
class StoryLinks:
    """Where the page finds what it links to: its stylesheet, script and icon, and the card
    image in each :class:`~wrapped.render.card.CardFormat`."""

    stylesheet: str
    script: str
    icon: str
    cards: dict[CardFormat, str]


@dataclass(frozen=True, slots=True)
class Bar:
    hour: str
    height: float
    minutes: int


def _change(value: float | None, previous: str) -> str | None:
    if value is None or round(value) == 0:
        return None
    direction = "more" if value > 0 else "less"
    return f"{round(abs(value)):,}% {direction} than in {previous}"


def _duration(minutes: int) -> str:
    """``7660`` minutes as ``5 days and 7 hours``."""
    days, hours = divmod(minutes // 60, 24)
    if minutes < 60:
        return "under an hour"
    if days == 0:
        return plural(hours, "hour")
    return plural(days, "day") + (f" and {plural(hours, 'hour')}" if hours else "")


def _standing(standing: Standing | None, whose: str) -> str | None:
    """``Top 3% of 1,204 listeners.``"""
    if standing is None:
        return None
    return f"Top {standing.top_percent:g}% of {whose}{number(standing.listeners)} listeners."


def _percent(value: float | None) -> str:
    return f"{round(100 * (value or 0))}%"


def _bars(report: Report, height: float = 100.0) -> list[Bar]:
    peak = max((h.ms_played for h in report.clock.hours), default=0) or 1
    return [
        Bar(hour(h.hour), round(max(1.5, height * h.ms_played / peak), 1), h.minutes)
        for h in report.clock.hours
    ]


def view(report: Report, links: StoryLinks, *, shared: bool) -> dict[str, object]:
    """Everything the template shows, worked out here so the template only lays it out."""
    summary = Summary.of(report)
    clock, comparisons = report.clock, report.comparisons
    hours = sorted(clock.hours, key=lambda h: (-h.ms_played, h.hour))
    weekday = max(clock.weekdays, key=lambda d: d.ms_played, default=None)
    yoy = comparisons.year_over_year
    top = report.top.top_artist
    discoveries = report.discoveries
    return {
        "shared": shared,
        "label": summary.label,
        "summary": summary,
        "slides": [(n + 1, slide, name) for n, (slide, name) in enumerate(SLIDES)],
        "count": len(SLIDES),
        "links": links,
        "minutes": number(summary.minutes),
        "duration": _duration(summary.minutes),
        "facts": [plural(summary.streams, "stream"), plural(summary.artists, "artist"),
                  plural(summary.tracks, "song")],
        "change": _change(yoy.minutes_change, yoy.previous) if yoy else None,
        "standing": _standing(comparisons.listeners, ""),
        "top_artist": None if top is None else {
            "name": clean(top.artist.name, UNKNOWN_ARTIST),
            "minutes": plural(top.artist.minutes, "minute"),
            "streams": plural(top.artist.streams, "stream"),
            "first_played": day(top.first_played),
            "song": clean(top.top_track.title, UNTITLED),
        },
        "artist_standing": _standing(comparisons.top_artist, "their "),
        "runners_up": summary.top_artists[1:],
        "songs": [(song, plural(song.streams, "play")) for song in summary.top_songs],
        "bars": _bars(report),
        "peak_hour": hour(hours[0].hour) if hours and hours[0].ms_played else None,
        "weekday": weekday.weekday.capitalize() if weekday and weekday.ms_played else None,
        "peak_day": None if clock.peak_day is None else {
            "date": day(clock.peak_day.date), "minutes": plural(clock.peak_day.minutes, "minute"),
        },
        "streak": None if clock.longest_streak is None else plural(
            clock.longest_streak.days, "day"),
        "active_days": plural(clock.active_days, "day"),
        "discoveries": None if discoveries is None else {
            "count": discoveries.new_artists,
            "artists": plural(discoveries.new_artists, "new artist"),
            "share": _percent(discoveries.new_artist_share),
            "top": [(clean(d.name, UNKNOWN_ARTIST), day(d.first_played))
                    for d in discoveries.top[:TOP_DISCOVERIES]],
        },
        "personality": report.personality,
        "alt": summary.alt_text(),
        "filename": f"wrapped-{summary.label}.png",
    }  # fmt: skip


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_story(report: Report, links: StoryLinks, *, shared: bool = False) -> str:
    """The story page of ``report``. ``shared`` pages (opened from a share link) address
    their viewer as a guest rather than as the listener."""
    template = environment().get_template("story.html")
    return template.render(view(report, links, shared=shared))
