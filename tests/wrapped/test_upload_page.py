"""The upload page without a browser: strict headers, only Encore's own assets, every
control labelled, and colours that read at 7:1 (the browser test is test_upload_browser)."""

from __future__ import annotations

import re

import httpx

from tests.wrapped.test_card import contrast
from tests.wrapped.test_story import Page, rgb
from wrapped.render.story import STATIC


def test_upload_page_is_served_with_strict_headers(client: httpx.Client) -> None:
    r = client.get("/wrapped")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert r.headers["cache-control"] == "no-store"
    page = Page(r.text)
    assets = [a["src"] for a in page.all("script")] + [a["href"] for a in page.all("link")]
    assert len(assets) == 3
    for url in assets:
        assert url and url.startswith("/static/wrapped/")
        assert client.get(url).status_code == 200
    assert not any(a.get("src") is None for a in page.all("script"))  # no inline script
    form = page.all("form")[0]
    assert form["data-imports"] == "/v1/imports" and form["data-users"] == "/v1/users"
    labelled = {a["for"] for a in page.all("label")}
    inputs = page.all("input")
    assert inputs and all(i["id"] in labelled for i in inputs)
    assert [i["value"] for i in inputs if i["type"] == "radio"] == [
        "spotify", "lastfm", "listenbrainz",
    ]  # fmt: skip


def test_upload_text_reads_at_7_to_1() -> None:
    css = (STATIC / "upload.css").read_text()
    c = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-f]{6})", css))
    for ink in ("ink", "muted", "accent", "error"):
        assert contrast(rgb(c[ink]), rgb(c["backdrop"])) >= 7, ink
    for ink in ("ink", "muted"):
        assert contrast(rgb(c[ink]), rgb(c["field"])) >= 7, ink
    assert contrast(rgb(c["on-accent"]), rgb(c["accent"])) >= 7
    assert contrast(rgb(c["on-accent"]), rgb(c["muted"])) >= 7  # the file button
