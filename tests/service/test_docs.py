"""The API docs work offline: every asset the page loads is served by Encore itself."""

from __future__ import annotations

import re

import httpx


def test_docs_page_loads_only_local_assets(client: httpx.Client) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href|url)\s*[:=]\s*['"]([^'"]+)['"]""", page.text)
    assert urls, "the page references its script, stylesheet and schema"
    for url in urls:
        assert url.startswith("/"), f"{url} is not served by Encore"
        assert client.get(url).status_code == 200, url
    assert "/openapi.json" in urls


def test_openapi_documents_the_event_body(client: httpx.Client) -> None:
    schema = client.get("/openapi.json").json()
    body = schema["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/EventBatchIn"}
    event = schema["components"]["schemas"]["EventIn"]
    assert {"user_id", "ts", "ms_played", "item"} <= set(event["required"])
    assert event["examples"][0]["user_id"] == "listener-42"
