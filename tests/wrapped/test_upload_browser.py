"""The upload page in a real browser, on both databases: headless Chromium uploads one year
of the real Spotify export, watches the import to the end and lands on the story, whose
numbers are recomputed here from the JSON file itself. A wrong format ends in a readable
error, not a dead page.

Screenshots are kept in ``tests/artifacts/wrapped/`` (git ignores ``artifacts/``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.settings import Settings
from service.store import Store
from tests.conftest import LiveServer
from tests.data.test_importers import DATASETS
from tests.wrapped.test_story_browser import ARTIFACTS, CHROMEDRIVER, CHROMIUM, PHONE
from wrapped.render.summary import number

EXPORT = DATASETS / "spotify-extended-efrrowini" / "Streaming_History_Audio_2024.json"
YEAR = 2024

pytestmark = [
    pytest.mark.skipif(not EXPORT.is_file(), reason=f"no export at {EXPORT}"),
    pytest.mark.skipif(
        not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
        reason=f"no Chromium ({CHROMIUM}) or chromedriver ({CHROMEDRIVER}) here",
    ),
]


def from_the_file() -> tuple[int, str]:
    """Minutes of 2024 (UTC, the new listener's zone) and the top artist by music time,
    from the JSON alone: a record's ``ts`` is when it ended, so it started ``ms_played``
    earlier; incognito plays count nowhere."""
    ms, by_artist = 0, Counter[str]()
    for r in json.loads(EXPORT.read_text()):
        end = datetime.fromisoformat(r["ts"].replace("Z", "+00:00"))
        start = end - timedelta(milliseconds=r["ms_played"])
        if r.get("incognito_mode") or start.astimezone(UTC).year != YEAR:
            continue
        ms += r["ms_played"]
        if r["spotify_track_uri"] and r["master_metadata_album_artist_name"]:
            by_artist[r["master_metadata_album_artist_name"]] += r["ms_played"]
    return ms // 60_000, by_artist.most_common(1)[0][0]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
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
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]},
    )
    try:
        yield driver
    finally:
        driver.quit()


def fill(driver: Any, user: str, fmt: str, year: str | None) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, "user-id").send_keys(user)
    driver.find_element(By.ID, f"format-{fmt}").click()
    driver.find_element(By.ID, "files").send_keys(str(EXPORT))
    if year:
        driver.find_element(By.ID, "year").send_keys(year)


def test_upload_watch_and_land_on_the_story(
    settings: Settings, store: Store, browser: Any, db_url: str
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    backend = db_url.split(":", 1)[0]
    folder = ARTIFACTS
    folder.mkdir(parents=True, exist_ok=True)
    minutes, top_artist = from_the_file()
    with LiveServer(settings, store) as live:
        assert httpx.get(f"{live.url}/wrapped").status_code == 401  # signed in only
        page = httpx.get(f"{live.url}/wrapped", headers=live.headers("ingest"))
        assert page.status_code == 200
        assert "script-src 'self'" in page.headers["content-security-policy"]
        browser.get(live.signin_url("/wrapped"))  # an operator's session: any listener
        assert browser.title == "Get your Wrapped"
        # every control has a label a screen reader reads
        for control in browser.find_elements(By.CSS_SELECTOR, "input"):
            labels = browser.find_elements(
                By.CSS_SELECTOR, f"label[for='{control.get_attribute('id')}']"
            )
            assert labels and labels[0].text, control.get_attribute("id")
        browser.save_screenshot(str(folder / f"upload-1-form-{backend}.png"))

        # Nothing chosen: said so, nothing sent.
        browser.find_element(By.CSS_SELECTOR, "[data-submit]").click()
        error = browser.find_element(By.CSS_SELECTOR, "[data-error]")
        assert error.text == "Please give a name."

        # No year given: the latest year of the history, which is 2024 here.
        fill(browser, "uploader", "spotify", None)
        browser.find_element(By.CSS_SELECTOR, "[data-submit]").click()
        status = browser.find_element(By.CSS_SELECTOR, "[data-status]")
        WebDriverWait(browser, 10).until(lambda _d: status.is_displayed())
        detail = browser.find_element(By.CSS_SELECTOR, "[data-detail]")
        WebDriverWait(browser, 60).until(lambda d: "/story" in d.current_url or detail.text)
        browser.save_screenshot(str(folder / f"upload-2-progress-{backend}.png"))
        WebDriverWait(browser, 180).until(lambda d: "/story" in d.current_url)
        assert (
            browser.current_url.split("#")[0]
            == f"{live.url}/v1/users/uploader/wrapped/{YEAR}/story"
        )
        assert browser.title == f"Wrapped {YEAR}"

        slides = {
            s.get_attribute("data-slide"): s
            for s in browser.find_elements(By.CSS_SELECTOR, "[data-slide]")
        }
        assert slides["minutes"].is_displayed() or slides["intro"].is_displayed()
        browser.execute_script("location.hash = '#slide-minutes'")
        browser.refresh()
        WebDriverWait(browser, 10).until(
            lambda d: d.find_element(By.ID, "slide-minutes").is_displayed()
        )
        shown = browser.find_element(By.ID, "slide-minutes").text
        assert number(minutes) in shown, (minutes, shown)
        browser.save_screenshot(str(folder / f"upload-3-story-minutes-{backend}.png"))
        browser.get(f"{live.url}/v1/users/uploader/wrapped/{YEAR}/story#slide-top-artist")
        WebDriverWait(browser, 10).until(
            lambda d: d.find_element(By.ID, "slide-top-artist").is_displayed()
        )
        assert top_artist in browser.find_element(By.ID, "slide-top-artist").text

        # The whole way, only Encore was asked for anything, and nothing failed.
        loaded = browser.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )
        assert all(url.startswith(live.url + "/") for url in loaded), loaded

        # The same export again as Last.fm: the import fails and the page says why.
        browser.get(f"{live.url}/wrapped")
        fill(browser, "uploader-2", "lastfm", "2024")
        browser.find_element(By.CSS_SELECTOR, "[data-submit]").click()
        failure = browser.find_element(By.CSS_SELECTOR, "[data-failure]")
        WebDriverWait(browser, 120).until(lambda _d: failure.is_displayed())
        assert failure.text.startswith("Streaming_History_Audio_2024.json: not a Last.fm")
        assert browser.find_element(By.CSS_SELECTOR, "[data-submit]").is_enabled()
        browser.save_screenshot(str(folder / f"upload-4-failed-{backend}.png"))
        log = browser.get_log("browser")
        severe = [e for e in log if e["level"] == "SEVERE" and "/v1/" not in e["message"]]
        assert severe == []
