"""The Wrapped endpoints over real HTTP: the report, any range, the exports, the refusals."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx

from service.store import Store
from tests.wrapped.conftest import Add, play, set_user
from wrapped.export import XSPF_NS


def a_year(add: Add, user: str = "ana", n: int = 30) -> None:
    """``n`` streams of ten tracks by five artists in 2024; one track has a Spotify URI."""
    add(
        *(play(f"2024-05-{1 + k // 20:02d}T{k % 20:02d}:00:00Z", user=user,
               artist=f"Artist {k % 5}", title=f"Song {k % 10}",
               uri="spotify:track:4c9wlE8J0DOfn3YA4FIkkw" if k % 10 == 0 else None)
          for k in range(n))
    )  # fmt: skip


def test_read_wrapped_year(client: httpx.Client, add: Add) -> None:
    a_year(add)
    r = client.get("/v1/users/ana/wrapped/2024", params={"tz": "Europe/Amsterdam"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["user_id"] == "ana"
    assert body["window"] == {
        "label": "2024", "timezone": "Europe/Amsterdam", "year": 2024,
        "first_day": "2024-01-01", "end_day": "2025-01-01",
        "start": "2023-12-31T23:00:00Z", "end": "2024-12-31T23:00:00Z",
    }  # fmt: skip
    assert body["totals"]["streams"] == 30 and body["totals"]["minutes"] == 100
    assert len(body["top"]["artists"]) == 5 and len(body["clock"]["hours"]) == 24
    assert body["eligibility"]["required_streams"] == 30
    assert [k for k in body][:4] == ["user_id", "window", "eligibility", "totals"]
    assert body["you_might_have_missed"] == []


def test_read_wrapped_range(client: httpx.Client, add: Add) -> None:
    a_year(add)
    r = client.get("/v1/users/ana/wrapped", params={"from": "2024-05-02", "to": "2024-05-03"})
    assert r.status_code == 409  # ten plays that day: not enough
    detail = r.json()["detail"][0]
    assert detail["type"] == "not_eligible" and detail["loc"] == ["query", "from"]
    assert detail["ctx"] == {"streams": 10, "artists": 5, "minutes": 33,
                             "required_streams": 30, "required_artists": 5}  # fmt: skip
    r = client.get("/v1/users/ana/wrapped", params={"from": "2024-05-01", "to": "2024-06-01"})
    assert r.status_code == 200 and r.json()["window"]["label"] == "2024-05-01 to 2024-05-31"
    everything = client.get("/v1/users/ana/wrapped").json()
    assert everything["window"]["first_day"] is None and everything["discoveries"] is None


def test_refusals(client: httpx.Client, add: Add, store: Store) -> None:
    a_year(add)
    a_year(add, user="ben")
    set_user(store, "ben", opt_out_wrapped=True)

    def refusal(url: str, **params: str) -> tuple[int, dict[str, object]]:
        r = client.get(url, params=params)
        return r.status_code, r.json()["detail"][0]

    status, d = refusal("/v1/users/nobody/wrapped/2024")
    assert (status, d["type"], d["loc"]) == (404, "not_found", ["path", "user_id"])
    status, d = refusal("/v1/users/ben/wrapped/2024")
    assert (status, d["type"]) == (403, "wrapped_opted_out")
    status, d = refusal("/v1/users/ana/wrapped/2023")
    assert (status, d["type"], d["loc"]) == (404, "nothing_to_wrap", ["path", "year"])
    assert d["msg"] == "nothing to wrap: no listening in 2023"
    status, d = refusal("/v1/users/ana/wrapped/2024", tz="Mars/Olympus")
    assert (status, d["loc"]) == (422, ["query", "tz"])
    status, d = refusal("/v1/users/ana/wrapped", **{"from": "2024-05-02", "to": "2024-05-01"})
    assert (status, d["loc"]) == (422, ["query", "to"])
    status, d = refusal("/v1/users/ana/wrapped", **{"from": "May"})
    assert (status, d["loc"]) == (422, ["query", "from"])
    status, d = refusal("/v1/users/ana/wrapped", **{"from": "0001-01-01", "tz": "Asia/Tokyo"})
    assert (status, d["loc"]) == (422, ["query", "from"])
    status, d = refusal("/v1/users/ana/wrapped/1800")
    assert (status, d["loc"]) == (422, ["path", "year"])


def test_exports(client: httpx.Client, add: Add) -> None:
    a_year(add)
    url = "/v1/users/ana/wrapped/2024/top-songs"
    as_json = client.get(url).json()
    assert [t["position"] for t in as_json["tracks"]] == list(range(1, 11))
    m3u = client.get(url, params={"format": "m3u"})
    assert m3u.headers["content-type"].startswith("audio/x-mpegurl")
    assert m3u.headers["content-disposition"] == 'attachment; filename="top-songs-2024.m3u8"'
    assert m3u.text.startswith("#EXTM3U\n") and m3u.text.count("#EXTINF:") == 10
    xspf = client.get(url, params={"format": "xspf"})
    assert xspf.headers["content-type"].startswith("application/xspf+xml")
    tracks = ET.fromstring(xspf.content).findall(f"{{{XSPF_NS}}}trackList/{{{XSPF_NS}}}track")
    assert [t.findtext(f"{{{XSPF_NS}}}title") for t in tracks] == [
        t["title"] for t in as_json["tracks"]
    ]
    uris = client.get(url, params={"format": "spotify"})
    assert uris.headers["content-type"].startswith("text/uri-list")
    assert uris.text.splitlines()[-1] == "spotify:track:4c9wlE8J0DOfn3YA4FIkkw"
    assert "9 tracks without a Spotify URI" in uris.text
    assert client.get(url, params={"format": "mp3"}).status_code == 422
    assert client.get("/v1/users/ana/wrapped/2023/top-songs").status_code == 404


def test_openapi_documents_the_report(client: httpx.Client) -> None:
    schema = client.get("/openapi.json").json()
    get = schema["paths"]["/v1/users/{user_id}/wrapped/{year}"]["get"]
    ok = get["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/Report"}
    assert {"403", "404", "409", "422"} <= set(get["responses"])
    report = schema["components"]["schemas"]["Report"]
    assert {"totals", "top", "top_songs", "clock", "personality"} <= set(report["required"])
    assert "Archetype" in schema["components"]["schemas"]
    assert "/v1/users/{user_id}/wrapped/{year}/top-songs" in schema["paths"]
