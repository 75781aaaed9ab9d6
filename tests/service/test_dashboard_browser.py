"""The dashboard on the real exports plus a synthetic experiment, in headless Chromium:
every chart is drawn from the data, the CSP holds (no console errors), names are escaped.
A screenshot is written to ``tests/artifacts/metrics/`` for a person to look at."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from data.synth import SynthConfig, build_world, store_history
from models.experiments import ArmSpec, create_experiment
from models.listening import ListeningEvent
from service.settings import Settings
from tests.conftest import LiveServer
from tests.data.test_importers import DATASETS
from tests.metrics.test_real_data import import_real
from tests.service.test_experiments_api import run_experiment
from tests.wrapped.years import private_store

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "metrics"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SYNTH = SynthConfig(
    users=40, events=6_000, start=datetime(2025, 1, 1, tzinfo=UTC),
    end=datetime(2026, 1, 1, tzinfo=UTC), seed=3,
)  # fmt: skip


@dataclass(frozen=True)
class Live:
    url: str
    query: dict[str, str]
    server: LiveServer  # for keys and sign-in links (the dashboard needs a read session)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with private_store(tmp_path_factory.mktemp("dash")) as store:
        if DATASETS.is_dir():
            import_real(store)
        else:  # without the real exports, a generated year gives the charts plays to draw
            store_history(store.engine, store.resolver, build_world(SYNTH))
        with store.sessions() as session:
            experiment = create_experiment(session, name="<b>als-vs-pop</b>", arms=[
                ArmSpec("control", None), ArmSpec("treatment", 3)])  # fmt: skip
            session.commit()
            experiment_id = experiment.id
        run_experiment(store, experiment_id, "<b>als-vs-pop</b>", effect=0.4)
        with store.sessions() as session:
            year = session.execute(
                select(func.strftime("%Y", ListeningEvent.ts).label("y"))
                .where(~ListeningEvent.user_id.in_(select(ListeningEvent.user_id).where(
                    ListeningEvent.rec_id.is_not(None))))
                .group_by("y").order_by(func.count().desc()).limit(1)
            ).scalar() or "2025"  # fmt: skip
        settings = Settings(database_url=str(store.engine.url), _env_file=None)
        with LiveServer(settings, store) as server:
            yield Live(server.url, {"from": f"{year}-01-01", "to": f"{int(year) + 1}-01-01",
                                    "tz": "Europe/Amsterdam", "granularity": "week"},
                       server)  # fmt: skip


def test_dashboard_is_strict_and_escaped(live: Live) -> None:
    assert httpx.get(f"{live.url}/dashboard", params=live.query).status_code == 401
    reader = live.server.headers("read")
    r = httpx.get(f"{live.url}/dashboard", params=live.query, headers=reader, timeout=60)
    assert r.status_code == 200, r.text
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert "<script" not in r.text and "http://" not in r.text.replace(live.url, "")
    assert "&lt;b&gt;als-vs-pop&lt;/b&gt;" in r.text and "<b>als" not in r.text
    bad = httpx.get(
        f"{live.url}/dashboard", params={"tz": "Nowhere/Else"}, headers=reader, timeout=30
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "tz"]


@pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason=f"no Chromium ({CHROMIUM}) or chromedriver ({CHROMEDRIVER}) here",
)
def test_dashboard_in_a_browser(live: Live, tmp_path: Path) -> None:
    from urllib.parse import urlencode

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1400,2400",
                f"--user-data-dir={tmp_path / 'profile'}"):  # fmt: skip
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        # an operator signs in with a read key's link and lands on the dashboard
        driver.get(live.server.signin_url(f"/dashboard?{urlencode(live.query)}", scope="read"))
        assert driver.title == "Encore · product metrics"
        # A point a week of a year; skip rate has gaps where no play says if it was skipped.
        for section, least in (("north-star", 50), ("active-users", 50), ("skip-rate", 10),
                               ("rec-share", 50)):  # fmt: skip
            lines = driver.find_elements(By.CSS_SELECTOR, f"#{section} polyline")
            points = max((len((p.get_attribute("points") or "").split()) for p in lines), default=0)
            assert points >= least, (section, points)
        series = {p.get_attribute("data-series") for p in
                  driver.find_elements(By.CSS_SELECTOR, "#active-users polyline")}  # fmt: skip
        assert series == {"DAU", "WAU", "MAU"}
        cells = driver.find_elements(By.CSS_SELECTOR, "#retention rect.cell")
        assert len(cells) >= 12
        bars = driver.find_elements(By.CSS_SELECTOR, "#experiments rect.bar")
        assert len(bars) == 2
        verdict = driver.find_element(By.CSS_SELECTOR, "#experiments .verdict").text
        assert verdict.startswith("treatment wins")
        background = driver.find_element(By.TAG_NAME, "body").value_of_css_property(
            "background-color"
        )
        assert background == "rgba(18, 18, 18, 1)"  # the stylesheet loaded under the CSP
        log = driver.get_log("browser")  # type: ignore[no-untyped-call]
        errors = [e for e in log if e["level"] == "SEVERE"]
        assert errors == []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        height = driver.execute_script("return document.body.scrollHeight")
        metrics = {"width": 1400, "height": int(height) + 40, "deviceScaleFactor": 1,
                   "mobile": False}  # fmt: skip
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        driver.save_screenshot(str(ARTIFACTS / "dashboard.png"))
    finally:
        driver.quit()
