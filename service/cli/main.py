"""The ``encore`` command line: serve, migrate, load data."""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy/implicit are ever imported

from service.cli.app import app


def main() -> None:
    app()
