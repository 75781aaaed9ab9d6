"""What the access check means in the OpenAPI document: a bearer security scheme on every
operation that needs a credential, and its 401, 403 and 429 answers (so Swagger UI offers
"Authorize" and schema-driven clients and testers know every status they may meet)."""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute

from service.auth.access import Access

SCHEME = "bearer"
ERROR = {
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"},
                                                                 {"type": "integer"}]}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                    "ctx": {"type": "object"},
                },
            },
        }
    },
}  # fmt: skip
ANSWERS = {
    "401": "no credential, or an invalid, expired or revoked one",
    "403": "the credential lacks the scope (or is another listener's token), or CSRF failed",
    "429": "over the caller's rate limit; see Retry-After",
}


def guarded(routers: tuple[tuple[Any, Access], ...]) -> set[tuple[str, str]]:
    """(path, lower-case method) of every operation that needs a credential."""
    out: set[tuple[str, str]] = set()
    for router, access in routers:
        for route in router.routes:
            own = [d.dependency for d in getattr(route, "dependencies", ())
                   if isinstance(d.dependency, Access)]  # fmt: skip
            if not isinstance(route, APIRoute) or all(a.scope is None for a in [access, *own]):
                continue
            out.update((route.path_format, m.lower()) for m in route.methods or ())
    return out


def document(schema: dict[str, Any], routers: tuple[tuple[Any, Access], ...]) -> None:
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})[SCHEME] = {
        "type": "http", "scheme": "bearer",
        "description": "an API key (enc_...) or a listener's token",
    }  # fmt: skip
    components.setdefault("schemas", {})["AuthError"] = ERROR
    needs = guarded(routers)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if (path, method) not in needs:
                continue
            operation["security"] = [{SCHEME: []}]
            responses = operation.setdefault("responses", {})
            for status, description in ANSWERS.items():
                responses.setdefault(status, {
                    "description": description,
                    "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/AuthError"}}},
                })  # fmt: skip
