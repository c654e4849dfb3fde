"""``GET /api/openapi.json``: an OpenAPI 3.0 document built from the route table itself.

Every installed route appears once, under its canonical path with the trailing slash; the
servers list names the prefix and the root, where every route also answers. Parameters, the
API-key security schemes and the envelope schema come from the same :class:`Route` data the
router uses, so the document cannot drift from what is served. The route itself is
:func:`smsd.api.docroute.openapi_route`: this module is loaded by the first request for the
document, not at start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smsd import __version__

if TYPE_CHECKING:
    from smsd.api.routing import Param, Route, RouteTable

__all__ = ["OPENAPI_PATH", "build_document"]

OPENAPI_PATH = "/api/openapi.json"
_ENVELOPE = {
    "type": "object",
    "required": ["error", "message", "response", "next", "prev"],
    "properties": {
        "error": {"type": "integer", "description": "0, or the RaspiSMS error code"},
        "message": {"type": "string", "nullable": True},
        "response": {"description": "the answer; null on error"},
        "next": {"type": "string", "nullable": True, "description": "next page link"},
        "prev": {"type": "string", "nullable": True, "description": "previous page link"},
    },
}
_JSON_ENVELOPE = {"application/json": {"schema": {"$ref": "#/components/schemas/Envelope"}}}


def _schema(param: Param) -> dict[str, object]:
    if param.kind == "file":
        return {"type": "string", "format": "binary"}
    if param.kind == "array":
        return {"type": "array", "items": {}}
    return {"type": param.kind}


def _operation(route: Route) -> dict[str, object]:
    operation: dict[str, object] = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "tags": [route.tag],
    }
    if route.description:
        operation["description"] = route.description
    listed = [
        {
            "name": p.name,
            "in": p.location,
            "required": p.required or p.location == "path",
            "description": p.description,
            "schema": _schema(p),
        }
        for p in route.params
        if p.location != "form"
    ]
    if listed:
        operation["parameters"] = listed
    form = [p for p in route.params if p.location == "form"]
    if form:
        schema = {
            "type": "object",
            "properties": {p.name: {**_schema(p), "description": p.description} for p in form},
            "required": [p.name for p in form if p.required],
        }
        operation["requestBody"] = {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {"schema": schema},
                "multipart/form-data": {"schema": schema},
                "application/json": {"schema": schema},
            },
        }
    ok = str(route.success_status)
    responses: dict[str, object] = {
        ok: {"description": "success"}
        if route.success_status == 204
        else {"description": "success", "content": _JSON_ENVELOPE},
        "default": {"description": "error envelope", "content": _JSON_ENVELOPE},
    }
    if route.auth:
        responses["401"] = {"description": "missing or unknown key", "content": _JSON_ENVELOPE}
        responses["403"] = {"description": "suspended user", "content": _JSON_ENVELOPE}
        operation["security"] = [{"apiKeyQuery": []}, {"apiKeyHeader": []}]
    operation["responses"] = responses
    if route.openapi is not None:
        operation.update(route.openapi)
    return operation


def build_document(routes: RouteTable, prefix: str) -> dict[str, object]:
    """The OpenAPI document of ``routes``."""
    paths: dict[str, dict[str, object]] = {}
    for route in routes:
        paths.setdefault(route.path + "/", {})[route.method.lower()] = _operation(route)
    servers = [{"url": "/"}]
    if prefix.strip("/"):
        servers.insert(0, {"url": prefix.rstrip("/")})
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "smsd (RaspiSMS-compatible API)",
            "version": __version__,
            "description": "Every path also answers without the trailing slash.",
        },
        "servers": servers,
        "paths": paths,
        "components": {
            "schemas": {"Envelope": _ENVELOPE},
            "securitySchemes": {
                "apiKeyQuery": {"type": "apiKey", "in": "query", "name": "api_key"},
                "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "the API key"},
            },
        },
    }
