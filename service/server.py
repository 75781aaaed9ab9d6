"""The uvicorn options ``encore serve`` runs with, from the settings.

One function, so the command and the tests that put a server behind a proxy-like client
start uvicorn the same way.
"""

from __future__ import annotations

from typing import Any

from service.logs import log_config
from service.settings import Settings


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run`` / ``uvicorn.Config`` (without the app)."""
    serve = settings.serve
    return {
        "host": settings.host,
        "port": settings.port,
        "workers": settings.workers,
        "loop": "uvloop",
        "http": "httptools",
        "log_level": settings.log_level,
        # uvicorn's own access log is off: the request middleware writes one JSON line
        "access_log": False,
        "log_config": log_config(
            settings.log_level, settings.http.log_format, access=serve.access_log
        ),
        "timeout_keep_alive": serve.keep_alive_seconds,
        "timeout_graceful_shutdown": serve.graceful_shutdown_seconds or None,
        "proxy_headers": serve.proxy_headers,
        "forwarded_allow_ips": serve.forwarded_allow_ips,
        "root_path": serve.root_path,
        "limit_concurrency": serve.limit_concurrency,
        "backlog": serve.backlog,
        "timeout_worker_healthcheck": serve.worker_healthcheck_seconds,
        "env_file": None,
    }
