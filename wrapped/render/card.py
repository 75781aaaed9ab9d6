"""Share cards: a report's headline numbers and top 5 as a PNG, in three sizes.

``story`` (1080x1920) is for phone stories, ``square`` (1080x1080) for feeds and ``wide``
(1200x630) for link previews. Text is set in DejaVu Sans, with Droid Sans Fallback for the
Chinese, Japanese and Korean it lacks, both shipped in ``wrapped/assets/fonts`` so a card
looks the same on every host and nothing is fetched, and emoji in colour from Noto Color
Emoji where the host has it (:mod:`wrapped.render.fonts`).
Names are cut to the width they may take, measured in the fonts they are drawn in, and end
with an ellipsis; numbers
shrink to fit instead, since a cut number would lie. White and lime text on a dark
violet-to-raspberry gradient keeps every colour pair at a contrast of at least 7:1.

Rendering is a pure function of the report: the same report gives the same bytes.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Sequence
from enum import StrEnum

import numpy as np
from PIL import Image, ImageDraw
from PIL.PngImagePlugin import PngInfo

from wrapped.render.fonts import Face, clusters, font
from wrapped.render.summary import Summary, number, plural
from wrapped.report import Report

RGB = tuple[int, int, int]
BACKGROUND: tuple[RGB, ...] = ((0x1C, 0x0A, 0x48), (0x42, 0x0F, 0x66), (0x86, 0x1B, 0x58))
"""Gradient stops from the top-left corner to the bottom-right one."""
INK: RGB = (0xFF, 0xFF, 0xFF)
MUTED: RGB = (0xEE, 0xE8, 0xF8)
ACCENT: RGB = (0xD4, 0xFF, 0x5A)
ELLIPSIS = "…"


class CardFormat(StrEnum):
    story = "story"
    square = "square"
    wide = "wide"


SIZES: dict[CardFormat, tuple[int, int]] = {
    CardFormat.story: (1080, 1920),
    CardFormat.square: (1080, 1080),
    CardFormat.wide: (1200, 630),
}


def fit(text: str, face: Face, width: float) -> str:
    """``text``, or its longest beginning that fits ``width`` with an ellipsis; a cut
    never parts a letter from its marks, nor the characters of one emoji."""
    if face.getlength(text) <= width:
        return text
    ends = list(itertools.accumulate(len(c) for c in clusters(text)))
    lo, hi = 0, len(ends)
    while lo < hi:  # the most clusters that fit
        mid = (lo + hi + 1) // 2
        if face.getlength(text[: ends[mid - 1]].rstrip() + ELLIPSIS) <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[: ends[lo - 1] if lo else 0].rstrip() + ELLIPSIS


def fit_size(text: str, size: int, width: float, *, bold: bool = True) -> Face:
    """The font of at most ``size`` pixels in which ``text`` fits ``width``."""
    while size > 12 and font(size, bold=bold).getlength(text) > width:
        size -= 4
    return font(size, bold=bold)


def background(size: tuple[int, int]) -> Image.Image:
    """The diagonal gradient through :data:`BACKGROUND`."""
    width, height = size
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    t = (x * width + y * height) / (width + height)
    stops = np.linspace(0.0, 1.0, len(BACKGROUND))
    channels = [np.interp(t, stops, [c[k] for c in BACKGROUND]).astype(np.uint8) for k in range(3)]
    return Image.fromarray(np.stack(channels, axis=-1), "RGB")


class Canvas:
    """Drawing in the card's vocabulary: labels, names that fit, numbers that fit."""

    def __init__(self, image: Image.Image) -> None:
        self.image = image
        self.draw = ImageDraw.Draw(image, "RGBA")
        self.width, self.height = image.size

    def text(
        self,
        xy: tuple[float, float],
        text: str,
        face: Face,
        fill: RGB = INK,
        *,
        width: float | None = None,
        anchor: str = "ls",
    ) -> None:
        """``text`` at the baseline point ``xy``, cut to ``width``."""
        shown = text if width is None else fit(text, face, width)
        face.draw(self.image, xy, shown, fill, anchor)

    def label(self, xy: tuple[float, float], text: str, size: int, *, anchor: str = "ls") -> None:
        """A small spaced-out heading in capitals."""
        face = font(size, bold=True)
        spaced = "\u2009".join(clusters(text.upper()))
        face.draw(self.image, xy, spaced, MUTED, anchor)

    def ranked(
        self,
        x: float,
        y: float,
        rows: Sequence[tuple[str, str | None]],
        *,
        width: float,
        step: float,
        size: int,
        second: int = 0,
    ) -> None:
        """Numbered rows from baseline ``y``: a name in bold and, if given, a second line in
        ``second``-pixel regular type below it."""
        face = font(size, bold=True)
        indent = face.getlength("5") + size * 0.6
        for n, (name, below) in enumerate(rows):
            base = y + n * step
            self.text((x, base), str(n + 1), face, ACCENT)
            self.text((x + indent, base), name, face, width=width - indent)
            if below and second:
                self.text(
                    (x + indent, base + second * 1.3), below, font(second), MUTED,
                    width=width - indent,
                )  # fmt: skip

    def bars(
        self, box: tuple[float, float, float, float], values: Sequence[int], fill: RGB
    ) -> None:
        """A small bar chart of ``values`` filling ``box`` (left, top, right, bottom)."""
        left, top, right, bottom = box
        peak = max(values, default=0) or 1
        slot = (right - left) / max(len(values), 1)
        for n, value in enumerate(values):
            height = max(slot * 0.5, (bottom - top) * value / peak)
            x0 = left + n * slot + slot * 0.2
            self.draw.rounded_rectangle(
                (x0, bottom - height, x0 + slot * 0.6, bottom), radius=slot * 0.3, fill=fill
            )


def _facts(s: Summary) -> str:
    return " · ".join(
        (plural(s.streams, "stream"), plural(s.artists, "artist"), plural(s.tracks, "song"))
    )


def _story(c: Canvas, s: Summary, hours: Sequence[int]) -> None:
    m, inner = 96, c.width - 192
    c.label((m, 150), "Encore Wrapped", 30)
    c.text((m, 350), s.label, fit_size(s.label, 190, inner * 0.55))
    c.bars((c.width - m - 312, 200, c.width - m, 340), hours, MUTED)
    c.label((c.width - m, 385), "Listening by hour", 22, anchor="rs")
    c.label((m, 480), "Minutes listened", 30)
    c.text((m, 625), number(s.minutes), fit_size(number(s.minutes), 150, inner), ACCENT)
    c.text((m, 695), _facts(s), font(36), MUTED, width=inner)
    c.label((m, 805), "Top artists", 30)
    c.ranked(m, 885, [(a, None) for a in s.top_artists], width=inner, step=80, size=52)
    c.label((m, 1300), "Top songs", 30)
    songs = [(song.title, song.artist) for song in s.top_songs]
    c.ranked(m, 1380, songs, width=inner, step=100, size=46, second=34)


def _square(c: Canvas, s: Summary, hours: Sequence[int]) -> None:
    m, gap = 80, 56
    column = (c.width - 2 * m - gap) / 2
    right = m + column + gap
    c.label((m, 120), "Encore Wrapped", 26)
    c.text((m, 260), s.label, fit_size(s.label, 140, column))
    c.text(
        (c.width - m, 225), number(s.minutes), fit_size(number(s.minutes), 104, column),
        ACCENT, anchor="rs",
    )  # fmt: skip
    c.label((c.width - m, 272), "Minutes listened", 24, anchor="rs")
    c.label((m, 390), "Top artists", 26)
    c.label((right, 390), "Top songs", 26)
    c.ranked(m, 470, [(a, None) for a in s.top_artists], width=column, step=104, size=40)
    songs = [(song.title, song.artist) for song in s.top_songs]
    c.ranked(right, 470, songs, width=column, step=104, size=36, second=28)
    c.text((m, c.height - 64), _facts(s), font(28), MUTED, width=c.width - 2 * m)


def _wide(c: Canvas, s: Summary, hours: Sequence[int]) -> None:
    m, split = 64, 560
    left = split - m - 40
    c.label((m, 104), "Encore Wrapped", 22)
    c.text((m, 232), s.label, fit_size(s.label, 128, left))
    c.label((m, 312), "Minutes listened", 22)
    c.text((m, 408), number(s.minutes), fit_size(number(s.minutes), 96, left), ACCENT)
    if s.top_artists:
        c.label((m, 488), "Top artist", 22)
        c.text((m, 548), s.top_artists[0], font(46, bold=True), width=left)
    c.draw.line((split - 20, m, split - 20, c.height - m), fill=(*MUTED, 70), width=2)
    c.label((split + 20, 104), "Top songs", 22)
    songs = [(song.title, song.artist) for song in s.top_songs]
    c.ranked(split + 20, 176, songs, width=c.width - split - 20 - m, step=92, size=36, second=27)


LAYOUTS: dict[CardFormat, Callable[[Canvas, Summary, Sequence[int]], None]] = {
    CardFormat.story: _story,
    CardFormat.square: _square,
    CardFormat.wide: _wide,
}


def render_card(report: Report, fmt: CardFormat = CardFormat.story) -> bytes:
    """The card of ``report`` in ``fmt`` as PNG bytes; the PNG carries the card's
    alternative text as its ``Description``."""
    summary = Summary.of(report)
    image = background(SIZES[fmt])
    LAYOUTS[fmt](Canvas(image), summary, [h.ms_played for h in report.clock.hours])
    info = PngInfo()
    info.add_text("Title", f"Wrapped {summary.label}")
    info.add_itxt("Description", summary.alt_text())
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info, compress_level=6)
    return out.getvalue()
