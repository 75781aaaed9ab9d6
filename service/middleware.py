"""Pure ASGI middleware every request passes: request id, access log and metrics, the
body size cap and the security headers of HTML pages.

Pure ASGI rather than Starlette's ``BaseHTTPMiddleware``, which runs the app in a task
and copies the response through a stream (tens of microseconds a request); these add a
dict look-up and a wrapped ``send``.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Mapping
from contextvars import ContextVar

import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service import metrics

log = logging.getLogger("encore.access")

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
"""The id of the request being handled, for log records (see :mod:`service.logs`)."""

INCOMING_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

PAGE_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
)  # fmt: skip
"""Given to every HTML response that did not set its own (the story sets a stricter CSP)."""

DOCS_CSP = (
    b"content-security-policy",
    b"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
)
"""Swagger UI at ``/docs`` starts itself with an inline script."""


class RequestContext:
    """Reads ``X-Request-ID`` (or makes one), returns it on the response, logs one JSON
    line per request and counts it by route template (``/v1/users/{user_id}/history``,
    not the path, so metrics have bounded labels)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _incoming_id(scope) or os.urandom(16).hex()  # uuid4().hex costs 4x more
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500
        recorded = False

        def record() -> None:
            """Count and log the request once, as its last byte goes out (so the line is
            written before the client can send its next request) or when it fails."""
            nonlocal recorded
            if recorded:
                return
            recorded = True
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path_format", None) or getattr(route, "path", "unmatched")
            method = scope["method"]
            count, latency = metrics.request_series(method, str(template), status)
            count.inc()
            latency.observe(elapsed)
            if log.isEnabledFor(logging.INFO):
                log.info(
                    "request",
                    extra={"http": {
                        "method": method, "path": scope["path"], "route": template,
                        "status": status, "ms": round(elapsed * 1000, 3),
                        "caller": _caller(scope),
                    }},
                )  # fmt: skip

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.body" and not message.get("more_body"):
                record()
            elif message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                headers.append((b"x-request-id", rid.encode()))
                if _is_html(headers):
                    present = {k.lower() for k, _ in headers}
                    if scope["path"].startswith("/docs"):
                        present.add(DOCS_CSP[0])
                        headers.append(DOCS_CSP)
                    headers.extend(h for h in PAGE_HEADERS if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            record()
            request_id.reset(token)


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if INCOMING_ID.fullmatch(text) else None
    return None


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers)


def _caller(scope: Scope) -> str | None:
    state = scope.get("state")
    principal = state.get("principal") if isinstance(state, Mapping) else None
    return getattr(principal, "caller", None)


class BodyLimit:
    """Refuses a request body over ``default`` bytes (``limits`` by exact path for routes
    with a larger cap of their own) with 413, whether it declares its length or streams.
    The routes' own checks still give their precise messages below the cap."""

    def __init__(self, app: ASGIApp, *, default: int, limits: Mapping[str, int]) -> None:
        self.app = app
        self.default = default
        self.limits = dict(limits)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.default)
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit() or int(value) > limit:
                    await _too_large(send, limit)
                    return
                break
        seen = 0

        async def receive_capped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        try:
            await self.app(scope, receive_capped, send)
        except BodyTooLarge:
            await _too_large(send, limit)


class BodyTooLarge(HTTPException):
    """Raised from ``receive``; an HTTPException so FastAPI's body parsing passes it on
    (it turns other errors into a 400), answered by :func:`too_large_body`."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"body is over the limit of {limit} bytes")
        self.limit = limit


def too_large_body(limit: int) -> bytes:
    return orjson.dumps(
        {"detail": [{"loc": ["body"], "msg": f"body is over the limit of {limit} bytes",
                     "type": "too_large"}]}
    )  # fmt: skip


async def _too_large(send: Send, limit: int) -> None:
    body = too_large_body(limit)
    await send({
        "type": "http.response.start", "status": 413,
        "headers": [(b"content-type", b"application/json"), (b"connection", b"close"),
                    (b"content-length", str(len(body)).encode())],
    })  # fmt: skip
    await send({"type": "http.response.body", "body": body})
