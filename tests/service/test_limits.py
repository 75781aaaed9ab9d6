"""Rate limits per caller, request body caps and CORS over a real server, on both
databases; the token bucket itself on a fake clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from service.auth.ratelimit import RateLimiter
from service.settings import Settings
from service.store import Store
from tests.conftest import LiveServer
from tests.utils.factories import event


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_burst_then_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=2, burst=3, clock=clock)
    assert [limiter.take("a") for _ in range(4)] == [0, 0, 0, 1]
    assert limiter.take("b") == 0  # every caller has a bucket of their own
    clock.now += 0.5  # one token back at 2 a second
    assert limiter.take("a") == 0 and limiter.take("a") == 1
    clock.now += 10
    assert [limiter.take("a") for _ in range(4)] == [0, 0, 0, 1]  # never above the burst
    assert RateLimiter(rate=0, burst=1, clock=clock).take("a") == 0  # off
    slow = RateLimiter(rate=0.1, burst=1, clock=clock)
    assert slow.take("a") == 0 and slow.take("a") == 10


@pytest.fixture
def strict(db_url: str, store: Store) -> Iterator[LiveServer]:
    settings = Settings(
        database_url=db_url, _env_file=None,
        auth={"rate_per_second": 0.01, "rate_burst": 3, "user_rate_per_second": 0.01,
              "user_rate_burst": 2},
        http={"max_body_bytes": 2048, "cors_origins": ["https://app.example"]},
        ingest={"max_body_bytes": 8192},
    )  # fmt: skip
    with LiveServer(settings, store) as live:
        yield live


def test_a_key_over_its_rate_gets_429_with_retry_after(strict: LiveServer) -> None:
    with strict.client(strict.headers("read")) as one, strict.client(strict.headers("read")) as two:
        assert [one.get("/v1/items").status_code for _ in range(3)] == [200, 200, 200]
        over = one.get("/v1/items")
        assert over.status_code == 429
        assert int(over.headers["retry-after"]) >= 1
        [error] = over.json()["detail"]
        assert error["type"] == "rate_limited" and error["loc"] == ["header", "authorization"]
        assert two.get("/v1/items").status_code == 200
    token = strict.user_token("alice")
    with strict.client({"Authorization": f"Bearer {token}"}) as alice:
        codes = [alice.get("/v1/users/alice/recommendations").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_bodies_over_the_cap_are_413_declared_or_streamed(strict: LiveServer) -> None:
    big = b'{"wrapped": false, "pad": "' + b"x" * 4096 + b'"}'
    with strict.client(strict.headers("admin")) as http:
        declared = http.put(
            "/v1/users/alice/privacy", content=big, headers={"content-type": "application/json"}
        )
        assert declared.status_code == 413
        assert declared.json()["detail"][0] == {
            "loc": ["body"], "msg": "body is over the limit of 2048 bytes", "type": "too_large",
        }  # fmt: skip

        def chunks() -> Iterator[bytes]:
            for start in range(0, len(big), 512):
                yield big[start : start + 512]

        streamed = http.put(
            "/v1/users/alice/privacy", content=chunks(),
            headers={"content-type": "application/json"},
        )  # fmt: skip
        assert streamed.status_code == 413
        assert streamed.json()["detail"][0]["type"] == "too_large"
        # events have their own, larger cap: 4 KB of events is fine there
        batch = {"events": [event(i) for i in range(20)]}
        ok = http.post("/v1/events", json=batch)
        assert ok.status_code == 200 and len(ok.request.content) > 2048


def test_cors_answers_only_the_configured_origins(strict: LiveServer, live: LiveServer) -> None:
    preflight = {"access-control-request-method": "GET",
                 "access-control-request-headers": "authorization"}  # fmt: skip
    with strict.client() as http:
        allowed = http.options("/v1/items", headers={"origin": "https://app.example", **preflight})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
        other = http.options("/v1/items", headers={"origin": "https://evil.example", **preflight})
        assert "access-control-allow-origin" not in other.headers
    with live.client() as default:  # no origins configured: no CORS at all
        got = default.options("/v1/items", headers={"origin": "https://app.example", **preflight})
        assert "access-control-allow-origin" not in got.headers
