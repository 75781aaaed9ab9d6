"""The story in a real browser, for the real Spotify export (or, without the datasets, the
hostile sample year): headless Chromium steps through every slide with the keyboard and
with taps and checks what each shows; the three cards are fetched too. A year of Chinese,
Japanese and Korean names is shown with a real glyph for every character: each is in the
character map of a font Chromium drew that name with.

Screenshots of every slide and the cards are kept in ``tests/artifacts/wrapped/`` (git
ignores ``artifacts/``) for people to look at.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fontTools.ttLib import TTFont
from PIL import Image

from service.settings import Settings
from tests.conftest import LiveServer
from tests.wrapped.years import (
    IMG,
    REAL,
    REAL_TZ,
    REAL_USER,
    REAL_YEAR,
    SCRIPT,
    cjk_year,
    hostile_year,
    import_real_year,
    ingest,
    private_store,
)
from wrapped.render.card import SIZES, CardFormat
from wrapped.render.story import SLIDES
from wrapped.render.summary import Summary, clean, day, hour, number
from wrapped.report import Report, build_report
from wrapped.window import Window

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "wrapped"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
PHONE = {"width": 412, "height": 860, "deviceScaleFactor": 1, "mobile": True}


@dataclass(frozen=True)
class Live:
    url: str
    story: str
    cards: str
    tz: str
    report: Report
    headers: dict[str, str]
    signin: str
    """Signs the browser in (an admin key's session) and opens the story."""
    cjk_signin: str
    """Signs the browser in as the CJK year's listener and opens their story."""


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The real year (when the datasets are here) and the hostile one, served for real."""
    with private_store(tmp_path_factory.mktemp("story")) as store:
        ingest(store, hostile_year())
        ingest(store, cjk_year())
        if REAL.is_dir():
            import_real_year(store)
        user, tz = (REAL_USER, REAL_TZ) if REAL.is_dir() else ("mallory", "UTC")
        with store.sessions() as session:
            report = build_report(
                session, user_id=user, window_for=lambda _own: Window.for_year(REAL_YEAR, tz)
            )
        settings = Settings(database_url=str(store.engine.url), _env_file=None)
        with LiveServer(settings, store) as server:
            base = f"{server.url}/v1/users/{user}/wrapped/{REAL_YEAR}"
            story = f"{base}/story?tz={tz}"
            signin = server.signin_url(story.removeprefix(server.url), scope="read")
            headers = server.headers("read")
            cjk = server.signin_url(f"/v1/users/xiaoyu/wrapped/{REAL_YEAR}/story", user="xiaoyu")
            yield Live(server.url, story, f"{base}/card.png", tz, report, headers, signin, cjk)


def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def test_cards_of_the_year(live: Live) -> None:
    folder = artifacts()
    hostile = f"{live.url}/v1/users/mallory/wrapped/2024/card.png"
    for fmt in CardFormat:
        for name, url, tz in (("card", live.cards, live.tz), ("hostile-card", hostile, "UTC")):
            r = httpx.get(
                url, params={"format": fmt.value, "tz": tz}, headers=live.headers, timeout=30
            )
            assert r.status_code == 200, r.text
            path = folder / f"{name}-{fmt.value}.png"
            path.write_bytes(r.content)
            assert Image.open(path).size == SIZES[fmt]
    print(f"\ncards in {folder}")


def expected_text(report: Report) -> list[list[str]]:
    """What each slide must show, slide by slide, from the report itself."""
    s = Summary.of(report)
    top = report.top.top_artist
    assert top is not None and report.personality is not None and report.discoveries
    peak = max(report.clock.hours, key=lambda h: (h.ms_played, -h.hour))
    assert report.clock.peak_day is not None
    return [
        [s.label, "Your year in music"],
        [number(s.minutes), f"{number(s.streams)} streams", f"{number(s.artists)} artists"],
        [clean(top.artist.name), *s.top_artists[1:], clean(top.top_track.title)],
        [text for song in s.top_songs for text in (song.title, song.artist)],
        [f"Your hour was {hour(peak.hour)}", day(report.clock.peak_day.date)],
        [f"{number(report.discoveries.new_artists)} new artists",
         clean(report.discoveries.top[0].name)],
        [report.personality.summary, *(a.label for a in report.personality.archetypes)],
        ["Share the card", "Download"],
    ]  # fmt: skip


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[WebDriver]:
    """Headless Chromium through chromedriver, quit at the end."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip(f"no Chromium ({CHROMIUM}) or chromedriver ({CHROMEDRIVER}) here")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}"):  # fmt: skip
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_story_in_a_browser(live: Live, chromium: WebDriver) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.remote.webelement import WebElement
    from selenium.webdriver.support.ui import WebDriverWait

    driver = chromium
    folder = artifacts()

    def cdp(command: str, **params: Any) -> None:
        driver.execute_cdp_cmd(command, params)

    def shown() -> WebElement:
        (slide,) = [s for s in driver.find_elements(By.CSS_SELECTOR, "[data-slide]")
                    if s.is_displayed()]  # fmt: skip
        return slide

    def at(n: int) -> WebElement:
        slide = shown()
        assert slide.get_attribute("data-slide") == SLIDES[n][0], f"expected slide {n + 1}"
        return slide

    def key(name: str) -> None:
        ActionChains(driver).send_keys(name).perform()

    def tap(share_of_width: float) -> None:
        """A tap on the story, at this share of its width, in the upper part."""
        story = driver.find_element(By.CSS_SELECTOR, "[data-story]")
        box = story.rect
        x, y = (share_of_width - 0.5) * box["width"], -0.3 * box["height"]
        ActionChains(driver).move_to_element_with_offset(story, int(x), int(y)).click().perform()

    cdp("Emulation.setDeviceMetricsOverride", **PHONE)
    cdp("Emulation.setEmulatedMedia",
        features=[{"name": "prefers-reduced-motion", "value": "reduce"}])  # fmt: skip
    cdp("Browser.setDownloadBehavior", behavior="deny")
    driver.get(live.signin)  # sets the session cookie and goes on to the story
    assert driver.current_url.split("#")[0] == live.story
    assert driver.title == f"Wrapped {live.report.window.label}"

    # Forward with the arrow key, every slide checked and photographed.
    for n, texts in enumerate(expected_text(live.report)):
        slide = at(n)
        assert slide.get_attribute("aria-label") == f"{n + 1} of 8: {SLIDES[n][1]}"
        for text in texts:
            assert text in slide.text, f"slide {n + 1} does not show {text!r}"
        done = driver.find_elements(By.CSS_SELECTOR, ".progress__segment--done")
        assert len(done) == n + 1
        assert driver.execute_script("return location.hash") == f"#slide-{SLIDES[n][0]}"
        driver.save_screenshot(str(folder / f"story-{n + 1}-{SLIDES[n][0]}.png"))
        key(Keys.ARROW_RIGHT)
    at(7)  # the last slide stays

    # Back with the arrow key, forward again with taps on the right, back with one on
    # the left, on with space.
    for n in reversed(range(7)):
        key(Keys.ARROW_LEFT)
        at(n)
    for n in range(1, 8):
        tap(0.85)
        at(n)
    tap(0.15)
    at(6)
    key(Keys.SPACE)
    share = at(7)

    # The card, with its alt text; sharing falls back to the download here.
    card = share.find_element(By.CSS_SELECTOR, "img.card")
    assert driver.execute_script("return arguments[0].naturalWidth", card) == 1080
    assert card.get_attribute("alt") == Summary.of(live.report).alt_text()
    share.find_element(By.CSS_SELECTOR, "[data-share]").click()
    status = share.find_element(By.CSS_SELECTOR, "[data-status]")
    WebDriverWait(driver, 5).until(lambda _d: status.text)
    assert status.text in ("Your card is downloading.", "Shared.")

    # Offline by construction: every request went to Encore; nothing moves; no errors
    # (a blocked script or style would show up as one).
    loaded = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert loaded and all(url.startswith(live.url + "/") for url in loaded), loaded
    animation = driver.execute_script(
        "return getComputedStyle(document.querySelector('[data-share]')).animationName"
    )
    assert animation == "none"
    log = driver.get_log("browser")  # type: ignore[no-untyped-call]
    errors = [e for e in log if e["level"] == "SEVERE"]
    assert errors == []

    cdp("Emulation.setDeviceMetricsOverride", **{**PHONE, "width": 1280, "height": 800,
                                                 "mobile": False})  # fmt: skip
    driver.get(live.story.split("#")[0] + "#slide-top-songs")
    at(3)
    driver.save_screenshot(str(folder / "story-desktop.png"))

    # Names that are markup stay text, and run nothing.
    cdp("Emulation.setDeviceMetricsOverride", **PHONE)
    driver.get(f"{live.url}/v1/users/mallory/wrapped/2024/story#slide-top-artist")
    assert SCRIPT in at(2).text
    key(Keys.ARROW_RIGHT)
    assert IMG in at(3).text
    driver.save_screenshot(str(folder / "hostile-top-songs.png"))
    assert driver.title == "Wrapped 2024"  # the payload would have renamed the page
    print(f"\nscreenshots in {folder}")


def installed_cmap(postscript_name: str) -> frozenset[int]:
    """The character map of the installed font that Chromium names ``postscript_name``."""
    found = subprocess.run(
        ["fc-list", "-f", "%{file}\t%{index}\n", f":postscriptname={postscript_name}"],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    assert found, f"fontconfig does not know the font {postscript_name} Chromium drew with"
    path, index = found[0].split("\t")
    with TTFont(path, fontNumber=int(index), lazy=True) as font:
        return frozenset(font.getBestCmap())


def test_cjk_names_have_glyphs_in_the_story(live: Live, chromium: WebDriver) -> None:
    from selenium.webdriver.common.by import By

    driver, folder = chromium, artifacts()

    def cdp(command: str, **params: Any) -> Any:
        return driver.execute_cdp_cmd(command, params)

    cdp("Emulation.setDeviceMetricsOverride", **PHONE)
    cdp("Emulation.setEmulatedMedia",
        features=[{"name": "prefers-reduced-motion", "value": "reduce"}])  # fmt: skip
    driver.get(live.cjk_signin)
    story = driver.current_url.split("#")[0]
    for n, slide in ((2, "top-artist"), (3, "top-songs")):
        driver.get(f"{story}#slide-{slide}")
        driver.refresh()
        shown = [s for s in driver.find_elements(By.CSS_SELECTOR, "[data-slide]")
                 if s.is_displayed()]  # fmt: skip
        assert [s.get_attribute("data-slide") for s in shown] == [slide]
        driver.save_screenshot(str(folder / f"cjk-story-{n + 1}-{slide}.png"))

    # Without scripts every slide is laid out, one below the other: every name at once.
    cdp("Emulation.setScriptExecutionDisabled", value=True)
    driver.get(story)
    root = cdp("DOM.getDocument")["root"]["nodeId"]
    cdp("CSS.enable")
    nodes = cdp("DOM.querySelectorAll", nodeId=root, selector="bdi")["nodeIds"]
    texts = [e.get_attribute("textContent") or "" for e in driver.find_elements(By.TAG_NAME, "bdi")]
    assert len(nodes) == len(texts)
    assert {"唐伯虎Annie", "王韵韵", "Zero阿零", "落", "うっせぇわ 😤", "저기요"} <= set(texts)
    cmaps: dict[str, frozenset[int]] = {}
    boxes = []
    for node, text in zip(nodes, texts, strict=True):
        used = cdp("CSS.getPlatformFontsForNode", nodeId=node)["fonts"]
        names = [f["postScriptName"] for f in used]
        covered = frozenset().union(
            *(cmaps.setdefault(name, installed_cmap(name)) for name in names)
        )
        missing = [ch for ch in text if not ch.isspace() and ord(ch) not in covered]
        if missing:
            boxes.append(f"{text!r}: {''.join(missing)} not in {names}")
    assert not boxes, (
        "names drawn as boxes (no installed font has them; `make fonts` installs "
        "fonts-wqy-microhei and fonts-noto-color-emoji): " + "; ".join(boxes)
    )
