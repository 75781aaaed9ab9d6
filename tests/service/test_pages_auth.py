"""Pages behind sign-in, over a real server on both databases: a sign-in link sets an
HttpOnly, SameSite cookie and goes on to the story; the cookie opens only its listener's
pages; unsafe requests on a cookie need the CSRF token; share links stay public."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from models.api_keys import list_keys, revoke_key
from models.ingest import ingest_events
from service.auth.access import SESSION_COOKIE
from service.store import Store
from tests.conftest import LiveServer
from tests.wrapped.years import hostile_year

STORY = "/v1/users/mallory/wrapped/2024/story"
SHARE = "/v1/users/mallory/wrapped/2024/share"
HTML = {"accept": "text/html,application/xhtml+xml"}


@pytest.fixture
def mallory(store: Store) -> None:
    """A listener with a Wrapped of 2024 (and names full of markup)."""
    result = ingest_events(store.engine, store.resolver, list(hostile_year()))
    assert result.accepted and not result.rejected


@pytest.fixture
def browser(live: LiveServer) -> Iterator[httpx.Client]:
    """A client with a cookie jar and no credential, like a browser that was never here."""
    with live.client(HTML) as http:
        yield http


def sign_in(browser: httpx.Client, token: str, next_: str | None = STORY) -> httpx.Response:
    params = {"token": token, **({"next": next_} if next_ else {})}
    return browser.get("/signin", params=params)


def test_a_page_without_a_session_sends_the_browser_to_sign_in(
    browser: httpx.Client, mallory: None
) -> None:
    got = browser.get(STORY, params={"tz": "UTC"})
    assert got.status_code == 303
    location = urlsplit(got.headers["location"])
    assert location.path == "/signin"
    assert parse_qs(location.query)["next"] == [f"{STORY}?tz=UTC"]
    form = browser.get(got.headers["location"])
    assert form.status_code == 200 and 'name="key"' in form.text


def test_a_sign_in_link_sets_a_safe_cookie_and_opens_the_story(
    live: LiveServer, browser: httpx.Client, mallory: None
) -> None:
    got = sign_in(browser, live.user_token("mallory"))
    assert got.status_code == 303 and got.headers["location"] == STORY
    cookie = got.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    parts = {p.strip().split("=")[0].lower() for p in cookie.split(";")}
    assert {"httponly", "path", "max-age"} <= parts and "samesite=lax" in cookie.lower()
    page = browser.get(STORY)
    assert page.status_code == 200 and "<html" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    card = browser.get("/v1/users/mallory/wrapped/2024/card.png")
    assert card.status_code == 200 and card.headers["content-type"] == "image/png"
    other = browser.get("/v1/users/alice/wrapped/2024/story")
    assert other.status_code == 403


def test_sign_in_never_redirects_off_site(live: LiveServer, browser: httpx.Client) -> None:
    token = live.user_token("mallory")
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"):
        got = sign_in(browser, token, evil)
        assert got.status_code == 303
        assert got.headers["location"].startswith("/v1/users/mallory/wrapped/"), evil
    bad = sign_in(browser, token + "x")
    assert bad.status_code == 401 and "invalid or has expired" in bad.text
    assert "set-cookie" not in bad.headers


def test_unsafe_requests_on_a_cookie_need_the_csrf_token(
    live: LiveServer, browser: httpx.Client, mallory: None
) -> None:
    sign_in(browser, live.user_token("mallory"))
    refused = browser.post(SHARE)
    assert refused.status_code == 403
    assert refused.json()["detail"][0]["type"] == "csrf_failed"
    wrong = browser.post(SHARE, headers={"x-csrf-token": "not-it"})
    assert wrong.status_code == 403
    session = browser.cookies[SESSION_COOKIE]
    csrf = live.app.state.gate.signer.csrf(session)
    made = browser.post(SHARE, headers={"x-csrf-token": csrf})
    assert made.status_code == 201, made.text
    form = browser.request("DELETE", SHARE, data={"csrf_token": csrf})
    assert form.status_code == 204, form.text
    # the same request with a Bearer token needs no CSRF token: no browser sends it by itself
    with live.client({"Authorization": f"Bearer {live.user_token('mallory')}"}) as app:
        assert app.post(SHARE).status_code == 201


def test_an_operator_signs_in_with_a_key_until_it_is_revoked(
    live: LiveServer, browser: httpx.Client
) -> None:
    key = live.key("read")
    got = browser.post("/signin", data={"key": key, "next": "/v1/items"})
    assert got.status_code == 303 and got.headers["location"] == "/v1/items"
    assert key not in browser.cookies[SESSION_COOKIE]
    assert browser.get("/v1/items").status_code == 200
    assert browser.get("/v1/users/alice/export").status_code == 403  # read is not admin
    bad = browser.post("/signin", data={"key": key + "x"})
    assert bad.status_code == 401
    with live.store.sessions() as session:
        assert revoke_key(session, key_id=list_keys(session)[-1].id)
    time.sleep(live.app.state.settings.auth.key_cache_seconds)  # the cache's TTL
    assert browser.get("/v1/items", headers={"accept": "application/json"}).status_code == 401
    out = browser.post("/signout")
    assert out.status_code == 303 and SESSION_COOKIE not in browser.cookies


def test_share_links_stay_public_and_revocable(
    client: httpx.Client, browser: httpx.Client, mallory: None
) -> None:
    token = client.post(SHARE).json()["token"]
    assert len(token) == 32
    page = browser.get(f"/share/{token}")
    assert page.status_code == 200
    assert browser.get(f"/share/{token}/card.png").status_code == 200
    assert browser.post(f"/share/{token}").status_code == 405  # read-only
    assert client.delete(SHARE).status_code == 204
    assert browser.get(f"/share/{token}").status_code == 404


def test_html_pages_carry_security_headers(browser: httpx.Client) -> None:
    for path in ("/signin", "/docs"):
        got = browser.get(path)
        assert got.status_code == 200, path
        assert "frame-ancestors 'none'" in got.headers["content-security-policy"], path
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["referrer-policy"] == "no-referrer"
    api = browser.get("/healthz")
    assert "content-security-policy" not in api.headers


def test_an_upload_style_page_lets_any_listener_act_only_for_themselves(
    live: LiveServer,
) -> None:
    """``Access(any_user=True)`` with ``require_self``, on a request of the shape such a
    page gets (no ``{user_id}`` in the path)."""
    import asyncio

    from starlette.requests import Request

    from service.auth.access import Principal
    from service.deps import INGEST_ANY_USER, require_self
    from service.errors import ApiError

    def call(headers: dict[str, str]) -> Principal | None:
        scope = {"type": "http", "method": "GET", "path": "/upload", "query_string": b"",
                 "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
                 "app": live.app, "path_params": {}}  # fmt: skip
        return asyncio.run(INGEST_ANY_USER(Request(scope)))

    alice = call({"authorization": f"Bearer {live.user_token('alice')}"})
    assert alice is not None and alice.user == "alice"
    require_self(alice, "alice")
    with pytest.raises(ApiError) as refused:
        require_self(alice, "bob")
    assert refused.value.status == 403
    service = call({"authorization": f"Bearer {live.key('ingest')}"})
    require_self(service, "bob")  # a key acts for anyone
    with pytest.raises(ApiError) as wrong:
        call({"authorization": f"Bearer {live.key('read')}"})
    assert wrong.value.status == 403
