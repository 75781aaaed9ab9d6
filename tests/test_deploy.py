"""The Dockerfile and docker-compose.yml, checked without a Docker engine: hadolint, the
compose-spec JSON schema, and consistency with the repository and the ``encore`` CLI."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.settings import Settings
from service.store import Store
from tests.conftest import LiveServer, free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "docker-compose.yml"


def instructions(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", path.read_text())
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last:]


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def interpolate(value: str) -> str:
    """Compose's ``${VAR:-default}`` with nothing set, and ``$$`` as a literal ``$``."""
    value = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)
    assert not re.search(r"\$\{[A-Z_]+\}", value.replace("$$", "")), value
    return value.replace("$$", "$")


def test_hadolint_finds_nothing() -> None:
    out = subprocess.run(
        [str(BIN / "hadolint"), "--no-color", str(DOCKERFILE)], capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout == "", out.stdout + out.stderr


def test_hadolint_would_catch_a_root_image(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:3.11-slim\nRUN apt-get install curl\nUSER root\n")
    out = subprocess.run([str(BIN / "hadolint"), "--no-color", str(bad)], capture_output=True)
    assert out.returncode == 1
    assert b"DL3002" in out.stdout  # last USER should not be root


def test_image_is_multi_stage_slim_and_not_root() -> None:
    steps = instructions()
    froms = [args for word, args in steps if word == "FROM"]
    assert len(froms) >= 2
    args = dict(a.split("=", 1) for w, a in steps if w == "ARG" and "=" in a)
    assert "slim" in args["PYTHON_IMAGE"]
    runtime = final_stage()
    users = [args for word, args in runtime if word == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert any(w == "COPY" and a.startswith("--from=build") for w, a in runtime)
    assert any(w == "HEALTHCHECK" for w, _ in runtime)
    env = " ".join(a for w, a in runtime if w == "ENV")
    assert "OPENBLAS_NUM_THREADS=1" in env and "ENCORE_HOST=0.0.0.0" in env
    assert ("ENTRYPOINT", '["encore"]') in runtime and ("CMD", '["serve"]') in runtime


def test_every_copied_path_exists_and_is_not_ignored() -> None:
    ignored = {line for line in (ROOT / ".dockerignore").read_text().splitlines() if line}
    for word, args in instructions():
        if word == "COPY" and not args.startswith("--from"):
            *sources, _dest = args.split()
            for source in sources:
                assert (ROOT / source).exists(), source
                assert source.rstrip("/") not in ignored, source
    assert {".venv", ".git", "*.db", "artifacts", "tests"} <= ignored


def test_healthcheck_command_passes_on_a_live_server_and_fails_without(sqlite_url: str) -> None:
    (check,) = [a for w, a in final_stage() if w == "HEALTHCHECK"]
    argv = json.loads(check.split(" CMD ", 1)[1])
    assert argv[0] == "python"
    settings = Settings(database_url=sqlite_url, _env_file=None)
    store = Store.open(settings)
    try:
        with LiveServer(settings, store) as live:
            env = {**os.environ, "ENCORE_PORT": str(live.port)}
            up = subprocess.run([sys.executable, *argv[1:]], env=env, capture_output=True)
    finally:
        store.close()
    assert up.returncode == 0, up.stderr
    env = {**os.environ, "ENCORE_PORT": str(free_port())}
    down = subprocess.run([sys.executable, *argv[1:]], env=env, capture_output=True)
    assert down.returncode != 0


def test_compose_file_is_valid_against_the_compose_spec() -> None:
    out = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_compose_services_reference_what_exists() -> None:
    spec = compose()
    services, volumes = spec["services"], set(spec["volumes"])
    for name, service in services.items():
        assert "image" in service, name
        if "build" in service:
            assert (ROOT / service["build"] / "Dockerfile").is_file()
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            assert source in volumes, f"{name} mounts undeclared volume {source}"
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"
    built = {s["image"] for s in services.values() if "build" in s}
    for name, service in services.items():
        assert "build" in service or service["image"] not in built, name


def test_compose_orders_database_migration_api_and_retrain() -> None:
    services = compose()["services"]
    db = services["db"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert any(m.endswith(":/var/lib/postgresql/data") for m in db["volumes"])
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("api", "retrain"):
        needs = services[name]["depends_on"]["migrate"]["condition"]
        assert needs == "service_completed_successfully", name
    assert services["api"]["command"] == ["serve"]
    for name in ("migrate", "retrain", "retrain-once"):
        assert services[name]["healthcheck"] == {"disable": True}, name


def test_api_and_retrain_share_artifacts_where_settings_point() -> None:
    services = compose()["services"]
    mounts = {}
    for name in ("api", "retrain", "retrain-once"):
        (mount,) = services[name]["volumes"]
        mounts[name] = mount
        models_dir = services[name]["environment"]["ENCORE_MODELS__DIR"]
        assert models_dir.startswith(mount.split(":")[1] + "/"), name
    assert len(set(mounts.values())) == 1


def test_compose_environment_is_valid_encore_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("migrate", "api", "retrain"):
        env = {
            k: interpolate(str(v)) for k, v in compose()["services"][name]["environment"].items()
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        settings = Settings(_env_file=None)
        assert settings.database_url.startswith("postgresql://encore:")
        assert "@db:5432/" in settings.database_url


def test_retrain_loop_is_valid_shell_running_a_real_command() -> None:
    retrain = compose()["services"]["retrain"]
    assert retrain["entrypoint"] == ["/bin/sh", "-c"]
    (script,) = retrain["command"]
    script = interpolate(script)
    assert subprocess.run(["sh", "-n", "-c", script]).returncode == 0
    (line,) = [line for line in script.splitlines() if "encore retrain" in line]
    argv = shlex.split(line.split("||")[0])
    help_text = subprocess.run(
        [str(BIN / "encore"), "retrain", "--help"], capture_output=True, text=True
    ).stdout
    for flag in (a for a in argv if a.startswith("--")):
        assert flag in help_text, flag
    once = compose()["services"]["retrain-once"]["command"]
    assert once == argv[1:]


SYSTEMD = ROOT / "docs" / "systemd"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
def test_systemd_units_verify_clean(tmp_path: Path) -> None:
    """docs/systemd/*: what docs/operations.md tells people to install. The paths are pointed
    at this checkout (verify insists the program and the environment file exist)."""
    env_file = tmp_path / "encore.env"
    env_file.write_text("ENCORE_DATABASE_URL=sqlite:////var/lib/encore/encore.db\n")
    units = []
    for unit in sorted(SYSTEMD.iterdir()):
        text = unit.read_text().replace("/opt/encore/bin/encore", str(BIN / "encore"))
        target = tmp_path / unit.name
        target.write_text(text.replace("/etc/encore/encore.env", str(env_file)))
        units.append(str(target))
    assert {Path(u).name for u in units} >= {
        "encore-api.service", "encore-retrain.service", "encore-retrain.timer"
    }  # fmt: skip
    out = subprocess.run(["systemd-analyze", "verify", *units], capture_output=True, text=True)
    assert out.returncode == 0 and out.stderr == "", out.stderr


def test_systemd_retrain_runs_the_same_command_as_compose() -> None:
    unit = (SYSTEMD / "encore-retrain.service").read_text()
    (line,) = [line for line in unit.splitlines() if line.startswith("ExecStart=")]
    argv = shlex.split(line.removeprefix("ExecStart="))
    assert argv[0] == "/opt/encore/bin/encore"
    assert argv[1:] == compose()["services"]["retrain-once"]["command"]
    timer = (SYSTEMD / "encore-retrain.timer").read_text()
    assert "Unit=encore-retrain.service" in timer and "Persistent=true" in timer
