"""Type for the share cards: an ordered chain of fonts, and text set in runs across it.

Pillow sets a string in one font and draws a box (.notdef) for every character that font
lacks, and has no fallback of its own. Listeners' names come in any script, so a card's
text is split into runs, each set in the first font of :data:`CHAIN` whose character map
(read with fontTools) has every character of a cluster (a letter with its combining marks,
variation selectors and zero-width joins): DejaVu Sans first (Latin, Greek, Cyrillic,
Arabic, Hebrew and many symbols), then Droid Sans Fallback (Chinese, Japanese kana and
Korean Hangul), both shipped in ``wrapped/assets/fonts`` with their licences so that a card
is the same on every host and nothing is fetched; then Debian's Noto Color Emoji where it
is installed (``make fonts``), asked first for an emoji. A character no font has is set in
the first one: a box, as before.

Droid Sans Fallback has one weight; where the card asks for bold, its runs are drawn with
a stroke of their own colour 2% of the size wide. Noto Color Emoji has bitmaps of one size
only: its runs are drawn at that size and scaled to the text's.

A fallback font whose file is missing (no emoji package, a packager who unbundled a font)
is left out with a warning: the card still renders, with boxes for that font's scripts
only.
"""

from __future__ import annotations

import logging
import math
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

log = logging.getLogger(__name__)

FONTS = Path(__file__).resolve().parent.parent / "assets" / "fonts"

ZWJ = "\u200d"
VS16 = "\ufe0f"
FAUX_BOLD = 0.02
"""The stroke that stands in for a missing bold weight, as a share of the size."""


@dataclass(frozen=True, slots=True)
class FontFile:
    """One font of the chain: its regular file and, if it has one, its bold file."""

    name: str
    regular: Path
    bold: Path | None = None
    bitmap: int | None = None
    """The one pixel size of a colour bitmap font (drawn at it and scaled), else None."""
    emoji: bool = False
    """Asked first for a cluster that is an emoji (see :func:`is_emoji`)."""


NOTO_COLOR_EMOJI = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
"""Debian's ``fonts-noto-color-emoji`` (installed by ``make``; 10 MB, too big to ship)."""

CHAIN: tuple[FontFile, ...] = (
    FontFile("DejaVu Sans", FONTS / "DejaVuSans.ttf", FONTS / "DejaVuSans-Bold.ttf"),
    FontFile("Droid Sans Fallback", FONTS / "DroidSansFallback.ttf"),
    FontFile("Noto Color Emoji", NOTO_COLOR_EMOJI, bitmap=109, emoji=True),
)
"""The fonts in the order they are asked for a glyph; the first is the text face and must
be present."""


def is_emoji(cluster: str) -> bool:
    """Whether ``cluster`` asks for an emoji picture: a character of U+1F000-U+1FAFF
    (pictographs, flags), a joined sequence, or an emoji variation selector. Older symbols
    such as ❤ or ☀ without the selector stay text, in the text face, as Unicode presents
    them."""
    return "\U0001f000" <= cluster[0] <= "\U0001faff" or VS16 in cluster or ZWJ in cluster


def _ignorable(ch: str) -> bool:
    """Variation selectors: shaping drops them where a font has no glyph for them."""
    return "\ufe00" <= ch <= "\ufe0f" or "\U000e0100" <= ch <= "\U000e01ef"


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
    stroke: float = 0.0
    """The width of the stroke that makes it bold, 0 for a real weight."""
    scale: float = 1.0
    """Drawn at its bitmap size and scaled by this; 1 for an outline font."""
    emoji: bool = False

    def has(self, cluster: str) -> bool:
        return all(ord(ch) in self.covers or _ignorable(ch) for ch in cluster)

    def length(self, run: str) -> float:
        return self.face.getlength(run) * self.scale

    def paste(self, image: Image.Image, xy: tuple[float, float], run: str) -> None:
        """``run`` in colour with its left end on the baseline point ``xy``: drawn at the
        bitmap size and scaled down."""
        ascent, descent = self.face.getmetrics()
        pad = 4
        glyphs = Image.new("RGBA", (math.ceil(self.face.getlength(run)) + 2 * pad,
                                    ascent + descent + 2 * pad))  # fmt: skip
        ImageDraw.Draw(glyphs).text((pad, pad + ascent), run, font=self.face, anchor="ls",
                                    embedded_color=True)  # fmt: skip
        size = (round(glyphs.width * self.scale), round(glyphs.height * self.scale))
        small = glyphs.resize(size, Image.Resampling.LANCZOS)
        at = (round(xy[0] - pad * self.scale), round(xy[1] - (pad + ascent) * self.scale))
        image.paste(small, at, small)


def _joins(previous: str, ch: str) -> bool:
    """Whether ``ch`` belongs to the cluster that ``previous`` ends."""
    return (
        previous == ZWJ
        or ch == ZWJ
        or unicodedata.category(ch) in ("Mn", "Mc", "Me")
        or "\U0001f3fb" <= ch <= "\U0001f3ff"  # emoji skin tones
    )


def _regional(ch: str) -> bool:
    return "\U0001f1e6" <= ch <= "\U0001f1ff"


def clusters(text: str) -> Iterator[str]:
    """``text`` in clusters that are never set in two fonts or cut apart: a character and
    the marks, selectors and joined characters that follow it, or the two regional
    indicators of a flag."""
    start = 0
    for n in range(1, len(text) + 1):
        flag = n - start == 1 and _regional(text[start]) and n < len(text) and _regional(text[n])
        if n == len(text) or not (flag or _joins(text[n - 1], text[n])):
            yield text[start:n]
            start = n


class Face:
    """The chain at one size and weight: measures and draws text run by run."""

    def __init__(self, fonts: tuple[Font, ...], size: int) -> None:
        if not fonts:
            raise ValueError("a face needs at least one font")
        self.fonts = fonts
        self.emoji_first = tuple(sorted(fonts, key=lambda f: not f.emoji))
        self.size = size
        self.primary = fonts[0]

    @property
    def path(self) -> str:
        """The file of the text face (the first font)."""
        return str(self.primary.face.path)

    def pick(self, cluster: str, current: Font | None = None) -> Font:
        """The font ``cluster`` is set in: the current run's for a space it has (unless an
        emoji font's, whose spaces are emoji-wide), else the first that has all of it (emoji
        fonts first for an emoji), else the first that has its first character, else the
        text face (which draws a box)."""
        stays = cluster.isspace() and current is not None and not current.emoji
        if stays and current is not None and current.has(cluster):
            return current
        order = self.emoji_first if is_emoji(cluster) else self.fonts
        for font in order:
            if font.has(cluster):
                return font
        for font in order:
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
        return sum(font.length(run) for run, font in self.runs(text))

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
        image: Image.Image,
        xy: tuple[float, float],
        text: str,
        fill: tuple[int, ...],
        anchor: str = "ls",
    ) -> None:
        """``text`` on ``image`` at ``xy``, ``anchor`` as Pillow's: ``l``, ``m`` or ``r``
        across, and ``a``, ``m``, ``s`` or ``d`` up and down. Colour fonts keep their
        colours; every other run is ``fill``."""
        across, vertical = anchor[0], anchor[1]
        start = {"l": 0.0, "m": 0.5, "r": 1.0}
        if across not in start:
            raise ValueError(f"anchor {across!r}: left, middle or right")
        runs = self.runs(text)
        x = xy[0] - start[across] * sum(f.length(run) for run, f in runs)
        y = self.baseline(xy[1], vertical)
        draw = ImageDraw.Draw(image)
        for run, font in runs:
            if font.scale != 1.0:
                font.paste(image, (x, y), run)
            else:
                draw.text(
                    (x, y), run, font=font.face, fill=fill, anchor="ls",
                    stroke_width=font.stroke, stroke_fill=fill,
                )  # fmt: skip
            x += font.length(run)


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
    """``chain`` at ``size`` pixels, in bold where asked (a stroke where an outline font
    has no bold)."""
    fonts = []
    for file in present(chain):
        path = file.bold if bold and file.bold is not None else file.regular
        if file.bitmap is not None:
            face = ImageFont.truetype(path, file.bitmap)
            scale = size / file.bitmap
            font = Font(file.name, face, coverage(path), scale=scale, emoji=file.emoji)
        else:
            stroke = size * FAUX_BOLD if bold and file.bold is None else 0.0
            face = ImageFont.truetype(path, size)
            font = Font(file.name, face, coverage(path), stroke, emoji=file.emoji)
        fonts.append(font)
    return Face(tuple(fonts), size)


@lru_cache(maxsize=64)
def font(size: int, *, bold: bool = False) -> Face:
    """The card's type at ``size`` pixels."""
    return load(CHAIN, size, bold=bold)
