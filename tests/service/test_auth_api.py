"""API keys with scopes and end-user tokens over a real server, on both databases: every
``/v1`` route refuses a request without a key (401) and one with the wrong scope (403),
naming the scope; a listener's token opens their own data and nobody else's."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

from models.api_keys import ApiKey, Scope, hash_key, revoke_key
from service.auth.access import Access
from service.routes import ROUTERS
from service.settings import Settings
from service.store import Store
from tests.conftest import LiveServer
from tests.utils.factories import event

PUBLIC_PATHS = {
    "/healthz", "/readyz", "/metrics", "/signin", "/signout", "/share/{token}",
    "/share/{token}/card.png", "/static/wrapped/{name}",
}  # fmt: skip
GUARDED_PAGES = {"/dashboard", "/dashboard/{name}", "/wrapped"}  # signed-in sessions
WRONG_KEY = {Scope.read: ("ingest",), Scope.ingest: ("read",), Scope.admin: ("read", "ingest")}
SAMPLE_PARAMS = {"user_id": "alice", "year": "2024", "item_id": "1", "token": "x", "name": "x"}


def required(accesses: list[Access]) -> Scope | None:
    """The strictest scope the access checks name (admin over ingest over read)."""
    scopes = {a.scope for a in accesses if a.scope is not None}
    for scope in (Scope.admin, Scope.ingest, Scope.read):
        if scope in scopes:
            return scope
    return None


def routes() -> list[tuple[str, str, Scope | None]]:
    """Every route of the ROUTERS table with the strictest scope it needs: its router's
    and any its decorator adds."""
    out = []
    for router, access in ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            own = [d.dependency for d in route.dependencies if isinstance(d.dependency, Access)]
            for method in sorted((route.methods or set()) - {"HEAD"}):
                out.append((method, route.path_format, required([access, *own])))
    return out


def sample_path(template: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: SAMPLE_PARAMS.get(m.group(1), "1"), template)


def test_every_v1_route_needs_a_scope_and_only_the_known_pages_are_public() -> None:
    public = set()
    for method, path, scope in routes():
        if scope is None:
            public.add(path)
        else:
            assert path.startswith("/v1/") or path in GUARDED_PAGES, (
                f"{method} {path} needs a key but is not under /v1"
            )
    assert public == PUBLIC_PATHS


V1 = [(m, p, s) for m, p, s in routes() if s is not None]


@pytest.mark.parametrize(("method", "path", "scope"), V1, ids=[f"{m} {p}" for m, p, _ in V1])
def test_without_a_key_is_401_and_with_the_wrong_scope_403(
    live: LiveServer, method: str, path: str, scope: Scope
) -> None:
    url = sample_path(path)
    with live.client() as anon:
        got = anon.request(method, url)
    assert got.status_code == 401, got.text
    assert got.headers["www-authenticate"] == "Bearer"
    [error] = got.json()["detail"]
    assert error["loc"] == ["header", "authorization"]
    assert error["type"] == "not_authenticated"
    assert error["ctx"] == {"required_scope": scope.value}
    assert f"the {scope.value} scope" in error["msg"]

    with live.client(live.headers(*WRONG_KEY[scope])) as wrong:
        got = wrong.request(method, url)
    assert got.status_code == 403, got.text
    [error] = got.json()["detail"]
    assert error["type"] == "insufficient_scope"
    assert error["ctx"]["required_scope"] == scope.value
    assert error["ctx"]["granted_scopes"] == sorted(WRONG_KEY[scope])
    assert f"needs an API key with the {scope.value} scope" in error["msg"]


def test_each_scope_opens_its_own_endpoints(
    client: httpx.Client, scoped_client: Callable[..., httpx.Client]
) -> None:
    ingest, read = scoped_client("ingest"), scoped_client("read")
    assert ingest.post("/v1/events", json={"events": [event(0)]}).status_code == 200
    assert ingest.get("/v1/users/alice/history").status_code == 403
    assert read.get("/v1/users/alice/history").json()["data"][0]["item"]["title"] == "Track 0"
    assert read.post("/v1/events", json={"events": [event(1)]}).status_code == 403
    assert read.delete("/v1/users/alice").status_code == 403
    admin_does_all = client.post("/v1/events", json={"events": [event(1)]})
    assert admin_does_all.json()["accepted"] == 1
    assert client.get("/v1/users/alice/history").json()["data"][0]["item"]["title"] == "Track 1"


def test_a_bad_or_revoked_key_is_401(settings: Settings, store: Store) -> None:
    quick = settings.model_copy(
        update={"auth": settings.auth.model_copy(update={"key_cache_seconds": 0.2})}
    )
    with LiveServer(quick, store) as live:
        revoked_within_the_ttl(live, quick)


def revoked_within_the_ttl(live: LiveServer, settings: Settings) -> None:
    key = live.key("read")
    with live.client({"Authorization": f"Bearer {key}x"}) as bad:
        assert bad.get("/v1/items").json()["detail"][0]["msg"] == "invalid or revoked API key"
    with live.client({"Authorization": f"Basic {key}"}) as basic:
        assert basic.get("/v1/items").status_code == 401
    with live.client({"Authorization": f"Bearer {key}"}) as good:
        assert good.get("/v1/items").status_code == 200
        with live.store.sessions() as session:
            row = session.scalars(select(ApiKey).where(ApiKey.key_hash == hash_key(key))).one()
            assert row.prefix == key[:12] and key not in (row.key_hash, row.prefix)
            assert revoke_key(session, key_id=row.id)
        time.sleep(settings.auth.key_cache_seconds)  # revocation is honoured within the TTL
        got = good.get("/v1/items")
    assert got.status_code == 401
    assert got.json()["detail"][0]["msg"] == "invalid or revoked API key"


def test_a_user_token_opens_only_that_users_data(
    client: httpx.Client, user_client: Callable[[str], httpx.Client]
) -> None:
    client.post("/v1/events", json={"events": [event(0), event(1, user_id="bob")]})
    alice = user_client("alice")
    own = alice.get("/v1/users/alice/history")
    assert own.status_code == 200 and len(own.json()["data"]) == 1
    assert alice.get("/v1/users/alice/recommendations").status_code == 200
    for path in ("/v1/users/bob/history", "/v1/users/bob/recommendations",
                 "/v1/users/bob/wrapped/2024", "/v1/users/bob/export"):  # fmt: skip
        got = alice.get(path)
        assert got.status_code == 403, path
        assert got.json()["detail"][0]["msg"].startswith("a user token opens only its own")
    assert alice.get("/v1/items").status_code == 403  # the catalog is a service's to read
    assert alice.post("/v1/events", json={"events": [event(2)]}).status_code == 403
    assert alice.post("/v1/users/alice/tokens").status_code == 403  # minting is admin's


def test_an_expired_or_forged_token_is_401(live: LiveServer) -> None:
    from service.auth.tokens import TokenSigner

    forged = TokenSigner(b"not-the-server-secret-" * 2, ttl_seconds=60).mint("user", "alice")[0]
    with live.client({"Authorization": f"Bearer {forged}"}) as http:
        got = http.get("/v1/users/alice/history")
    assert got.status_code == 401
    assert got.json()["detail"][0]["msg"] == "invalid or expired token"
    import jwt

    secret = live.app.state.gate.signer._secret
    expired = jwt.encode(
        {"iss": "encore", "aud": "encore", "typ": "user", "sub": "alice", "iat": 1, "exp": 2},
        secret, algorithm="HS256",
    )  # fmt: skip
    unsigned = jwt.encode({"iss": "encore", "aud": "encore", "typ": "user", "sub": "alice",
                           "iat": 1, "exp": 4102444800}, None, algorithm="none")  # fmt: skip
    for token in (expired, unsigned):
        with live.client({"Authorization": f"Bearer {token}"}) as http:
            assert http.get("/v1/users/alice/history").status_code == 401


def test_an_admin_mints_a_users_token(client: httpx.Client, live: LiveServer) -> None:
    client.post("/v1/events", json={"events": [event(0)]})
    got = client.post("/v1/users/alice/tokens", json={"ttl_seconds": 600})
    assert got.status_code == 201, got.text
    body = got.json()
    assert body["user_id"] == "alice" and body["signin_url"].startswith(f"{live.url}/signin?")
    with live.client({"Authorization": f"Bearer {body['token']}"}) as alice:
        assert alice.get("/v1/users/alice/history").status_code == 200
        assert alice.get("/v1/users/bob/history").status_code == 403
    bad = client.post("/v1/users/alice/tokens", json={"ttl_seconds": 5})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "ttl_seconds"]


def test_auth_off_lets_everyone_in_and_warns(
    db_url: str, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(database_url=db_url, auth={"enabled": False}, _env_file=None)
    with caplog.at_level("WARNING"), LiveServer(settings, store) as live, live.client() as anon:
        assert anon.get("/v1/users/alice/history").status_code == 404  # unknown, not 401
        assert anon.post("/v1/events", json={"events": [event(0)]}).status_code == 200
    assert any("auth is OFF" in r.getMessage() for r in caplog.records)


def test_encore_auth_off_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENCORE_AUTH", "off")
    monkeypatch.setenv("ENCORE_AUTH__TOKEN_TTL_SECONDS", "120")
    settings = Settings(_env_file=None)
    assert settings.auth.enabled is False and settings.auth.token_ttl_seconds == 120
    monkeypatch.setenv("ENCORE_AUTH", "on")
    assert Settings(_env_file=None).auth.enabled is True
    monkeypatch.delenv("ENCORE_AUTH")
    monkeypatch.setenv("ENCORE_AUTH__ENABLED", "false")
    assert Settings(_env_file=None).auth.enabled is False


def test_whoami_names_the_key_or_listener_and_its_scopes(
    live: LiveServer, user_client: Callable[[str], httpx.Client]
) -> None:
    with live.client(live.headers("read", "ingest")) as reader:
        got = reader.get("/v1/whoami")
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["kind"] == "key" and body["scopes"] == ["ingest", "read"]
    assert body["user_id"] is None and isinstance(body["key_id"], int)
    with live.client(live.headers("admin")) as admin:
        other = admin.get("/v1/whoami").json()
    assert other["scopes"] == ["admin"] and other["key_id"] != body["key_id"]
    alice = user_client("alice").get("/v1/whoami").json()
    assert alice == {"kind": "user", "key_id": None, "user_id": "alice", "scopes": []}


def test_whoami_with_auth_off_is_open_with_every_scope(db_url: str, store: Store) -> None:
    settings = Settings(database_url=db_url, auth={"enabled": False}, _env_file=None)
    with LiveServer(settings, store) as live, live.client() as anon:
        got = anon.get("/v1/whoami").json()
    assert got == {"kind": "open", "key_id": None, "user_id": None,
                   "scopes": ["admin", "ingest", "read"]}  # fmt: skip
