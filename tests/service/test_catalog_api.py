"""GET /v1/items and GET /v1/artists through a real server, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx

from tests.utils.factories import event

PATHS = ["/v1/items", "/v1/artists"]


def ingest(client: httpx.Client, entries: list[dict[str, Any]]) -> None:
    """Create catalog entries the way clients do: by sending plays of them."""
    resp = client.post(
        "/v1/events", json={"events": [event(i, item=it) for i, it in enumerate(entries)]}
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["accepted"] == len(entries)


def items(client: httpx.Client, **params: Any) -> dict[str, Any]:
    resp = client.get("/v1/items", params=params)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def artists(client: httpx.Client, **params: Any) -> dict[str, Any]:
    resp = client.get("/v1/artists", params=params)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def titles(page: dict[str, Any]) -> list[str]:
    return [entry["title"] for entry in page["data"]]


def names(page: dict[str, Any]) -> list[str]:
    return [entry["name"] for entry in page["data"]]


def test_search_ignores_case_and_accents(client: httpx.Client) -> None:
    ingest(
        client,
        [
            {"artist": "Beyoncé", "title": "Halo", "album": "I Am... Sasha Fierce"},
            {"artist": "Sigur Rós", "title": "Hoppípolla", "album": "Takk..."},
            {"artist": "Björk", "title": "Jóga"},
        ],
    )
    for q in ["beyonce", "BEYONCE", "Beyoncé", "BEYONCÉ", "yonc"]:
        assert names(artists(client, q=q)) == ["Beyoncé"], q
    for q in ["SIGUR ROS", "sigur rós", "ROS"]:
        assert names(artists(client, q=q)) == ["Sigur Rós"], q
    for q in ["hoppipolla", "HOPPÍPOLLA", "PIPO"]:
        page = items(client, q=q)
        assert titles(page) == ["Hoppípolla"], q
        assert page["data"][0]["artist"]["name"] == "Sigur Rós"
        assert page["data"][0]["album"]["title"] == "Takk..."
    assert titles(items(client, q="joga")) == ["Jóga"]
    assert items(client, q="nothing like this")["data"] == []
    assert items(client, q="nothing like this")["count"] == 0


def test_search_items_shows_catalog_fields(client: httpx.Client) -> None:
    ingest(
        client,
        [
            {
                "artist": "Agnes Obel",
                "title": "Riverside",
                "album": "Philharmonics",
                "spotify_uri": "spotify:track:4c9wlE8J0DOfn3YA4FIkkw",
                "duration_ms": 229_000,
                "isrc": "gbaaa1000001",
            }
        ],
    )
    page = items(client, q="riverside")
    assert page["count"] == 1
    (entry,) = page["data"]
    assert isinstance(entry["id"], int)
    assert entry["kind"] == "track"
    assert entry["title"] == "Riverside"
    assert entry["artist"]["name"] == "Agnes Obel"
    assert entry["album"]["title"] == "Philharmonics"
    assert entry["duration_ms"] == 229_000
    assert entry["spotify_uri"] == "spotify:track:4c9wlE8J0DOfn3YA4FIkkw"
    assert entry["isrc"] == "GBAAA1000001"
    assert entry["mbid"] is None


def test_search_items_ranks_exact_then_prefix_then_substring(client: httpx.Client) -> None:
    # Sent in an order unlike the expected one, so neither ids nor insertion order explain it.
    ingest(
        client,
        [
            {"artist": "A", "title": "Glove"},
            {"artist": "B", "title": "Crazy in Love"},
            {"artist": "C", "title": "Lovely"},
            {"artist": "D", "title": "Love Song"},
            {"artist": "E", "title": "LOVE"},
            {"artist": "F", "title": "Unrelated"},
        ],
    )
    page = items(client, q="love")
    assert titles(page) == ["LOVE", "Love Song", "Lovely", "Crazy in Love", "Glove"]
    assert page["count"] == 5


def test_search_artists_ranks_exact_then_prefix_then_substring(client: httpx.Client) -> None:
    ingest(
        client,
        [
            {"artist": "Mellow", "title": "T1"},
            {"artist": "Lower Than Atlantis", "title": "T2"},
            {"artist": "Flowers", "title": "T3"},
            {"artist": "Low", "title": "T4"},
            {"artist": "Lowell", "title": "T5"},
            {"artist": "Slowdive", "title": "T6"},
            {"artist": "Blur", "title": "T7"},
        ],
    )
    page = artists(client, q="LOW")
    assert names(page) == ["Low", "Lowell", "Lower Than Atlantis", "Flowers", "Mellow", "Slowdive"]
    assert page["count"] == 6
    assert all(entry["tags"] == [] for entry in page["data"])


def test_search_items_filters_by_kind(client: httpx.Client) -> None:
    ingest(
        client,
        [
            {"artist": "Radiolab", "title": "Colors", "kind": "episode"},
            {"artist": "Radiolab", "title": "Colors Revisited", "kind": "episode"},
            {"artist": "Coldplay", "title": "Colors"},
            {"artist": "Halsey", "title": "Colors", "kind": "video"},
        ],
    )
    episodes = items(client, q="colors", kind="episode")
    assert titles(episodes) == ["Colors", "Colors Revisited"]
    assert {entry["kind"] for entry in episodes["data"]} == {"episode"}
    assert episodes["count"] == 2

    tracks = items(client, q="colors", kind="track")
    assert [(e["title"], e["artist"]["name"]) for e in tracks["data"]] == [("Colors", "Coldplay")]
    assert tracks["count"] == 1

    assert items(client, kind="video")["count"] == 1
    assert items(client, q="colors")["count"] == 4


def test_search_items_rejects_unknown_kind(client: httpx.Client) -> None:
    resp = client.get("/v1/items", params={"kind": "vinyl"})
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"] == ["query", "kind"]


def test_search_items_paginates_with_total_count(client: httpx.Client) -> None:
    ingest(client, [{"artist": f"Artist {i}", "title": f"Song {i:02d}"} for i in range(11)])
    ingest(client, [{"artist": "Other", "title": "Elsewhere"}])
    seen: list[str] = []
    for offset in range(0, 12, 4):
        page = items(client, q="song", limit=4, offset=offset)
        assert page["count"] == 11, offset
        assert len(page["data"]) == min(4, 11 - offset)
        seen += titles(page)
    assert seen == [f"Song {i:02d}" for i in range(11)]
    beyond = items(client, q="song", limit=4, offset=50)
    assert beyond == {"data": [], "count": 11}


def test_search_artists_paginates_with_total_count(client: httpx.Client) -> None:
    ingest(client, [{"artist": f"Band {i}", "title": "Same Title"} for i in range(5)])
    first = artists(client, q="band", limit=2)
    second = artists(client, q="band", limit=2, offset=2)
    third = artists(client, q="band", limit=2, offset=4)
    assert [p["count"] for p in (first, second, third)] == [5, 5, 5]
    assert names(first) + names(second) + names(third) == [f"Band {i}" for i in range(5)]
    assert artists(client, limit=1)["count"] == 5


def test_list_without_query_returns_everything(client: httpx.Client) -> None:
    ingest(client, [{"artist": "Zed", "title": "Beta"}, {"artist": "Amy", "title": "Alpha"}])
    assert titles(items(client)) == ["Alpha", "Beta"]
    assert items(client)["count"] == 2
    assert names(artists(client)) == ["Amy", "Zed"]


def test_search_treats_like_wildcards_literally(client: httpx.Client) -> None:
    ingest(
        client,
        [
            {"artist": "100% Pure Love Crew", "title": "100% Pure"},
            {"artist": "100 Pure Crew", "title": "100 Pure"},
            {"artist": "snake_case", "title": "a_b"},
            {"artist": "snakeXcase", "title": "axb"},
            {"artist": "Slash", "title": "back\\slash"},
            {"artist": "NoSlash", "title": "backslash"},
        ],
    )
    assert titles(items(client, q="%")) == ["100% Pure"]
    assert titles(items(client, q="0% p")) == ["100% Pure"]
    assert titles(items(client, q="_")) == ["a_b"]
    assert titles(items(client, q="a_b")) == ["a_b"]
    assert titles(items(client, q="\\")) == ["back\\slash"]
    assert titles(items(client, q="k\\s")) == ["back\\slash"]
    assert names(artists(client, q="%")) == ["100% Pure Love Crew"]
    assert names(artists(client, q="e_c")) == ["snake_case"]
    assert items(client, q="%")["count"] == 1
    assert items(client, q="_")["count"] == 1


def test_search_rejects_query_over_200_chars(client: httpx.Client) -> None:
    for path in PATHS:
        assert client.get(path, params={"q": "a" * 200}).status_code == 200, path
        resp = client.get(path, params={"q": "a" * 201})
        assert resp.status_code == 422, path
        assert resp.json()["detail"][0]["loc"] == ["query", "q"]


def test_search_rejects_out_of_range_paging(client: httpx.Client) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"limit": -1}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 1_000_001}, "offset"),
    ]
    for path in PATHS:
        for params, field in cases:
            resp = client.get(path, params=params)
            assert resp.status_code == 422, (path, params)
            assert resp.headers["content-type"].startswith("application/json")
            assert resp.json()["detail"][0]["loc"] == ["query", field], (path, params)


def test_search_accepts_paging_bounds(client: httpx.Client) -> None:
    ingest(client, [{"artist": "A", "title": "T"}])
    assert items(client, limit=1)["count"] == 1
    assert items(client, limit=200, offset=0)["count"] == 1
    assert artists(client, limit=200, offset=1_000_000) == {"data": [], "count": 1}
