"""Share cards: three sizes, text actually drawn, names cut to fit, colours that read."""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from tests.wrapped.years import ARTISTS, LONG, hostile_report
from wrapped.render.card import (
    ACCENT,
    BACKGROUND,
    INK,
    MUTED,
    SIZES,
    CardFormat,
    background,
    fit,
    render_card,
)
from wrapped.render.fonts import FONTS, font
from wrapped.render.summary import Summary, clean
from wrapped.report import Report


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return hostile_report(tmp_path_factory.mktemp("cards"))


def pixels(png: bytes) -> npt.NDArray[np.int16]:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def near(image: npt.NDArray[np.int16], colour: tuple[int, int, int], tolerance: int = 24) -> int:
    return int((np.abs(image - np.array(colour)).sum(axis=-1) <= tolerance).sum())


@pytest.mark.parametrize("fmt", list(CardFormat))
def test_each_format_has_its_size_and_its_alt_text(report: Report, fmt: CardFormat) -> None:
    image = Image.open(io.BytesIO(render_card(report, fmt)))
    assert (image.format, image.mode, image.size) == ("PNG", "RGB", SIZES[fmt])
    alt = image.text["Description"]  # type: ignore[attr-defined]
    assert alt == Summary.of(report).alt_text()
    assert alt.startswith("Wrapped 2024: 140 minutes listened. Top artists: <script>alert(1)")


@pytest.mark.parametrize("fmt", list(CardFormat))
def test_text_is_drawn_in_ink_and_accent(report: Report, fmt: CardFormat) -> None:
    card, plain = pixels(render_card(report, fmt)), pixels(_png(background(SIZES[fmt])))
    drawn = np.any(card != plain, axis=-1).mean()
    assert 0.02 < drawn < 0.4, f"{fmt}: {drawn:.1%} of the card differs from its background"
    assert near(card, INK) > 0.005 * card.shape[0] * card.shape[1]
    assert near(card, ACCENT) > 2000  # the minutes and the ranks
    assert near(card, MUTED) > 500  # labels and artists under songs


def test_names_change_the_picture(report: Report) -> None:
    renamed = report.top.model_copy(
        update={"artists": [a.model_copy(update={"name": "Björk"}) for a in report.top.artists]}
    )
    other = report.model_copy(update={"top": renamed})
    for fmt in (CardFormat.story, CardFormat.square):
        assert render_card(other, fmt) != render_card(report, fmt)


def test_rendering_is_a_pure_function(report: Report) -> None:
    assert render_card(report, CardFormat.wide) == render_card(report, CardFormat.wide)


def test_long_names_are_cut_to_the_width_they_may_take() -> None:
    face = font(46, bold=True)
    for width in (120, 300, 700):
        cut = fit(LONG, face, width)
        assert cut.endswith("…") and face.getlength(cut) <= width
        assert LONG.startswith(cut[:-1])
    assert fit(ARTISTS[1], face, 700) == ARTISTS[1]  # fits: untouched
    marks = "Ne\u0303\u0301o" * 12  # letters with two combining marks each
    for width in range(60, 600, 7):
        cut = fit(marks, face, width)
        assert not unicodedata.combining(marks[len(cut) - 1]), "a mark left its letter"


def test_names_are_one_printable_line() -> None:
    assert clean("Zwo\u0308lf\nMädchen\x00 ") == "Zwölf Mädchen"
    assert clean("  ", "Unknown artist") == "Unknown artist"


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """The WCAG 2 contrast ratio of two sRGB colours."""

    def luminance(rgb: tuple[int, int, int]) -> float:
        c = [v / 255 for v in rgb]
        lin = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_colour_pair_reads_at_7_to_1() -> None:
    # Blending two stops in sRGB never gives a lighter colour than the lighter stop, so
    # the stops bound the whole gradient.
    for ink in (INK, MUTED, ACCENT):
        for stop in BACKGROUND:
            assert contrast(ink, stop) >= 7, (ink, stop)


def test_fonts_ship_with_their_licence() -> None:
    assert Path(font(10).path).parent == FONTS
    assert {p.name for p in FONTS.iterdir()} >= {
        "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LICENSE",
    }  # fmt: skip
    assert "Bitstream Vera" in (FONTS / "LICENSE").read_text()
