"""docs/api.md is the app's own OpenAPI schema rendered: regenerate it when routes change
(`encore openapi --markdown > docs/api.md`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from service.apidoc import markdown, reference_app

ROOT = Path(__file__).resolve().parents[2]
ENCORE = str(Path(sys.executable).parent / "encore")


def test_committed_reference_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "api.md").read_text()
    fresh = markdown(reference_app().openapi())
    assert committed == fresh, "docs/api.md is stale: run `encore openapi --markdown > docs/api.md`"


def test_reference_covers_every_operation_and_schema() -> None:
    schema = reference_app().openapi()
    text = markdown(schema)
    for path, methods in schema["paths"].items():
        for method in methods:
            assert f"\n### {method.upper()} {path}\n" in text
    for name in schema["components"]["schemas"]:
        assert f"\n### {name}\n" in text
    assert "| `limit` | query | integer | no | default `100`; ≥ 1; ≤ 1000 |" in text


def test_command_needs_no_database_and_prints_both_forms(tmp_path: Path) -> None:
    env = {**os.environ, "ENCORE_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    as_json = subprocess.run(
        [ENCORE, "openapi"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == reference_app().openapi()
    as_md = subprocess.run(
        [ENCORE, "openapi", "--markdown"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert as_md.stdout == (ROOT / "docs" / "api.md").read_text()
