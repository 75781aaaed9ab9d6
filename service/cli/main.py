"""The ``encore`` command line: serve, migrate, load data, train, report.

Each command's module is imported only when that command runs (``encore db upgrade``
does not pay for scipy, implicit or the web app); ``encore --help`` and an unknown
command load them all, so help always lists everything.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy/implicit are ever imported

import importlib
import sys
from collections.abc import Sequence

import typer

from service.cli.app import app

# Each top-level command or group, and the modules that register its commands. A test
# checks this table against what the modules actually register.
COMMANDS: dict[str, tuple[str, ...]] = {
    "audiences": ("audience_cmds",),
    "data": ("data_cmds", "trust_cmds"),
    "db": ("db_cmds",),
    "evaluate": ("evaluate_cmd",),
    "experiments": ("experiment_cmds",),
    "export": ("export_cmd",),
    "import": ("import_cmds",),
    "keys": ("trust_cmds",),
    "metrics": ("metrics_cmds",),
    "models": ("retrain_cmds",),
    "openapi": ("openapi_cmd",),
    "retrain": ("retrain_cmds",),
    "serve": ("serve_cmd",),
    "tune": ("tune_cmd",),
    "users": ("trust_cmds",),
    "wrapped": ("wrapped_cmds",),
}
MODULES = tuple(sorted({m for ms in COMMANDS.values() for m in ms}))


def load(args: Sequence[str] = ()) -> typer.Typer:
    """The app with the commands ``args`` (a command line without the program) needs
    registered: only the named command's modules, or every module when no command is
    named or it is unknown."""
    name = next((a for a in args if not a.startswith("-")), None)
    for module in COMMANDS.get(name or "", MODULES):
        importlib.import_module(f"service.cli.{module}")
    return app


def main() -> None:
    load(sys.argv[1:])()
