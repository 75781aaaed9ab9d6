"""Cards in any script: every character of a name is drawn with a real glyph from the first
font of the chain that has it, never as the box that stands for a missing one."""

from __future__ import annotations

import dataclasses
import io
import itertools
import logging
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image, ImageDraw

from service.store import Store
from tests.wrapped.conftest import wrap
from tests.wrapped.years import (
    ARTISTS,
    CJK_ARTISTS,
    LONG_CJK,
    REAL,
    REAL_TZ,
    REAL_USER,
    cjk_report,
    import_real_year,
    private_store,
)
from wrapped.render import fonts
from wrapped.render.card import SIZES, CardFormat, fit, render_card
from wrapped.render.fonts import CHAIN, FONTS, Face, clusters, font, is_emoji, load
from wrapped.render.summary import Summary
from wrapped.report import Report
from wrapped.window import Window

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "wrapped"
MISSING = "\u0378"  # unassigned: no font has it, so each draws its .notdef box
FACES = [(52, True), (40, False)]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return cjk_report(tmp_path_factory.mktemp("cjk"))


def ink(face: Face, text: str) -> npt.NDArray[np.uint8]:
    """The pixels ``face`` draws for ``text``, cropped to their bounding box."""
    image = Image.new("L", (face.size * (len(text) + 2), face.size * 2))
    face.draw(image, (face.size / 2, face.size * 1.5), text, (255,))
    pixels = np.asarray(image)
    rows, cols = np.flatnonzero(pixels.any(axis=1)), np.flatnonzero(pixels.any(axis=0))
    if not len(rows):
        return pixels[:0, :0]
    return pixels[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def boxes(face: Face) -> list[npt.NDArray[np.uint8]]:
    """The .notdef box of each font of ``face``."""
    return [ink(Face((f,), face.size), MISSING) for f in face.fonts]


def is_box(drawn: npt.NDArray[np.uint8], face: Face) -> bool:
    return any(np.array_equal(drawn, box) for box in boxes(face))


def names(report: Report) -> list[str]:
    s = Summary.of(report)
    return [*s.top_artists, *(text for song in s.top_songs for text in (song.title, song.artist))]


def test_the_chain_is_whole() -> None:
    missing = [f"{f.name} ({f.regular})" for f in CHAIN if not f.regular.is_file()]
    assert not missing, f"fonts missing, their scripts show as boxes: {missing} (`make fonts`)"
    assert [f.name for f in font(20).fonts] == [f.name for f in CHAIN] == [
        "DejaVu Sans", "Droid Sans Fallback", "Noto Color Emoji",
    ]  # fmt: skip
    assert not any(ord(MISSING) in f.covers for f in font(20).fonts)


def test_the_shipped_fonts_come_with_their_licences() -> None:
    shipped = [f for f in CHAIN if f.regular.parent == FONTS]
    assert [f.name for f in shipped] == ["DejaVu Sans", "Droid Sans Fallback"]
    assert "Apache License" in (FONTS / "LICENSE-DroidSansFallback").read_text()
    assert "Bitstream Vera" in (FONTS / "LICENSE").read_text()
    assert "DroidSansFallback.ttf" in (FONTS / "README.md").read_text()


def test_the_box_test_sees_boxes() -> None:
    """The check below is only as good as its oracle: DejaVu alone draws 唐 as its box."""
    dejavu = load(CHAIN[:1], 52, bold=True)
    assert is_box(ink(dejavu, "唐"), dejavu)
    assert not is_box(ink(dejavu, "A"), dejavu)


def assert_real_glyphs(face: Face, shown: list[str]) -> None:
    """Each character of ``shown`` is set in a font that has it, and is not a box."""
    for name in shown:
        for run, f in face.runs(name):
            alone = Face((f,), face.size)
            for cluster in clusters(run):
                assert f.has(cluster), f"{cluster!r} of {name!r} set in {f.name}, which lacks it"
                if not cluster.isspace():
                    assert not is_box(ink(alone, cluster), face), f"{cluster!r} is a box"


@pytest.mark.parametrize(("size", "bold"), FACES)
def test_every_character_of_every_name_has_a_real_glyph(
    report: Report, size: int, bold: bool
) -> None:
    face = font(size, bold=bold)
    shown = names(report)
    assert {"唐伯虎Annie", "王韵韵", "Zero阿零", "落", "うっせぇわ 😤", "저기요"} <= set(shown)
    assert_real_glyphs(face, shown)
    hanzi, hangul, kana = face.runs("落")[0][1], face.runs("저")[0][1], face.runs("う")[0][1]
    assert hanzi.name == hangul.name == kana.name == "Droid Sans Fallback"
    assert [f.name for _, f in face.runs(f"{ARTISTS[2]} {ARTISTS[3]}")] == ["DejaVu Sans"]


def test_runs_follow_the_scripts() -> None:
    face = font(40)
    assert [(run, f.name) for run, f in face.runs("唐伯虎Annie 王韵韵")] == [
        ("唐伯虎", "Droid Sans Fallback"),
        ("Annie ", "DejaVu Sans"),
        ("王韵韵", "Droid Sans Fallback"),
    ]
    # A space stays in the run before it, when that font has one.
    assert [run for run, _ in face.runs("情人 落 - Lover")] == ["情人 落 ", "- Lover"]
    assert face.getlength("Zero阿零") == face.getlength("Zero") + face.getlength("阿零")


def test_clusters_keep_marks_selectors_and_joins_together() -> None:
    assert list(clusters("Zwo\u0308lf")) == ["Z", "w", "o\u0308", "l", "f"]
    family = "\U0001f469\u200d\U0001f3a4"  # woman, zero-width joiner, microphone
    thumbs = "\U0001f44d\U0001f3fd"  # with a skin tone
    japan, korea = "\U0001f1ef\U0001f1f5", "\U0001f1f0\U0001f1f7"  # two regional indicators each
    assert list(clusters(f"{family}{thumbs}\u2600\ufe0fa{japan}{korea}")) == [
        family, thumbs, "\u2600\ufe0f", "a", japan, korea,
    ]  # fmt: skip
    assert [is_emoji(c) for c in (family, thumbs, japan, "\u2600\ufe0f", "\u2600")] == [
        True, True, True, True, False,
    ]  # fmt: skip
    assert not is_emoji("\U00020000")  # an ideograph of CJK Extension B


EMOJI = ["\U0001f600", "\U0001f469\u200d\U0001f3a4", "\U0001f1ef\U0001f1f5", "\U0001f44d\U0001f3fd",
         "\u2600\ufe0f", "\U0001f624"]  # fmt: skip
"""Grinning face, woman singer (a joined sequence), the flag of Japan, a thumbs up with a
skin tone, sun with the emoji selector, face with steam (from the CJK year)."""


def colourful(image: Image.Image) -> int:
    """How many pixels are neither grey nor the fill: colour only an emoji font brings."""
    rgb = np.asarray(image.convert("RGB"), dtype=np.int16)
    return int((rgb.max(axis=-1) - rgb.min(axis=-1) > 60).sum())


@pytest.mark.parametrize(("size", "bold"), FACES)
def test_emoji_are_drawn_in_colour_at_the_size_of_the_text(size: int, bold: bool) -> None:
    face = font(size, bold=bold)
    for emoji in EMOJI:
        ((run, f),) = face.runs(emoji)
        assert f.name == "Noto Color Emoji" and f.has(emoji), emoji
        image = Image.new("RGB", (size * 4, size * 2))
        face.draw(image, (size / 2, size * 1.5), emoji, (255, 255, 255))
        assert colourful(image) > size * size / 10, f"{emoji!r} is not in colour"
        assert not is_box(ink(face, emoji), face)
        left, top, right, bottom = image.getbbox() or (0, 0, 0, 0)
        assert size * 0.6 < bottom - top < size * 1.5 and right - left < size * 1.5 * len(run)
    # Symbols that Unicode shows as text unless asked stay in the text face, in its colour.
    assert [f.name for _, f in face.runs("\u2600 \u2764")] == ["DejaVu Sans"]
    assert face.getlength("\U0001f600") == pytest.approx(size * face.fonts[2].face.getlength(
        "\U0001f600") / 109)  # fmt: skip
    # A space after an emoji is the text's space, not the emoji font's, which is wider.
    assert [run for run, _ in face.runs("\U0001f600 Song")] == ["\U0001f600", " Song"]


@pytest.mark.parametrize(("size", "bold"), FACES)
def test_long_cjk_names_are_cut_with_an_ellipsis_within_the_width(size: int, bold: bool) -> None:
    face = font(size, bold=bold)
    assert face.getlength(LONG_CJK) > 1200  # longer than any card is wide
    for width in (120, 300, 528, 888):
        cut = fit(LONG_CJK, face, width)
        assert cut.endswith("…") and LONG_CJK.startswith(cut[:-1]) and len(cut) >= 2
        assert face.getlength(cut) <= width
        drawn = ink(face, cut)
        assert drawn.shape[1] <= width, f"{width}: the ink is {drawn.shape[1]} px wide"
    mixed = "Zero阿零 \U0001f469\u200d\U0001f3a4 " * 12  # an emoji of three code points
    ends = {0, *itertools.accumulate(len(c) for c in clusters(mixed))}
    for width in range(60, 900, 13):
        assert len(fit(mixed, face, width)) - 1 in ends, "a cut parted one emoji"


@pytest.mark.parametrize("anchor", ["ls", "rs", "la", "ld"])
def test_one_run_is_drawn_exactly_as_pillow_draws_it(anchor: str) -> None:
    """(Pillow rounds a middle anchor's offset to a whole pixel; the runs keep the half.)"""
    face = font(46, bold=True)
    ours, pillows = (Image.new("L", (900, 200)) for _ in range(2))
    face.draw(ours, (450.3, 100), ARTISTS[1], (255,), anchor)
    ImageDraw.Draw(pillows).text(
        (450.3, 100), ARTISTS[1], font=face.primary.face, fill=255, anchor=anchor
    )
    assert ours.tobytes() == pillows.tobytes()


@pytest.mark.parametrize("across", ["l", "m", "r"])
def test_anchors_place_mixed_runs_as_one_line(across: str) -> None:
    face, x = font(46, bold=True), 600
    image = Image.new("L", (1200, 200))
    face.draw(image, (x, 120), "Zero阿零 저기요 Lover", (255,), f"{across}s")
    cols = np.flatnonzero(np.asarray(image).any(axis=0))
    left, right = int(cols[0]), int(cols[-1]) + 1
    length = face.getlength("Zero阿零 저기요 Lover")
    expected = {"l": x, "m": x - length / 2, "r": x - length}[across]
    assert abs(left - expected) <= 6 and abs(right - (expected + length)) <= 6
    with pytest.raises(ValueError, match="line"):
        face.draw(image, (x, 120), "落", (255,), "lt")


@pytest.mark.parametrize("fmt", list(CardFormat))
def test_cjk_cards(report: Report, fmt: CardFormat) -> None:
    """The three cards, kept in ``tests/artifacts/wrapped/`` to be looked at."""
    png = render_card(report, fmt)
    assert png == render_card(report, fmt)
    image = Image.open(io.BytesIO(png))
    assert image.size == SIZES[fmt]
    assert CJK_ARTISTS[0] in image.text["Description"]  # type: ignore[attr-defined]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"cjk-card-{fmt.value}.png").write_bytes(png)


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    if not REAL.is_dir():
        pytest.skip(f"no real export at {REAL} (ENCORE_DATASETS)")
    with private_store(tmp_path_factory.mktemp("real")) as store:
        import_real_year(store)
        yield store


@pytest.mark.parametrize(
    ("script", "first", "days", "song"),
    [("hanzi", date(2024, 9, 6), 3, "情人"),
     ("hangul", date(2024, 9, 24), 2, "Gangnam Style (강남스타일)")],
)  # fmt: skip
def test_the_real_export_in_cjk(
    real: Store, script: str, first: date, days: int, song: str
) -> None:
    """The export's CJK names never make a year's top 5, but they make a few days' top
    songs: those days' cards, as artifacts."""
    window = Window.between(first, first + timedelta(days=days), REAL_TZ)
    report = wrap(real, REAL_USER, window=window)
    shown = names(report)
    assert song in shown
    assert_real_glyphs(font(36, bold=True), shown)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for fmt in CardFormat:
        png = render_card(report, fmt)
        (ARTIFACTS / f"real-{script}-card-{fmt.value}.png").write_bytes(png)


@pytest.mark.parametrize(
    ("gone", "boxed", "kept"),
    # Without the emoji font, an emoji DejaVu draws (😀) is drawn in its outline.
    [(1, "唐저う", "Annie\U0001f600" + ARTISTS[2]),
     (2, "\U0001f624\U0001f389", "唐저うAnnie\U0001f600")],
)  # fmt: skip
def test_a_missing_fallback_font_costs_only_its_scripts(
    report: Report,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    gone: int,
    boxed: str,
    kept: str,
) -> None:
    whole = render_card(report, CardFormat.square)
    missing = dataclasses.replace(CHAIN[gone], regular=tmp_path / CHAIN[gone].regular.name)
    monkeypatch.setattr(fonts, "CHAIN", (*CHAIN[:gone], missing, *CHAIN[gone + 1 :]))
    font.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger=fonts.__name__):
            face = font(52, bold=True)
            degraded = render_card(report, CardFormat.square)
        assert f"{missing.name} missing at {missing.regular}" in caplog.text
        assert missing.name not in [f.name for f in face.fonts]
        assert all(is_box(ink(face, ch), face) for ch in boxed)
        assert not any(is_box(ink(face, ch), face) for ch in kept if not ch.isspace())
        assert Image.open(io.BytesIO(degraded)).size == SIZES[CardFormat.square]
        assert degraded != whole
    finally:
        font.cache_clear()
        fonts.present.cache_clear()
