"""What Schemathesis found, one regression test each, over a real server on both databases.

Every answer is checked against the OpenAPI document with Schemathesis' own validator, so
these fail the way the fuzz run did if the document and the server drift apart again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from service.settings import Settings
from service.store import Store
from tests.reliability.test_openapi_fuzz import DOCUMENT, schema
from tests.service.test_recommendations_api import recs_settings, synth_history, train
from tests.utils.factories import count_events, event


def conforms(
    resp: httpx.Response,
    path: str,
    method: str,
    *,
    unavailable: bool = False,
    **path_parameters: Any,
) -> None:
    """The documented status, content type, headers and body schema (Schemathesis' checks);
    ``unavailable``: a documented 503 is the answer meant, not a server error."""
    excluded = [positive_data_acceptance, negative_data_rejection]
    schema[path][method].Case(path_parameters=path_parameters).validate_response(
        resp, excluded_checks=excluded + ([not_a_server_error] if unavailable else [])
    )


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """A model folder (and candidate cache) of the test's own, so a test can train one."""
    return recs_settings(db_url, tmp_path)


def test_a_refused_envelope_matches_the_documented_422(client: httpx.Client, store: Store) -> None:
    for path, key in (("/v1/events", "events"), ("/v1/feedback", "feedback")):
        resp = client.post(path, json=[None, None])
        assert resp.status_code == 422
        assert resp.json()["detail"][0]["loc"] == ["body", key]
        conforms(resp, path, "POST")
    assert count_events(store.engine) == 0


@pytest.mark.parametrize("name", ["from", "to"])
def test_an_empty_time_bound_is_refused_as_the_document_says(
    client: httpx.Client, name: str
) -> None:
    client.post("/v1/events", json={"events": [event(0)]})
    params = {
        p["name"]: p for p in DOCUMENT["paths"]["/v1/users/{user_id}/history"]["get"]["parameters"]
    }
    assert params[name]["schema"]["anyOf"][0]["minLength"] == 1
    resp = client.get("/v1/users/alice/history", params={name: ""})
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"] == ["query", name]
    conforms(resp, "/v1/users/{user_id}/history", "GET", user_id="x")


def test_unknown_user_history_is_a_documented_404(client: httpx.Client) -> None:
    resp = client.get("/v1/users/nobody/history")
    assert resp.status_code == 404
    conforms(resp, "/v1/users/{user_id}/history", "GET", user_id="x")


def test_an_upload_needs_a_file_and_says_so(client: httpx.Client) -> None:
    body = DOCUMENT["components"]["schemas"]["Body_create_import_v1_imports_post"]
    assert body["properties"]["files"]["minItems"] == 1
    resp = client.post("/v1/imports", data={"user_id": "alice", "format": "spotify"})
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"] == ["body", "files"]
    conforms(resp, "/v1/imports", "POST")


def test_malformed_multipart_is_a_documented_400(client: httpx.Client, store: Store) -> None:
    resp = client.post(
        "/v1/imports", content=b"--b\r\n[]--b--\r\n",
        headers={"content-type": "multipart/form-data; boundary=b"},
    )  # fmt: skip
    assert resp.status_code == 400
    conforms(resp, "/v1/imports", "POST")
    assert count_events(store.engine) == 0


def test_unknown_import_job_is_a_documented_404(client: httpx.Client) -> None:
    resp = client.get("/v1/imports/00000000000000000000000000000000000")
    assert resp.status_code == 404
    conforms(resp, "/v1/imports/{job_id}", "GET", job_id="x")


@pytest.mark.parametrize(
    ("path", "template", "params"),
    [
        ("/v1/users/alice/wrapped", "/v1/users/{user_id}/wrapped", {"to": "AAA"}),
        ("/v1/users/alice/wrapped/2024/top-songs", "/v1/users/{user_id}/wrapped/{year}/top-songs",
         {"format": "AAA"}),
        ("/v1/users/alice/wrapped/2024/card.png", "/v1/users/{user_id}/wrapped/{year}/card.png",
         {"format": "AAA"}),
    ],
)  # fmt: skip
def test_validation_errors_with_text_context_match_the_refusal_schema(
    client: httpx.Client, path: str, template: str, params: dict[str, str]
) -> None:
    resp = client.get(path, params=params)
    assert resp.status_code == 422
    assert isinstance(next(iter(resp.json()["detail"][0]["ctx"].values())), str)
    conforms(resp, template, "GET", user_id="alice", year=2024)


def test_405_names_every_method_of_the_path(client: httpx.Client) -> None:
    resp = client.request("PUT", "/v1/users/alice/wrapped/2024/share")
    assert resp.status_code == 405
    assert resp.headers["allow"] == "DELETE, POST"  # Starlette said "POST"
    assert resp.json() == {"detail": "Method Not Allowed"}
    assert client.request("PATCH", "/v1/events").headers["allow"] == "POST"
    assert client.request("POST", "/healthz").headers["allow"] == "GET"


@pytest.mark.parametrize("value", [0, 1, "yes", "false"])
def test_event_booleans_must_be_booleans(client: httpx.Client, store: Store, value: Any) -> None:
    resp = client.post("/v1/events", json={"events": [event(0, private=value), event(1)]})
    assert resp.status_code == 422
    assert resp.json()["rejected"][0]["index"] == 0
    assert resp.json()["detail"][0]["loc"] == ["body", "events", 0, "private"]
    assert count_events(store.engine) == 1  # the good one is stored; the private one is not


def test_fractional_epoch_seconds_are_documented_and_taken(
    client: httpx.Client, store: Store
) -> None:
    ts = DOCUMENT["components"]["schemas"]["EventIn"]["properties"]["ts"]
    assert {"type": "number", "description": "epoch seconds or milliseconds"} in ts["anyOf"]
    resp = client.post("/v1/events", json={"events": [event(0, ts=1714564800.25)]})
    assert resp.status_code == 200, resp.text
    assert count_events(store.engine) == 1


MODEL_LISTS: list[tuple[str, str, dict[str, Any], dict[str, Any] | None]] = [
    ("GET", "/v1/items/{item_id}/similar", {"item_id": 999999999}, None),
    ("GET", "/v1/artists/{artist_id}/similar", {"artist_id": 999999999}, None),
    ("GET", "/v1/users/{user_id}/similar", {"user_id": "nobody"}, None),
    ("POST", "/v1/recommendations", {}, {"seed_items": [999999999]}),
]


def test_unknown_item_similar_is_a_documented_404(
    client: httpx.Client, store: Store, settings: Settings
) -> None:
    """Found as undocumented 404s (and 503s before the first model) on the similar lists
    and the seeded recommendations."""
    for method, template, params, body in MODEL_LISTS:
        resp = client.request(method, template.format(**params), json=body)
        assert resp.status_code == 503 and resp.json()["detail"][0]["type"] == "model_not_ready"
        conforms(resp, template, method, unavailable=True, **params)
    synth_history(store)
    train(store, settings, "itemknn")
    for method, template, params, body in MODEL_LISTS:
        resp = client.request(method, template.format(**params), json=body)
        assert resp.status_code == 404, resp.text
        assert resp.json()["detail"][0]["loc"] == (
            ["body", "seed_items", 0] if body else ["path", next(iter(params))]
        )
        conforms(resp, template, method, **params)


@pytest.mark.parametrize(
    ("path", "template", "name"),
    [
        ("/v1/users/a/recommendations", "/v1/users/{user_id}/recommendations", "released_after"),
        ("/v1/items/1/similar", "/v1/items/{item_id}/similar", "released_after"),
        ("/v1/artists/1/similar", "/v1/artists/{artist_id}/similar", "released_after"),
        ("/v1/users/a/wrapped", "/v1/users/{user_id}/wrapped", "from"),
        ("/v1/users/a/wrapped", "/v1/users/{user_id}/wrapped", "to"),
        ("/v1/metrics/north-star", "/v1/metrics/north-star", "to"),
        ("/v1/metrics/retention", "/v1/metrics/retention", "from"),
        ("/v1/artists/1/stats", "/v1/artists/{artist_id}/stats", "to"),
        ("/dashboard", "/dashboard", "to"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("value", ["0", "1714564800", "2024-1-5"])
def test_query_dates_are_calendar_dates_only(
    client: httpx.Client, path: str, template: str, name: str, value: str
) -> None:
    """Found as ``released_after=0`` taken as 1970-01-01 (a Unix time) on the similar lists."""
    resp = client.get(path, params={name: value})
    assert resp.status_code == 422, resp.text
    assert resp.json()["detail"][0]["loc"] == ["query", name]
    conforms(resp, template, "GET", user_id="a", item_id=1, artist_id=1)
    assert client.get("/v1/users/a/recommendations?released_after=2024-01-05").status_code == 200


@pytest.mark.parametrize("value", [0, 1714564800, "2024-01-05T00:00:00"])
def test_a_seeded_release_date_is_a_calendar_date_only(client: httpx.Client, value: object) -> None:
    resp = client.post("/v1/recommendations", json={"seed_items": [1], "released_after": value})
    assert resp.status_code == 422, resp.text
    assert resp.json()["detail"][0]["loc"] == ["body", "released_after"]


def test_a_seed_beyond_any_row_id_is_refused_not_a_500(
    client: httpx.Client, store: Store, settings: Settings
) -> None:
    """Found as a 500 (OverflowError building the model's index array) for a seed of 5.8e24."""
    synth_history(store)
    train(store, settings, "itemknn")
    for field in ("seed_items", "seed_artists"):
        resp = client.post("/v1/recommendations", json={field: [2**63]})
        assert resp.status_code == 422, resp.text
        assert resp.json()["detail"][0]["loc"] == ["body", field, 0]
        conforms(resp, "/v1/recommendations", "POST")


@pytest.mark.parametrize("value", [0, 1, "true", "no"])
def test_privacy_flags_must_be_booleans(client: httpx.Client, value: object) -> None:
    """Found as ``{"comparisons": 0}`` taken as an opt-out."""
    client.post("/v1/events", json={"events": [event(0)]})
    resp = client.put("/v1/users/alice/privacy", json={"comparisons": value})
    assert resp.status_code == 422, resp.text
    assert resp.json()["detail"][0]["loc"] == ["body", "comparisons"]
    assert client.get("/v1/users/alice/privacy").json()["comparisons"] is True


@pytest.mark.parametrize(
    ("method", "template"),
    [("GET", "/v1/users/{user_id}/privacy"), ("PUT", "/v1/users/{user_id}/privacy"),
     ("GET", "/v1/users/{user_id}/export"), ("DELETE", "/v1/users/{user_id}")],
)  # fmt: skip
def test_unknown_user_controls_are_documented_404s(
    client: httpx.Client, method: str, template: str
) -> None:
    body = {"wrapped": False} if method == "PUT" else None
    resp = client.request(method, template.format(user_id="nobody"), json=body)
    assert resp.status_code == 404
    assert resp.json()["detail"][0]["loc"] == ["path", "user_id"]
    conforms(resp, template, method, user_id="nobody")


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/v1/recommendations"), ("PUT", "/v1/users/{user_id}/privacy")]
)
def test_an_unreadable_body_is_a_documented_400(
    client: httpx.Client, method: str, path: str
) -> None:
    resp = client.request(
        method, path.format(user_id="alice"), content=b"\xff\xfe{",
        headers={"content-type": "application/json"},
    )  # fmt: skip
    assert resp.status_code == 400
    conforms(resp, path, method, user_id="alice")


def test_sign_in_refusals_and_sign_out_are_documented(client: httpx.Client) -> None:
    """Found as undocumented 401 pages and a sign-out redirect documented as JSON."""
    link = client.get("/signin", params={"token": "not-a-token"})
    form = client.post("/signin", data={"key": "enc_not_a_key"})
    for resp, method in ((link, "GET"), (form, "POST")):
        assert resp.status_code == 401 and "<p role=alert>" in resp.text
        assert resp.headers["content-type"].startswith("text/html")
        conforms(resp, "/signin", method)
    out = client.post("/signout")
    assert out.status_code == 303 and out.headers["location"] == "/signin"
    conforms(out, "/signout", "POST")


@pytest.mark.parametrize("ts", [2.5890419884777833e-42, 0, "1999-12-31T23:59:59Z", 4102444800])
def test_feedback_times_keep_to_the_event_window(client: httpx.Client, ts: object) -> None:
    """Found as a fuzzed ``ts`` of 2.6e-42 stored as a like in 1970: feedback now keeps to
    the events' rules (not before ENCORE_INGEST__EARLIEST_TS, not far in the future)."""
    like = {"user_id": "alice", "kind": "like", "ts": ts,
            "item": {"artist": "Agnes Obel", "title": "Riverside"}}  # fmt: skip
    resp = client.post("/v1/feedback", json={"feedback": [like, {**like, "ts": None}]})
    assert resp.status_code == 422, resp.text
    body = resp.json()
    assert body["accepted"] == 1 and [r["index"] for r in body["rejected"]] == [0]
    assert body["detail"][0]["loc"] == ["body", "feedback", 0, "ts"]


@pytest.mark.parametrize("model_version_id", [2**31, 2**64])
def test_an_arm_model_version_beyond_the_column_is_refused(
    client: httpx.Client, model_version_id: int
) -> None:
    """Found as a 500 (SQLite: "Python int too large to convert to SQLite INTEGER"; the
    PostgreSQL column is 32-bit, so 2**31 overflowed there too)."""
    arms: list[dict[str, Any]] = [
        {"name": "control"},
        {"name": "b", "model_version_id": model_version_id},
    ]
    resp = client.post("/v1/experiments", json={"name": "big", "arms": arms})
    assert resp.status_code == 422, resp.text
    assert resp.json()["detail"][0]["loc"] == ["body", "arms", 1, "model_version_id"]
    conforms(resp, "/v1/experiments", "POST")
    assert client.get("/v1/experiments").json()["count"] == 0
    arms[1]["model_version_id"] = 2**31 - 1  # the largest the column holds is stored as sent
    resp = client.post("/v1/experiments", json={"name": "big", "arms": arms})
    assert resp.status_code == 201, resp.text
    assert resp.json()["arms"][1]["model_version_id"] == 2**31 - 1


@pytest.mark.parametrize("value", [False, True, "0", 1.5])
def test_audience_rule_days_must_be_integers(client: httpx.Client, value: Any) -> None:
    """Found as ``to_days_ago: false`` stored as 0."""
    rule = {"type": "active", "from_days_ago": 7, "to_days_ago": value}
    resp = client.post("/v1/audiences", json={"name": "a", "rules": [rule]})
    assert resp.status_code == 422, resp.text
    assert resp.json()["detail"][0]["loc"] == ["body", "rules", 0, "active", "to_days_ago"]
    conforms(resp, "/v1/audiences", "POST")
    assert client.get("/v1/audiences").json()["count"] == 0


@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("GET", "/v1/experiments/{name}"),
        ("POST", "/v1/experiments/{name}/stop"),
        ("GET", "/v1/experiments/{name}/report"),
        ("GET", "/v1/audiences/{name}"),
        ("GET", "/v1/audiences/{name}/export.csv"),
        ("GET", "/v1/audiences/{name}/deliveries"),
    ],
)
def test_unknown_experiment_or_audience_is_a_documented_404(
    client: httpx.Client, method: str, template: str
) -> None:
    resp = client.request(method, template.format(name="nobody"))
    assert resp.status_code == 404
    assert resp.json()["detail"][0]["loc"] == ["path", "name"]
    conforms(resp, template, method, name="nobody")
