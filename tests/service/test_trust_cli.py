"""``encore keys``, ``encore users`` and ``encore data prune`` as a user runs them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models.engine import make_engine
from models.ingest import ingest_events
from models.listening import ListeningEvent
from models.resolve import CatalogResolver
from tests.service.test_cli import run
from tests.utils.factories import record


def database(tmp_path: Path) -> str:
    db = f"sqlite:///{tmp_path / 'k.db'}"
    assert run("db", "upgrade", db=db, cwd=tmp_path).returncode == 0
    return db


@pytest.mark.slow  # a CLI in subprocesses; covered by the API tests in the default run
def test_keys_create_list_revoke(tmp_path: Path) -> None:
    db = database(tmp_path)
    quiet = run("keys", "create", "--scope", "admin", "--quiet", db=db, cwd=tmp_path)
    assert quiet.returncode == 0 and re.fullmatch(r"enc_[\w-]{43}\n", quiet.stdout)
    named = run("keys", "create", "--scope", "read", "--scope", "ingest", "--name", "player",
                db=db, cwd=tmp_path)  # fmt: skip
    assert re.fullmatch(r"key 2 \(ingest,read\): enc_[\w-]{43}\n", named.stdout)
    assert "cannot be shown again" in named.stderr
    listing = run("keys", "list", db=db, cwd=tmp_path).stdout
    assert quiet.stdout.strip()[:12] in listing and "player" in listing
    assert quiet.stdout.strip() not in listing  # only the prefix is ever shown
    assert run("keys", "revoke", "2", db=db, cwd=tmp_path).stdout == "key 2 revoked\n"
    again = run("keys", "revoke", "2", db=db, cwd=tmp_path)
    assert again.returncode == 1 and again.stderr == "error: no live key with id 2\n"
    bad = run("keys", "create", "--scope", "root", db=db, cwd=tmp_path)
    assert bad.returncode != 0 and "root" in bad.stderr


@pytest.mark.slow  # a CLI in subprocesses; covered by the API tests in the default run
def test_users_token_and_privacy(tmp_path: Path) -> None:
    db = database(tmp_path)
    engine = make_engine(db)
    ingest_events(engine, CatalogResolver(), [record(0)])
    engine.dispose()
    token = run("users", "token", "alice", "--ttl", "600", db=db, cwd=tmp_path)
    assert token.returncode == 0 and token.stdout.count(".") == 2  # a JWT
    link = run("users", "token", "alice", "--base-url", "http://h:1/", "--next", "/x",
               db=db, cwd=tmp_path)  # fmt: skip
    assert re.fullmatch(r"http://h:1/signin\?token=[\w.-]+&next=%2Fx\n", link.stdout)
    out = run("users", "privacy", "alice", "--opt-out", "personalization,wrapped",
              db=db, cwd=tmp_path)  # fmt: skip
    assert out.stdout == "personalization: opted out\nwrapped: opted out\ncomparisons: allowed\n"
    back = run("users", "privacy", "alice", "--opt-in", "wrapped", db=db, cwd=tmp_path)
    assert "wrapped: allowed" in back.stdout and "personalization: opted out" in back.stdout
    unknown = run("users", "privacy", "alice", "--opt-out", "ads", db=db, cwd=tmp_path)
    assert unknown.returncode == 1 and unknown.stderr.startswith("error: --opt-out: unknown ads")
    nobody = run("users", "privacy", "nobody", db=db, cwd=tmp_path)
    assert nobody.returncode == 1 and nobody.stderr == "error: unknown user 'nobody'\n"


@pytest.mark.slow  # a CLI in subprocesses; covered by the API tests in the default run
def test_data_prune_keeps_the_retention_window(tmp_path: Path) -> None:
    db = database(tmp_path)
    engine = make_engine(db)
    now = datetime.now(UTC)
    old = [record(i, ts=now - timedelta(days=40, minutes=i)) for i in range(3)]
    new = [record(i, ts=now - timedelta(days=5, minutes=i)) for i in range(2)]
    ingest_events(engine, CatalogResolver(), old + new)
    none = run("data", "prune", db=db, cwd=tmp_path)
    assert none.returncode == 1 and "ENCORE_RETENTION__EVENTS_DAYS" in none.stderr
    out = run("data", "prune", db=db, cwd=tmp_path, ENCORE_RETENTION__EVENTS_DAYS="30")
    assert out.returncode == 0 and out.stdout.startswith("3 events before ")
    assert "metrics rollups dropped" in out.stdout
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ListeningEvent)) == 2
    assert run("data", "prune", "--days", "1", db=db, cwd=tmp_path).stdout.startswith("2 events")
    engine.dispose()
