"""``encore wrapped show``: a readable summary, and one error line when there is none."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from service.cli.main import load
from tests.wrapped.conftest import Add, play

app = load()  # every command registered

runner = CliRunner()


def show(db_url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["wrapped", "show", *args], env={"ENCORE_DATABASE_URL": db_url})
    return result.exit_code, result.stdout, result.stderr


def test_show_prints_a_summary(db_url: str, add: Add) -> None:
    add(*(play(f"2024-03-{1 + k:02d}T07:00:00Z", artist=f"Band {k % 5}", title=f"Song {k}")
          for k in range(30)))  # fmt: skip
    code, out, _err = show(db_url, "ana", "--year", "2024", "--tz", "Europe/Amsterdam")
    assert code == 0, _err
    assert "ana · Wrapped 2024 (Europe/Amsterdam)" in out
    assert "100 minutes · 30 streams · 30 tracks · 5 artists" in out
    assert "Top artists" in out and "Band 0" in out and "early bird" in out
    code, out, _err = show(db_url, "ana", "--from", "2024-03-01", "--to", "2024-04-01", "--json")
    assert code == 0 and json.loads(out)["window"]["label"] == "2024-03-01 to 2024-03-31"


def test_show_refusals_are_one_line(db_url: str, add: Add) -> None:
    add(play("2024-03-01T07:00:00Z"))
    for args, message in [
        (["nobody", "--year", "2024"], "error: unknown user"),
        (["ana", "--year", "2023"], "error: nothing to wrap: no listening in 2023"),
        (["ana", "--year", "2024"], "error: not enough listening yet: 1 of 30 streams"),
        (["ana", "--year", "2024", "--tz", "Nowhere/City"], "error: unknown timezone"),
        (["ana", "--year", "2024", "--from", "2024-01-01"], "error: give --year or"),
    ]:
        code, _out, err = show(db_url, *args)
        assert code == 1 and err.startswith(message) and len(err.strip().splitlines()) == 1, err
