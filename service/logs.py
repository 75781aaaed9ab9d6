"""Log records as one JSON object a line, each with the id of the request it belongs to.

Fields: ``ts`` (UTC, ISO 8601), ``level``, ``logger``, ``msg``, ``request_id`` when the
record was made while handling a request, ``http`` for the access line (method, path,
route template, status, ms, caller) and ``exc`` for a traceback. Query strings are never
logged: ``/signin?token=...`` carries a credential.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import orjson

from service.middleware import request_id


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = request_id.get()
        if rid is not None:
            out["request_id"] = rid
        http = getattr(record, "http", None)
        if http is not None:
            out["http"] = http
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(out, default=str).decode()


def log_config(level: str, fmt: str, *, access: bool = True) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the server (uvicorn's own loggers included);
    uvicorn's access log is off, :class:`service.middleware.RequestContext` writes one
    (``access=False`` silences it)."""
    formatter = (
        {"()": "service.logs.JsonFormatter"}
        if fmt == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            },
        },
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "WARNING"},
            "alembic": {"level": "WARNING"},
            "encore.access": {"level": level.upper() if access else "WARNING"},
        },
    }
