"""The story page over real HTTP: strict headers, names escaped, every asset served by Encore,
slides in order with their labels, colours that read, and the card endpoint's refusals."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from service.store import Store
from tests.wrapped.conftest import Add, set_user
from tests.wrapped.test_card import contrast
from tests.wrapped.years import IMG, SCRIPT, hostile_report, hostile_year
from wrapped.cards.comparisons import ArtistStanding, Standing
from wrapped.render.card import CardFormat
from wrapped.render.story import SLIDES, STATIC, StoryLinks, render_story
from wrapped.report import Report

STORY = "/v1/users/mallory/wrapped/2024/story"


class Page(HTMLParser):
    """Every element with its attributes, and the text outside tags."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.elements if name == tag]


@pytest.fixture
def mallory(add: Add) -> None:
    add(*hostile_year())


def test_story_is_served_with_strict_headers(client: httpx.Client, mallory: None) -> None:
    r = client.get(STORY)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["cache-control"] == "no-store"


def test_names_are_text_not_markup(client: httpx.Client, mallory: None) -> None:
    html = client.get(STORY).text
    page = Page(html)
    assert [s["src"] for s in page.all("script")] == [page.all("script")[0]["src"]]
    assert page.all("script")[0]["src"].startswith("/static/wrapped/story.js")  # type: ignore[union-attr]
    assert len(page.all("img")) == 1  # the card; the title that is an <img> stays text
    assert not [a for _tag, attrs in page.elements for a in attrs if a.startswith("on")]
    text = "".join(page.text)
    assert SCRIPT in text and IMG in text  # shown, as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    (card,) = page.all("img")
    assert card["alt"] is not None and SCRIPT in card["alt"] and IMG in card["alt"]


def test_every_asset_is_served_by_encore(client: httpx.Client, mallory: None) -> None:
    html = client.get(STORY).text
    assert "://" not in html  # no absolute URL at all: nothing from elsewhere
    page = Page(html)
    urls = [
        url for _tag, attrs in page.elements for name, url in attrs.items()
        if name in ("src", "href", "data-card") and url
    ]  # fmt: skip
    assert len(urls) >= 7  # stylesheet, icon, script, card image, three downloads
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url
        r = client.get(url)
        assert r.status_code == 200, url
        assert r.headers["x-content-type-options"] == "nosniff"
    for name in ("story.css", "story.js", "icon.svg"):
        source = (STATIC / name).read_text()
        assert not re.search(r"https?:|@import|//[a-z]", source.replace("http://www.w3.org", ""))
    css = client.get("/static/wrapped/story.css")
    assert css.headers["content-type"] == "text/css; charset=utf-8"
    assert client.get("/static/wrapped/story.html").status_code == 404  # only what is listed
    assert client.get("/static/wrapped/nope.js").status_code == 404


def test_slides_are_labelled_sections_in_order(client: httpx.Client, mallory: None) -> None:
    page = Page(client.get(STORY).text)
    sections = page.all("section")
    assert [s["data-slide"] for s in sections] == [slide for slide, _name in SLIDES]
    assert [s["aria-label"] for s in sections] == [
        f"{n} of {len(SLIDES)}: {name}" for n, (_slide, name) in enumerate(SLIDES, start=1)
    ]
    assert all(s["aria-roledescription"] == "slide" for s in sections)
    html = "".join(page.text)
    for expected in ("140", "Top artist", "Hoppípolla", "Your hour was 08:00", "6 new artists"):
        assert expected in html, expected


def test_the_cards_and_the_story_follow_tz(client: httpx.Client, mallory: None) -> None:
    page = Page(client.get(STORY, params={"tz": "Asia/Tokyo"}).text)
    (card,) = page.all("img")
    assert card["src"] == "/v1/users/mallory/wrapped/2024/card.png?format=story&tz=Asia%2FTokyo"
    assert "Your hour was 17:00" in "".join(page.text)


def test_card_endpoint(client: httpx.Client, mallory: None, store: Store) -> None:
    url = "/v1/users/mallory/wrapped/2024/card.png"
    r = client.get(url, params={"format": "wide"})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content.startswith(b"\x89PNG") and r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-disposition"] == 'inline; filename="wrapped-2024-wide.png"'
    assert client.get(url, params={"format": "poster"}).status_code == 422
    assert client.get("/v1/users/nobody/wrapped/2024/card.png").status_code == 404
    assert client.get("/v1/users/mallory/wrapped/2023/story").status_code == 404
    set_user(store, "mallory", opt_out_wrapped=True)
    assert client.get(url).status_code == 403
    assert client.get(STORY).status_code == 403


def css_colours() -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    css = (STATIC / "story.css").read_text()
    inks = dict(re.findall(r"--(ink|muted|accent|on-accent):\s*(#[0-9a-f]{6})", css))
    hexes = r"--from: (#[0-9a-f]{6}); --to: (#[0-9a-f]{6});"
    slides = re.findall(r"\.slide--([\w-]+) \{ " + hexes, css)
    return inks, slides


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return (int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16))


def test_story_text_reads_at_7_to_1_on_every_slide() -> None:
    inks, slides = css_colours()
    assert sorted(s for s, _a, _b in slides) == sorted(slide for slide, _name in SLIDES)
    for slide, start, end in slides:
        for name in ("ink", "muted", "accent"):
            for stop in (start, end):
                assert contrast(rgb(inks[name]), rgb(stop)) >= 7, (slide, name, stop)
    assert contrast(rgb(inks["on-accent"]), rgb(inks["accent"])) >= 7  # the share button


LINKS = StoryLinks("/s.css", "/s.js", "/i.svg", {fmt: f"/{fmt}.png" for fmt in CardFormat})


def words(report: Report, **update: object) -> str:
    """The page's text for ``report`` with its fields replaced."""
    return "".join(Page(render_story(report.model_copy(update=update), LINKS)).text)


def test_the_story_words_what_there_is(tmp_path: Path) -> None:
    report = hostile_report(tmp_path)
    text = words(report)
    assert "2 hours of listening." in text and "Top 3" not in text
    assert "Your year in music" in text and "shared with you" not in text
    standing = Standing(listeners=1204, rank=36, top_percent=3.0)
    mine = ArtistStanding(artist_id=1, artist=SCRIPT, **standing.model_dump())
    comparisons = report.comparisons.model_copy(update={"listeners": standing, "top_artist": mine})
    text = words(report, comparisons=comparisons)
    assert "Top 3% of 1,204 listeners." in text
    assert "Top 3% of their 1,204 listeners." in text
    little = report.totals.model_copy(update={"minutes": 42})
    assert "under an hour of listening." in words(report, totals=little)
    assert report.discoveries is not None
    none_new = report.discoveries.model_copy(update={"new_artists": 0, "top": []})
    assert "Old favourites" in words(report, discoveries=none_new)
    assert "too little music" in words(report, personality=None)
    shared = "".join(Page(render_story(report, LINKS, shared=True)).text)
    assert "A year in music, shared with you." in shared
