"""Prometheus metrics: requests and latency by route template, ingestion, the served
model version and retrain duration.

With several uvicorn workers each is its own process, so ``encore serve`` points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder before the workers start and
prometheus_client keeps every worker's values in files there; ``/metrics`` then sums
them, whichever worker answers. With one worker the process's own registry is used.
An ``encore retrain`` run with the same ``PROMETHEUS_MULTIPROC_DIR`` shows up in the
server's retrain histogram too.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10)

REQUESTS = Counter("encore_http_requests", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "encore_http_request_duration_seconds", "Time to answer a request, by route template",
    ["method", "route"], buckets=LATENCY_BUCKETS,
)  # fmt: skip
INGESTED = Counter("encore_ingested", "Events or feedback stored", ["kind"])
DUPLICATES = Counter("encore_ingest_duplicates", "Events or feedback already stored", ["kind"])
REJECTED = Counter("encore_ingest_rejected", "Events or feedback refused", ["kind"])
MODEL_VERSION = Gauge(
    "encore_model_version", "Id of the model version served (0: none)", multiprocess_mode="max"
)
RETRAIN_SECONDS = Histogram(
    "encore_retrain_duration_seconds", "Time a retrain took, from reading to recording",
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600),
)  # fmt: skip


_series: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def request_series(method: str, route: str, status: int) -> tuple[Any, Any]:
    """The request counter and latency histogram children for these labels, looked up
    once: ``labels()`` takes a lock and builds a key each time (a few us a request)."""
    key = (method, route, status)
    found = _series.get(key)
    if found is None:
        found = _series[key] = (
            REQUESTS.labels(method, route, str(status)),
            LATENCY.labels(method, route),
        )
    return found


def count_batch(kind: str, *, accepted: int, duplicates: int, rejected: int) -> None:
    INGESTED.labels(kind).inc(accepted)
    DUPLICATES.labels(kind).inc(duplicates)
    REJECTED.labels(kind).inc(rejected)


def exposition() -> tuple[bytes, str]:
    """The text format of every metric, summed over workers in multiprocess mode."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
