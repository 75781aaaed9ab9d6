"""The ``encore`` command as a user runs it: a real process, real exit codes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

ENCORE = str(Path(sys.executable).parent / "encore")


def run(*args: str, db: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "ENCORE_DATABASE_URL": db, **env}
    return subprocess.run(
        [ENCORE, *args], capture_output=True, text=True, env=full_env, cwd=cwd, timeout=120
    )


def test_help_lists_every_command(tmp_path: Path) -> None:
    out = run("--help", db="sqlite:///x.db", cwd=tmp_path)
    assert out.returncode == 0
    for command in ("serve", "db", "data"):
        assert command in out.stdout
    sub = run("db", "--help", db="sqlite:///x.db", cwd=tmp_path)
    assert "upgrade" in sub.stdout and "current" in sub.stdout


def test_db_upgrade_then_sample_load_is_idempotent(db_url: str, tmp_path: Path) -> None:
    assert run("db", "upgrade", db=db_url, cwd=tmp_path).returncode == 0
    first = run("data", "sample", db=db_url, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "1286 imported, 0 duplicates" in first.stdout
    again = run("data", "sample", db=db_url, cwd=tmp_path)
    assert "0 imported, 1286 duplicates" in again.stdout


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u@h/db", "ENCORE_DATABASE_URL: unsupported database 'mysql'"),
        ("not a url", "ENCORE_DATABASE_URL: not a valid database URL"),
        ("postgresql://postgres@127.0.0.1:1/test", "cannot reach database"),
    ],
)
def test_bad_database_url_gives_one_clear_line(tmp_path: Path, url: str, message: str) -> None:
    out = run("db", "upgrade", db=url, cwd=tmp_path)
    assert out.returncode == 1
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_bad_setting_names_the_variable(tmp_path: Path) -> None:
    out = run("db", "current", db="sqlite:///x.db", cwd=tmp_path, ENCORE_PORT="eighty")
    assert out.returncode == 1
    assert out.stderr.startswith("error: ENCORE_PORT:")


def test_malformed_sample_file_stores_nothing(tmp_path: Path, sample_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'e.db'}"
    bad = tmp_path / "bad.jsonl"
    lines = sample_path.read_text().splitlines()[:10]
    bad.write_text("\n".join([*lines, '{"user_id": "x"}']) + "\n")
    run("db", "upgrade", db=db, cwd=tmp_path)
    out = run("data", "sample", str(bad), db=db, cwd=tmp_path)
    assert out.returncode == 1
    assert "line 11" in out.stderr and "nothing was stored" in out.stderr
    good = run("data", "sample", db=db, cwd=tmp_path)
    assert "1286 imported" in good.stdout  # the ten valid lines above were not stored


def test_serve_migrates_a_new_database_and_answers(tmp_path: Path) -> None:
    port = free_port()
    db = f"sqlite:///{tmp_path / 'fresh.db'}"
    env = {**os.environ, "ENCORE_DATABASE_URL": db}
    proc = subprocess.Popen(
        [ENCORE, "serve", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        assert ready.status_code == 200
        assert ready.json()["status"] == "ready"
        key = run("keys", "create", "--scope", "ingest", "--quiet", db=db, cwd=tmp_path)
        assert re.fullmatch(r"enc_[A-Za-z0-9_-]{43}\n", key.stdout), key.stdout
        resp = httpx.post(
            f"http://127.0.0.1:{port}/v1/events",
            headers={"Authorization": f"Bearer {key.stdout.strip()}"},
            json={
                "events": [
                    {
                        "user_id": "u",
                        "ts": 1714564800,
                        "ms_played": 1,
                        "item": {"artist": "a", "title": "t"},
                    }
                ]
            },
        )
        assert resp.json()["accepted"] == 1
    finally:
        proc.terminate()
        proc.wait(timeout=20)
