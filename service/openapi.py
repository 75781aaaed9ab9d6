"""OpenAPI helpers for routes that read their body themselves (to validate per item)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from service.auth import openapi as auth_openapi
from service.auth.access import Access

REF = "#/components/schemas/{model}"
UNREADABLE = {"description": "the body could not be read at all (e.g. not UTF-8)"}
"""FastAPI's own 400 for a body it cannot decode, on every operation that takes one."""


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` documenting ``model`` as the JSON request body."""
    schema = model.model_json_schema(ref_template=REF)
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def install(app: FastAPI, routers: tuple[tuple[Any, Access], ...] = ()) -> None:
    """Build the schema once, hoisting the ``$defs`` of hand-documented bodies into components,
    documenting the 400 of an unreadable body and the access ``routers`` (the ROUTERS table)
    need."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                if "requestBody" in operation:
                    operation["responses"].setdefault("400", UNREADABLE)
                body = operation.get("requestBody", {}).get("content", {}).get("application/json")
                if body and "$defs" in body["schema"]:
                    components.update(body["schema"].pop("$defs"))
                    title = body["schema"]["title"]
                    components[title] = body["schema"]
                    body["schema"] = {"$ref": REF.format(model=title)}
        auth_openapi.document(schema, routers)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
