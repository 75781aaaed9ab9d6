"""The README's dependency table explains every dependency pyproject.toml declares."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    return {re.split(r"[\[<>=!~ ;]", spec, maxsplit=1)[0].lower() for spec in specs}


def explained() -> set[str]:
    text = (ROOT / "README.md").read_text()
    table = text.split("## Dependencies and why", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for row in table.splitlines():
        if row.startswith("| ") and not row.startswith("| package"):
            first = row.split("|")[1]
            names |= {n.lower() for n in re.findall(r"[A-Za-z][\w.-]*", first.split("*")[0])}
    return names


def test_every_dependency_has_a_reason_in_the_readme() -> None:
    missing = declared() - explained()
    assert not missing, f"README 'Dependencies and why' does not explain {sorted(missing)}"
