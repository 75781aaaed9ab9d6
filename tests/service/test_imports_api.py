"""POST /v1/imports and GET /v1/imports/{id}: uploads imported in the background."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from models.jobs import INTERRUPTED, ImportJob, JobStatus, create_job
from service.routes.imports import safe_name
from service.settings import Settings
from service.store import Store
from tests.conftest import LiveServer
from tests.data.test_importers import DATASETS, FIXTURES, needs_data
from tests.utils.factories import count_events


def wait_for(
    client: httpx.Client, location: str, seen: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The finished job; every state polled on the way is appended to ``seen``."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(location).json()
        if seen is not None:
            seen.append(job)
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError("import job did not finish")


def spotify_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted((DATASETS / "spotify-extended-efrrowini").glob("*.json")):
            zf.write(path, f"Spotify Extended Streaming History/{path.name}")
    return buffer.getvalue()


def upload(
    client: httpx.Client, fmt: str, files: list[tuple[str, bytes]], user: str = "ana"
) -> httpx.Response:
    return client.post(
        "/v1/imports",
        data={"user_id": user, "format": fmt},
        files=[("files", (name, content)) for name, content in files],
    )


@needs_data
def test_upload_spotify_zip_imports_in_background(client: httpx.Client, store: Store) -> None:
    resp = upload(client, "spotify", [("my_spotify_data.zip", spotify_zip())])
    assert resp.status_code == 202, resp.text
    assert resp.json()["status"] == "queued"
    seen: list[dict[str, Any]] = []
    job = wait_for(client, resp.headers["location"], seen)
    assert job["status"] == "done", job
    assert (job["imported"], job["duplicates"], job["skipped"]) == (7006, 1, {})
    # progress is in upload bytes: the members' compressed sizes, never past the zip's size
    assert all(0 <= j["bytes_done"] <= j["bytes_total"] for j in seen)
    assert [j["progress"] for j in seen] == sorted(j["progress"] for j in seen)
    assert 0.99 * job["bytes_total"] <= job["bytes_done"] <= job["bytes_total"]
    assert len(job["files"]) == 6
    assert job["progress"] == 1.0
    assert job["user_id"] == "ana"
    assert count_events(store.engine) == 7006

    again = wait_for(
        client, upload(client, "spotify", [("x.zip", spotify_zip())]).headers["location"]
    )
    assert (again["imported"], again["duplicates"]) == (0, 7007)


@needs_data
def test_upload_with_a_truncated_file_keeps_the_good_ones(
    client: httpx.Client, store: Store, settings: Settings
) -> None:
    good = (DATASETS / "spotify-endsong-candidlyred" / "endsong.json").read_bytes()
    bad = (
        DATASETS / "spotify-extended-efrrowini" / "Streaming_History_Audio_2023.json"
    ).read_bytes()
    resp = upload(
        client,
        "spotify",
        [("endsong.json", good), ("Streaming_History_Audio_2023.json", bad[:5000])],
    )
    job = wait_for(client, resp.headers["location"])
    assert job["status"] == "failed"
    assert "truncated" in job["error"]
    # the listener sees the file they sent, not where the server keeps uploads
    assert job["error"].startswith("001_Streaming_History_Audio_2023.json: "), job["error"]
    assert str(settings.imports.folder()) not in str(job)
    assert job["imported"] == 941
    assert [f["error"] is None for f in job["files"]] == [True, False]
    assert count_events(store.engine) == 941


def test_upload_listenbrainz(client: httpx.Client, store: Store) -> None:
    content = (FIXTURES / "listenbrainz" / "listens.jsonl").read_bytes()
    job = wait_for(
        client, upload(client, "listenbrainz", [("listens.jsonl", content)]).headers["location"]
    )
    assert job["status"] == "done"
    assert (job["imported"], job["duplicates"]) == (3, 1)
    history = client.get("/v1/users/ana/history").json()
    assert len(history["data"]) == 3  # the upload's user, not the file's user_name


def test_upload_validation_errors(client: httpx.Client) -> None:
    resp = upload(client, "itunes", [("a.json", b"[]")])
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"] == ["body", "format"]
    resp = client.post(
        "/v1/imports", data={"format": "spotify"}, files=[("files", ("a.json", b"[]"))]
    )
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"] == ["body", "user_id"]
    resp = client.post("/v1/imports", data={"format": "spotify", "user_id": "x"})
    assert resp.json()["detail"][0]["loc"] == ["body", "files"]


def test_upload_over_the_limit_is_refused(db_url: str, tmp_path: Path) -> None:
    settings = Settings(
        database_url=db_url, imports={"max_upload_bytes": 2048, "upload_dir": tmp_path}
    )
    store = Store.open(settings)
    with LiveServer(settings, store) as live, live.client(live.headers("ingest")) as client:
        resp = upload(client, "spotify", [("big.json", b"[" + b" " * 4096 + b"]")])
    store.close()
    assert resp.status_code == 413
    assert resp.json()["detail"][0]["loc"] == ["body", "files"]
    assert list(tmp_path.iterdir()) == []


def test_a_job_a_restart_cut_short_is_reported_failed(client: httpx.Client, store: Store) -> None:
    """A job left queued or running by a server that stopped is failed once it has made no
    progress for ENCORE_IMPORTS__STALE_SECONDS; a job still moving, or finished, is not."""
    now = datetime.now(UTC)
    with store.sessions() as session:
        jobs = {
            name: create_job(session, user="ana", format="spotify", bytes_total=100).id
            for name in ("stuck", "queued", "moving", "done")
        }
        for name, status, quiet in [
            ("stuck", JobStatus.running, timedelta(minutes=11)),
            ("queued", JobStatus.queued, timedelta(hours=2)),
            ("moving", JobStatus.running, timedelta(minutes=9)),
            ("done", JobStatus.done, timedelta(hours=2)),
        ]:
            session.execute(
                update(ImportJob)
                .where(ImportJob.id == jobs[name])
                .values(status=status, bytes_done=40, updated_at=now - quiet)
            )
        session.commit()
    seen = {name: client.get(f"/v1/imports/{job_id}").json() for name, job_id in jobs.items()}
    assert {n: j["status"] for n, j in seen.items()} == {
        "stuck": "failed", "queued": "failed", "moving": "running", "done": "done",
    }  # fmt: skip
    assert seen["stuck"]["error"] == INTERRUPTED
    assert seen["stuck"]["bytes_done"] == 40 and seen["stuck"]["finished_at"] is not None
    assert seen["moving"]["error"] is None and seen["done"]["error"] is None
    again = client.get(f"/v1/imports/{jobs['stuck']}").json()
    assert again == seen["stuck"]  # ended once, then read as it is


def test_unknown_job_is_404(client: httpx.Client) -> None:
    resp = client.get("/v1/imports/00000000-0000-0000-0000-000000000000")
    assert resp.status_code == 404
    assert resp.json()["detail"][0]["loc"] == ["path", "job_id"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "000_passwd"),
        ("..\\..\\boot.ini", "000_boot.ini"),
        (".hidden", "000_hidden"),
        ("Streaming_History_Audio_2023.json", "000_Streaming_History_Audio_2023.json"),
        ("my file (1).zip", "000_my_file_1_.zip"),
        (None, "000_upload"),
    ],
)
def test_upload_names_cannot_escape_the_folder(name: str | None, expected: str) -> None:
    assert safe_name(0, name) == expected


def test_a_listener_uploads_and_follows_only_their_own_imports(
    client: httpx.Client, user_client: Callable[[str], httpx.Client]
) -> None:
    alice, bob = user_client("alice"), user_client("bob")
    mine = alice.post(
        "/v1/imports", data={"user_id": "alice", "format": "listenbrainz"},
        files=[("files", ("l.json", b"[]"))],
    )  # fmt: skip
    assert mine.status_code == 202, mine.text
    other = alice.post(
        "/v1/imports", data={"user_id": "bob", "format": "listenbrainz"},
        files=[("files", ("l.json", b"[]"))],
    )  # fmt: skip
    assert other.status_code == 403
    assert other.json()["detail"][0]["loc"] == ["body", "user_id"]
    job = mine.json()["id"]
    assert alice.get(f"/v1/imports/{job}").status_code == 200
    assert bob.get(f"/v1/imports/{job}").status_code == 404  # not theirs: as if unknown
    assert client.get(f"/v1/imports/{job}").status_code == 200  # an operator's key sees all
