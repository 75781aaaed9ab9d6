"""Type for the share cards: an ordered chain of fonts, and text set in runs across it.

Pillow sets a string in one font and draws a box (.notdef) for every character that font
lacks, and has no fallback of its own. Listeners' names come in any script, so a card's
text is split into runs, each set in the first font of :data:`CHAIN` whose character map
has every character of a cluster (a letter with its combining marks, variation selectors
and zero-width joins): DejaVu Sans first (Latin, Greek, Cyrillic, Arabic, Hebrew and many
symbols), then Droid Sans Fallback (Chinese, Japanese kana and Korean Hangul). Both ship in
``wrapped/assets/fonts`` with their licences, so a card is the same on every host and
nothing is fetched. A character no font has is set in the first one: a box, as before.

Droid Sans Fallback has one weight; where the card asks for bold, its runs are drawn with
a stroke of their own colour 2% of the size wide.

A fallback font whose file is missing (a packager who unbundled it) is left out with a
warning: the card still renders, with boxes for that font's scripts only.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont
from PIL import ImageDraw, ImageFont

log = logging.getLogger(__name__)

FONTS = Path(__file__).resolve().parent.parent / "assets" / "fonts"

ZWJ = "\u200d"
FAUX_BOLD = 0.02
"""The stroke that stands in for a missing bold weight, as a share of the size."""


@dataclass(frozen=True, slots=True)
class FontFile:
    """One font of the chain: its regular file and, if it has one, its bold file."""

    name: str
    regular: Path
    bold: Path | None = None


CHAIN: tuple[FontFile, ...] = (
    FontFile("DejaVu Sans", FONTS / "DejaVuSans.ttf", FONTS / "DejaVuSans-Bold.ttf"),
    FontFile("Droid Sans Fallback", FONTS / "DroidSansFallback.ttf"),
)
"""The fonts in the order they are asked for a glyph; the first is the text face and must
be present."""


@lru_cache(maxsize=16)
def coverage(path: Path) -> frozenset[int]:
    """The code points that ``path``'s character map gives a glyph."""
    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap())


@dataclass(frozen=True, slots=True, eq=False)
class Font:
    """A font of the chain loaded at one size: what it covers and how it is drawn."""

    name: str
    face: ImageFont.FreeTypeFont
    covers: frozenset[int]
    stroke: float
    """The width of the stroke that makes it bold, 0 for a real weight."""

    def has(self, cluster: str) -> bool:
        return all(ord(ch) in self.covers for ch in cluster)


def _joins(previous: str, ch: str) -> bool:
    """Whether ``ch`` belongs to the cluster that ``previous`` ends."""
    return (
        previous == ZWJ
        or ch == ZWJ
        or unicodedata.category(ch) in ("Mn", "Mc", "Me")
        or "\U0001f3fb" <= ch <= "\U0001f3ff"  # emoji skin tones
    )


def clusters(text: str) -> Iterator[str]:
    """``text`` in clusters that are never set in two fonts or cut apart: a character and
    the marks, selectors and joined characters that follow it."""
    start = 0
    for n in range(1, len(text) + 1):
        if n == len(text) or not _joins(text[n - 1], text[n]):
            yield text[start:n]
            start = n


class Face:
    """The chain at one size and weight: measures and draws text run by run."""

    def __init__(self, fonts: tuple[Font, ...], size: int) -> None:
        if not fonts:
            raise ValueError("a face needs at least one font")
        self.fonts = fonts
        self.size = size
        self.primary = fonts[0]

    @property
    def path(self) -> str:
        """The file of the text face (the first font)."""
        return str(self.primary.face.path)

    def pick(self, cluster: str, current: Font | None = None) -> Font:
        """The font ``cluster`` is set in: the current run's for a space it has, else the
        first that has all of it, else the first that has its first character, else the
        text face (which draws a box)."""
        if current is not None and cluster.isspace() and current.has(cluster):
            return current
        for font in self.fonts:
            if font.has(cluster):
                return font
        for font in self.fonts:
            if font.has(cluster[0]):
                return font
        return self.primary

    def runs(self, text: str) -> list[tuple[str, Font]]:
        """``text`` as consecutive runs, each with the font it is set in."""
        out: list[tuple[str, Font]] = []
        for cluster in clusters(text):
            font = self.pick(cluster, out[-1][1] if out else None)
            if out and out[-1][1] is font:
                out[-1] = (out[-1][0] + cluster, font)
            else:
                out.append((cluster, font))
        return out

    def getlength(self, text: str) -> float:
        """The advance of ``text`` in pixels, run by run (no kerning across runs)."""
        return sum(font.face.getlength(run) for run, font in self.runs(text))

    def baseline(self, y: float, vertical: str) -> float:
        """The baseline for an anchor's vertical part, from the text face's metrics:
        ``a`` (ascender), ``m`` (middle), ``s`` (baseline) or ``d`` (descender)."""
        ascent, descent = self.primary.face.getmetrics()
        offsets = {"a": ascent, "m": (ascent - descent) / 2, "s": 0, "d": -descent}
        if vertical not in offsets:
            raise ValueError(f"anchor {vertical!r}: runs align on a line, not on a box")
        return y + offsets[vertical]

    def draw(
        self,
        draw: ImageDraw.ImageDraw,
        xy: tuple[float, float],
        text: str,
        fill: tuple[int, ...],
        anchor: str = "ls",
    ) -> None:
        """``text`` at ``xy``, ``anchor`` as Pillow's: ``l``, ``m`` or ``r`` across, and
        ``a``, ``m``, ``s`` or ``d`` up and down."""
        across, vertical = anchor[0], anchor[1]
        start = {"l": 0.0, "m": 0.5, "r": 1.0}
        if across not in start:
            raise ValueError(f"anchor {across!r}: left, middle or right")
        runs = self.runs(text)
        x = xy[0] - start[across] * sum(f.face.getlength(run) for run, f in runs)
        y = self.baseline(xy[1], vertical)
        for run, font in runs:
            draw.text(
                (x, y), run, font=font.face, fill=fill, anchor="ls",
                stroke_width=font.stroke, stroke_fill=fill,
            )  # fmt: skip
            x += font.face.getlength(run)


@lru_cache(maxsize=4)
def present(chain: tuple[FontFile, ...]) -> tuple[FontFile, ...]:
    """``chain`` without the fallback fonts whose file is missing (each one logged)."""
    first, *rest = chain
    kept = [first]
    for file in rest:
        if file.regular.is_file():
            kept.append(file)
        else:
            log.warning("font %s missing at %s: its scripts show as boxes", file.name, file.regular)
    return tuple(kept)


def load(chain: tuple[FontFile, ...], size: int, *, bold: bool = False) -> Face:
    """``chain`` at ``size`` pixels, in bold where asked (a stroke where a font has none)."""
    fonts = []
    for file in present(chain):
        path = file.bold if bold and file.bold is not None else file.regular
        stroke = size * FAUX_BOLD if bold and file.bold is None else 0.0
        face = ImageFont.truetype(path, size)
        fonts.append(Font(file.name, face, coverage(path), stroke))
    return Face(tuple(fonts), size)


@lru_cache(maxsize=64)
def font(size: int, *, bold: bool = False) -> Face:
    """The card's type at ``size`` pixels."""
    return load(CHAIN, size, bold=bold)
