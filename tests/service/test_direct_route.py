"""The user list answered by its direct route (``service.direct_route``), on both
databases: every answer, refusal and error is the one the FastAPI route gives on the
same server without the direct route; the route runs the FastAPI route's own checks;
metrics and the access log name the route template; other methods still get 405."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi import Depends, FastAPI, Request

from service import direct_route
from service.app import create_app
from service.deps import READ_OWN, SessionDep
from service.direct_route import DirectRoute
from service.guards import refuse_nul
from service.routes import recommendations
from service.settings import Settings
from service.store import Store
from tests.conftest import LiveServer
from tests.service.test_observability import value
from tests.service.test_recommendations_api import known_user, recs_settings, synth_history, train

PATH = "/v1/users/{user_id}/recommendations"
COMPARED_HEADERS = ("content-type", "www-authenticate", "retry-after", "location", "allow")


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return recs_settings(db_url, tmp_path)


def direct_of(app: FastAPI) -> DirectRoute:
    [route] = [r for r in app.router.routes if isinstance(r, DirectRoute)]
    return route


def test_the_direct_route_comes_first_and_runs_the_fastapi_routes_checks(
    settings: Settings,
) -> None:
    app = create_app(settings)
    route = direct_of(app)
    assert app.router.routes[0] is route
    assert route.path_format == PATH and route.methods == {"GET"}
    assert route.documented.endpoint is recommendations.recommendations
    assert route.checks == (refuse_nul, READ_OWN)  # the app's guard, then the ROUTERS table's
    # the FastAPI route stays, and is what OpenAPI documents (the direct one is not in it)
    operation = app.openapi()["paths"][PATH]
    assert set(operation) == {"get"}
    assert operation["get"]["parameters"][0]["name"] == "user_id"
    assert app.url_path_for("recommendations", user_id="a") == "/v1/users/a/recommendations"
    assert app.url_path_for("read_import", job_id="j") == "/v1/imports/j"  # others still found


def test_a_route_whose_dependencies_need_fastapi_is_refused(settings: Settings) -> None:
    app = create_app(settings)

    def sync_check(request: Request) -> None:
        return None

    async def with_session(session: SessionDep) -> None:
        return None

    @app.get("/v1/checked-in-a-thread", dependencies=[Depends(sync_check)])
    async def threaded() -> dict[str, str]:
        return {}

    @app.get("/v1/with-a-session", dependencies=[Depends(with_session)])
    async def needs_a_session() -> dict[str, str]:
        return {}

    for endpoint in (threaded, needs_a_session):
        with pytest.raises(ValueError, match="not an async check of the request"):
            direct_route.install(app, endpoint, recommendations.user_list)
    with pytest.raises(ValueError, match="not exactly one FastAPI route"):
        direct_route.install(app, recommendations.user_list, recommendations.user_list)


@pytest.fixture
def servers(settings: Settings, store: Store) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two servers on one store: as built, and without the direct route (FastAPI's)."""
    with LiveServer(settings, store) as direct:
        plain = LiveServer(settings, store)
        plain.app.router.routes.remove(direct_of(plain.app))
        with plain:
            yield direct, plain


def comparable(got: httpx.Response) -> tuple[int, Any, dict[str, str]]:
    body: Any = got.content
    if got.headers.get("content-type") == "application/json":
        body = orjson.loads(got.content)
        if isinstance(body, dict):
            body.pop("rec_id", None)
    headers = {h: got.headers[h] for h in COMPARED_HEADERS if h in got.headers}
    return got.status_code, body, headers


def test_every_answer_is_the_one_the_fastapi_route_gives(
    store: Store, settings: Settings, servers: tuple[LiveServer, LiveServer]
) -> None:
    history = synth_history(store)
    outcome = train(history, settings, "als")
    user, _ = known_user(history, outcome, 2)
    other, _ = known_user(history, outcome, 7)
    direct, plain = servers
    read, ingest = direct.key("read"), direct.key("ingest")
    mine, theirs = direct.user_token(user), direct.user_token(other)
    own = f"/v1/users/{user}/recommendations"
    requests: list[tuple[str, str, dict[str, str], dict[str, Any]]] = [
        ("GET", own, {"authorization": f"Bearer {read}"}, {}),
        ("GET", own, {"authorization": f"Bearer {read}"},
         {"limit": 20, "kind": "track", "exclude_listened": "true", "max_per_artist": 2}),
        ("GET", own, {"authorization": f"Bearer {read}"},
         {"limit": 7, "exclude_listened": "false", "genre": "rock", "exclude_artists": [1, 2]}),
        ("GET", "/v1/users/never-seen/recommendations", {"authorization": f"Bearer {read}"},
         {"limit": 3}),
        ("GET", own, {"authorization": f"Bearer {read}"}, {"limit": 0, "kind": "song"}),
        ("GET", "/v1/users/" + "x" * 129 + "/recommendations",
         {"authorization": f"Bearer {read}"}, {}),
        ("GET", "/v1/users/a%00b/recommendations", {"authorization": f"Bearer {read}"}, {}),
        ("GET", own, {"authorization": f"Bearer {read}"}, {"genre": "a\x00b"}),
        ("GET", own, {}, {}),
        ("GET", own, {"accept": "text/html"}, {"limit": 3}),
        ("GET", own, {"authorization": "Basic abc"}, {}),
        ("GET", own, {"authorization": f"Bearer {read}x"}, {}),
        ("GET", own, {"authorization": f"Bearer {ingest}"}, {}),
        ("GET", own, {"authorization": f"Bearer {mine}"}, {"limit": 4}),
        ("GET", own, {"authorization": f"Bearer {theirs}"}, {}),
        ("POST", own, {"authorization": f"Bearer {read}"}, {}),
        ("DELETE", own, {}, {}),
    ]  # fmt: skip
    with (
        httpx.Client(base_url=direct.url, follow_redirects=False) as a,
        httpx.Client(base_url=plain.url, follow_redirects=False) as b,
    ):
        # both load the version and map one ranking: a listener ranked on the spot may get
        # another last bit of a score, or the other of two equally near played items
        for server, http in ((direct, a), (plain, b)):
            assert http.get(own, headers={"authorization": f"Bearer {read}"}).status_code == 200
            assert server.app.state.models.served.top.done.wait(60)
        for method, path, headers, params in requests:
            got = a.request(method, path, headers=headers, params=params)
            expected = b.request(method, path, headers=headers, params=params)
            assert comparable(got) == comparable(expected), (method, path, headers, params)
            assert got.status_code != 500
        # the answers differ only in their fresh rec_id
        first = a.get(own, headers={"authorization": f"Bearer {read}"}).json()
        assert first["source"] == "model" and first["count"] == 20


def test_metrics_and_the_access_log_name_the_route_template(
    store: Store, live: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    synth_history(store)
    with live.client(live.headers("read")) as http, live.client() as anon:
        before = anon.get("/metrics").text
        with caplog.at_level("INFO", logger="encore.access"):
            for user in ("alice", "bob"):
                assert http.get(f"/v1/users/{user}/recommendations").status_code == 200
            assert anon.get("/v1/users/carol/recommendations").status_code == 401
        after = anon.get("/metrics").text
    key = {"method": "GET", "route": PATH}
    for status, n in (("200", 2), ("401", 1)):
        counted = value(after, "encore_http_requests_total", status=status, **key)
        assert counted - value(before, "encore_http_requests_total", status=status, **key) == n
    assert "/v1/users/alice/recommendations" not in after
    lines = [r.http for r in caplog.records if r.name == "encore.access"]  # type: ignore[attr-defined]
    assert [(line["route"], line["status"]) for line in lines] == [(PATH, 200)] * 2 + [(PATH, 401)]
    assert lines[0]["caller"].startswith("key:") and lines[2]["caller"] is None
