"""``encore`` imports only the modules of the command it runs: the table that says which
modules register which command must match what the modules really register."""

from __future__ import annotations

import subprocess
import sys

from service.cli.main import COMMANDS, load


def registered() -> dict[str, set[str]]:
    """Every top-level command and group of the fully loaded app, with the modules that
    register its commands."""
    app = load()
    found: dict[str, set[str]] = {}
    for command in app.registered_commands:
        assert command.callback is not None
        name = command.name or command.callback.__name__
        found[name] = {command.callback.__module__}
    for group in app.registered_groups:
        assert group.name is not None and group.typer_instance is not None
        found[group.name] = {
            c.callback.__module__ for c in group.typer_instance.registered_commands if c.callback
        }
    return found


def test_the_command_table_names_every_module_that_registers_a_command() -> None:
    table = {name: {f"service.cli.{m}" for m in modules} for name, modules in COMMANDS.items()}
    assert table == registered()


def test_a_command_loads_its_own_modules_only() -> None:
    code = (
        "import sys; from service.cli.main import load; load(['db', 'upgrade']); "
        "print(sorted(m for m in sys.modules if m.startswith('service.cli.')));"
        "print('implicit' in sys.modules, 'fastapi' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    modules, heavy = out.stdout.splitlines()
    assert modules == "['service.cli.app', 'service.cli.db_cmds', 'service.cli.main']"
    assert heavy == "False False"
