"""Metrics, request ids and structured logs over a real server, on both databases; and
``encore serve`` with two workers: metrics summed over them, JSON logs, a clean stop."""

from __future__ import annotations

import io
import logging
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.logs import JsonFormatter
from service.settings import ModelSettings, Settings
from service.store import Store
from tests.conftest import free_port
from tests.service.test_cli import ENCORE, run
from tests.utils.factories import event


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    models = ModelSettings(dir=tmp_path / "models", reload_seconds=0)
    return Settings(database_url=db_url, models=models, _env_file=None)


@pytest.fixture
def access_log() -> Iterator[io.StringIO]:
    """What the access logger writes, formatted as the server formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("encore.access")
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(old)


def test_metrics_count_requests_by_route_template_and_ingestion(
    client: httpx.Client, anon_client: httpx.Client
) -> None:
    before = anon_client.get("/metrics").text
    route = "/v1/users/{user_id}/history"
    batch = [event(0), event(0), {"user_id": "alice"}]
    assert client.post("/v1/events", json={"events": batch}).status_code == 422
    for user in ("alice", "bob", "carol"):
        client.get(f"/v1/users/{user}/history")
    got = anon_client.get("/metrics")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/plain")
    after = got.text
    key = {"method": "GET", "route": route}
    assert value(after, "encore_http_requests_total", status="200", **key) - value(
        before, "encore_http_requests_total", status="200", **key
    ) == 1  # fmt: skip
    assert value(after, "encore_http_requests_total", status="404", **key) - value(
        before, "encore_http_requests_total", status="404", **key
    ) == 2  # fmt: skip
    assert value(after, "encore_http_request_duration_seconds_count", **key) - value(
        before, "encore_http_request_duration_seconds_count", **key
    ) == 3  # fmt: skip
    assert "/v1/users/alice/history" not in after  # paths never become labels
    for name, n in (("ingested", 1), ("ingest_duplicates", 1), ("ingest_rejected", 1)):
        full = f"encore_{name}_total"
        assert value(after, full, kind="events") - value(before, full, kind="events") == n
    assert "encore_model_version" in after and "encore_retrain_duration_seconds" in after


def test_request_id_comes_back_and_is_in_the_log(
    client: httpx.Client, access_log: io.StringIO
) -> None:
    given = client.get("/v1/items", headers={"x-request-id": "trace-42.a"})
    assert given.headers["x-request-id"] == "trace-42.a"
    made = client.get("/v1/items")
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    hostile = client.get("/v1/items", headers={"x-request-id": "x" * 200})
    assert re.fullmatch(r"[0-9a-f]{32}", hostile.headers["x-request-id"])
    client.get("/signin", params={"token": "secret-in-the-query"})
    lines = [orjson.loads(line) for line in access_log.getvalue().splitlines()]
    ids = [line["request_id"] for line in lines]
    assert ids[:3] == ["trace-42.a", made.headers["x-request-id"], hostile.headers["x-request-id"]]
    first = lines[0]
    assert first["logger"] == "encore.access" and first["level"] == "info"
    assert first["http"]["route"] == "/v1/items" and first["http"]["status"] == 200
    assert first["http"]["caller"].startswith("key:")
    assert "secret-in-the-query" not in access_log.getvalue()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.slow  # a CLI in subprocesses; covered by the API tests in the default run
def test_two_workers_share_metrics_log_json_and_stop_cleanly(db_url: str, tmp_path: Path) -> None:
    port = free_port()
    run("db", "upgrade", db=db_url, cwd=tmp_path)
    key = run("keys", "create", "--scope", "ingest", "--quiet", db=db_url, cwd=tmp_path)
    env = {**os.environ, "ENCORE_DATABASE_URL": db_url, "ENCORE_WORKERS": "2"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    proc = subprocess.Popen(
        [ENCORE, "serve", "--port", str(port)], cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/healthz", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        headers = {"Authorization": f"Bearer {key.stdout.strip()}"}
        for i in range(20):  # new connections, so both workers are likely to answer some
            with httpx.Client(base_url=url, headers=headers) as http:
                http.post("/v1/events", json={"events": [event(i)]})
        text = httpx.get(f"{url}/metrics").text
        assert value(text, "encore_ingested_total", kind="events") == 20
        got = value(text, "encore_http_requests_total", method="POST", route="/v1/events",
                    status="200")  # fmt: skip
        assert got == 20
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    logged = [orjson.loads(line) for line in out.splitlines() if line.startswith("{")]
    access = [line for line in logged if line["logger"] == "encore.access"]
    assert len(access) >= 20 and all(re.fullmatch(r"[0-9a-f]{32}", a["request_id"]) for a in access)


def test_a_retrain_is_timed(store: Store, settings: Settings, client: httpx.Client) -> None:
    from service import metrics
    from service.retraining import model_params, retrain

    client.post("/v1/events", json={"events": [event(i, user_id=f"u{i % 5}") for i in range(40)]})
    before = next(iter(metrics.RETRAIN_SECONDS.collect())).samples
    count = {s.name: s.value for s in before}["encore_retrain_duration_seconds_count"]
    retrain(store, settings, model_params("als"), evaluate=False, promote="never")
    after = {s.name: s.value for s in next(iter(metrics.RETRAIN_SECONDS.collect())).samples}
    assert after["encore_retrain_duration_seconds_count"] == count + 1
    assert after["encore_retrain_duration_seconds_sum"] > 0
