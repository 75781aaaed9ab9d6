"""Benchmarks, run as scripts (``.venv/bin/python bench/NAME.py``); a package only so that
``bench/wrapped.py`` and the ``wrapped`` package are two modules to mypy."""
