"""Audiences on a real store and server: rules over listening, the opt-out never in, CSV
export, and delivery to a real local webhook that fails before it succeeds."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from sqlalchemy import insert, select, update

from models.catalog import Artist, Tag, artist_tags
from models.ingest import ingest_events
from models.records import EventRecord, ItemRef
from models.users import User
from service.settings import Settings
from service.store import Store

SECRET = "s3cret-s3cret-s3cret"
ENCORE = str(Path(sys.executable).parent / "encore")
NOW = datetime.now(UTC)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, _env_file=None,
                    audiences={"webhook_secret": SECRET, "backoff_seconds": 0.05})  # fmt: skip


def play(user: str, days_ago: float, artist: str, minutes: float) -> EventRecord:
    item = ItemRef(artist=artist, title=f"{artist} song", album="LP")
    ts = NOW - timedelta(days=days_ago)
    return EventRecord(user=user, ts=ts, ms_played=int(minutes * 60_000), item=item)


@pytest.fixture
def listeners(store: Store) -> Store:
    plays = [
        play("jazz-fan", 3, "Miles Davis", 90), play("jazz-fan", 10, "Daft Punk", 20),
        play("jazz-optout", 2, "Miles Davis", 200),
        play("house-fan", 5, "Daft Punk", 120), play("house-fan", 6, "Miles Davis", 61),
        play("lapsed", 10, "Daft Punk", 30),  # active last week, not this week
        play("old", 200, "Miles Davis", 500),
    ]  # fmt: skip
    assert ingest_events(store.engine, store.resolver, plays).accepted == len(plays)
    with store.engine.begin() as conn:
        conn.execute(insert(Tag), [{"name": "jazz"}, {"name": "house"}])
        tags = {n: i for i, n in conn.execute(select(Tag.id, Tag.name))}
        artists = {n: i for i, n in conn.execute(select(Artist.id, Artist.name))}
        conn.execute(insert(artist_tags), [
            {"artist_id": artists["Miles Davis"], "tag_id": tags["jazz"], "weight": 1.0},
            {"artist_id": artists["Daft Punk"], "tag_id": tags["house"], "weight": 1.0},
        ])  # fmt: skip
        conn.execute(update(User).where(User.external_id == "jazz-optout")
                     .values(opt_out_personalization=True))  # fmt: skip
    return store


def create(client: httpx.Client, name: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    r = client.post("/v1/audiences", json={"name": name, "rules": rules})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def members(client: httpx.Client, name: str) -> list[str]:
    r = client.get(f"/v1/audiences/{name}/export.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    return [row["user_id"] for row in csv.DictReader(io.StringIO(r.text))]


def test_rules_select_listeners_and_never_the_opted_out(
    listeners: Store, client: httpx.Client
) -> None:
    jazz = create(client, "jazz", [{"type": "top_genre", "genre": "jazz", "days": 90}])
    assert jazz["size"] == 1 and members(client, "jazz") == ["jazz-fan"]
    artist = client.get("/v1/artists", params={"q": "miles davis"}).json()["data"][0]["id"]
    create(
        client,
        "miles",
        [{"type": "artist_minutes", "artist_id": artist, "min_minutes": 60, "days": 30}],
    )
    assert sorted(members(client, "miles")) == ["house-fan", "jazz-fan"]  # 61 > 60; opt-out never
    create(client, "lapsed", [{"type": "active", "from_days_ago": 14, "to_days_ago": 7},
                              {"type": "inactive", "days": 7}])  # fmt: skip
    assert members(client, "lapsed") == ["lapsed"]
    listed = client.get("/v1/audiences").json()
    assert [a["name"] for a in listed["data"]] == ["jazz", "miles", "lapsed"]
    bad = client.post("/v1/audiences", json={"name": "x", "rules": [{"type": "top_genre"}]})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][:3] == ["body", "rules", 0]
    assert client.post("/v1/audiences", json={"name": "jazz", "rules": [
        {"type": "inactive", "days": 1}]}).status_code == 409  # fmt: skip


class Hook(BaseHTTPRequestHandler):
    """Answers 503 to the first request, then 200; keeps what it received."""

    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received.append((dict(self.headers), body))
        self.send_response(503 if len(Hook.received) == 1 else 200)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[str]:
    Hook.received = []
    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def test_delivery_retries_and_is_signed(listeners: Store, client: httpx.Client, hook: str) -> None:
    create(client, "house", [{"type": "top_genre", "genre": "house", "days": 30}])
    r = client.post("/v1/audiences/house/deliveries", json={"url": hook})
    assert r.status_code == 200, r.text
    attempts = r.json()["data"]
    assert [(a["attempt"], a["status"], a["status_code"]) for a in attempts] == [
        (1, "failed", 503), (2, "delivered", 200)]  # fmt: skip
    assert len(Hook.received) == 2
    headers, body = Hook.received[-1]
    expected = hmac.new(SECRET.encode(), headers["X-Encore-Timestamp"].encode() + b"." + body,
                        hashlib.sha256).hexdigest()  # fmt: skip
    assert headers["X-Encore-Signature"] == f"sha256={expected}"
    payload = json.loads(body)
    assert payload["audience"] == "house" and sorted(payload["members"]) == ["house-fan", "lapsed"]
    log = client.get("/v1/audiences/house/deliveries").json()
    assert log["count"] == 2 and {a["delivery_id"] for a in log["data"]} == {
        attempts[0]["delivery_id"]
    }


@pytest.mark.slow  # a CLI in subprocesses; covered by the API tests in the default run
def test_cli_create_export_and_deliver(
    listeners: Store, db_url: str, hook: str, tmp_path: Path
) -> None:
    env = {**os.environ, "ENCORE_DATABASE_URL": db_url, "ENCORE_AUDIENCES__WEBHOOK_SECRET": SECRET,
           "ENCORE_AUDIENCES__BACKOFF_SECONDS": "0"}  # fmt: skip

    def encore(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([ENCORE, *args], capture_output=True, text=True, env=env, timeout=120)

    made = encore("audiences", "create", "quiet", "--rule", '{"type": "inactive", "days": 4}')
    assert made.returncode == 0, made.stderr
    assert "3 members" in made.stdout  # lapsed, old, house-fan (the opt-out never)
    out = tmp_path / "quiet.csv"
    assert encore("audiences", "export", "quiet", "--output", str(out)).returncode == 0
    assert out.read_text().splitlines() == ["user_id", "house-fan", "lapsed", "old"]
    sent = encore("audiences", "deliver", "quiet", "--url", hook)
    assert sent.returncode == 0, sent.stderr
    assert "in 2 attempt(s)" in sent.stdout
    bad = encore("audiences", "create", "x", "--rule", "{nope")
    assert bad.returncode == 1 and bad.stderr.startswith("error: --rule: not JSON")
    assert "quiet" in encore("audiences", "list").stdout
