"""``encore data synth`` as a user runs it: a real process, real exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.service.test_cli import run

WINDOW = ("--start", "2024-01-01", "--end", "2024-07-01")


@pytest.mark.slow  # a CLI in subprocesses; covered by the API tests in the default run
def test_synth_loads_a_history_then_finds_it_all_stored(db_url: str, tmp_path: Path) -> None:
    assert run("db", "upgrade", db=db_url, cwd=tmp_path).returncode == 0
    args = ("data", "synth", "--users", "30", "--events", "2000", *WINDOW, "--seed", "5")
    first = run(*args, db=db_url, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    summary = first.stdout.strip().splitlines()
    assert len(summary) == 1
    assert summary[0].startswith("synthetic history: 2,000 events (2,000 new), 30 users, ")
    assert "items in" in summary[0] and summary[0].endswith("events/s)")
    again = run(*args, db=db_url, cwd=tmp_path)
    assert "2,000 events (0 new)" in again.stdout


def test_synth_writes_one_listeners_spotify_export(tmp_path: Path) -> None:
    out = tmp_path / "Streaming_History_Audio_synth.json"
    args = ("--users", "10", "--events", "500", "--output", str(out), "--user", "synth-000003")
    done = run("data", "synth", *args, *WINDOW, db="sqlite:///unused.db", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    records = json.loads(out.read_text())
    assert records and f"{len(records):,} events of listener synth-000003" in done.stdout
    assert not (tmp_path / "unused.db").exists()  # writing a file needs no database


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--start", "2024-02-01", "--end", "2024-01-01"), "must be after start"),
        (("--start", "2024-01-01", "--end", "2024-01-01"), "must be after start"),
        (("--events", "-5"), "events must not be negative"),
        (("--users", "-1"), "users must be at least 1"),
        (("--start", "last tuesday"), "--start: expected YYYY-MM-DD"),
        (("--user", "synth-000001"), "--user only applies with --output"),
        (("--users", "2", "--events", "10", "--output", "x.json", "--user", "bob"), "no listener"),
    ],
)
def test_bad_arguments_give_one_error_line(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    out = run("data", "synth", *args, db=f"sqlite:///{tmp_path / 'e.db'}", cwd=tmp_path)
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
