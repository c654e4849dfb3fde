"""The route table: each route declared once, served in every path form, documented from it.

Every route is installed under the prefix and at the root, with and without its trailing slash,
and the OpenAPI document is built from the same data.

A :class:`Route` names its verb, its path (without the trailing slash), its handler, whether it
needs an API key, and its parameters (:class:`Param`). Modules add their routes to a
:class:`RouteTable` (``table.extend(routes)``); :meth:`RouteTable.install` registers, for each
route, ``prefix + path``, ``prefix + path + "/"``, ``path`` and ``path + "/"``. Path parameters
match one segment (``[^/]+``) and arrive URL-decoded. A GET route answers HEAD too unless it has
side effects (``/api/send-sms/`` sends: a HEAD or a link prefetch must not).

:func:`base_url` is RaspiSMS's ``HTTP_PWD`` for links in answers: scheme and host as the client
reached us (``X-Forwarded-Proto`` and ``X-Forwarded-Host`` when a proxy sets them, else the
connection's scheme and the ``Host`` header), followed by the prefix when the request came
through it.

:func:`lazy` is a handler that imports its module on the first request: a door's route table
(paths, parameters, OpenAPI fields) costs little at start, its handlers load when first used.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal, cast

from aiohttp import web

from smsd.api.auth import requires_key

__all__ = ["PREFIX_MATCHED", "Handler", "Param", "Route", "RouteTable", "base_url", "lazy"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Location = Literal["path", "query", "form", "header"]
Kind = Literal["string", "integer", "boolean", "number", "array", "file", "object"]

PREFIX_MATCHED = web.RequestKey("prefix", str)
"""Request key: the prefix the request came through (``""`` at the root)."""


@dataclass(frozen=True)
class Param:
    """One documented parameter of a route."""

    name: str
    location: Location
    kind: Kind = "string"
    required: bool = False
    description: str = ""


@dataclass(frozen=True)
class Route:
    """One verb on one path."""

    method: str
    path: str
    handler: Handler
    summary: str
    params: tuple[Param, ...] = ()
    auth: bool = True
    head: bool = True
    tag: str = "raspisms"
    success_status: int = 200
    description: str = ""
    openapi: Mapping[str, object] | None = None
    """A door's own OpenAPI operation fields (request body, responses, security), replacing
    those built from the other fields."""

    @property
    def operation_id(self) -> str:
        """A stable OpenAPI operation id: the handler's name."""
        return getattr(self.handler, "__name__", "handler")


class RouteTable:
    """An ordered collection of routes other modules extend."""

    def __init__(self, routes: Iterable[Route] = ()) -> None:
        self._routes: list[Route] = []
        self.extend(routes)

    def extend(self, routes: Iterable[Route]) -> None:
        """Add routes; a second route for the same verb and path is a programming error."""
        for route in routes:
            if any(r.method == route.method and r.path == route.path for r in self._routes):
                raise ValueError(f"duplicate route {route.method} {route.path}")
            if route.path.endswith("/") or not route.path.startswith("/"):
                raise ValueError(f"route path {route.path!r} must start and not end with '/'")
            self._routes.append(route)

    def __iter__(self) -> Iterator[Route]:
        return iter(self._routes)

    def __len__(self) -> int:
        return len(self._routes)

    def install(self, app: web.Application, prefix: str) -> None:
        """Register every route under ``prefix`` and at the root, with and without ``/``."""
        bases = [prefix.rstrip("/")] if prefix.strip("/") else []
        bases.append("")
        resources: dict[str, web.Resource] = {}
        for base in bases:
            for route in self._routes:
                handler = _wrap(route, base)
                for path in (base + route.path, base + route.path + "/"):
                    resource = resources.get(path)
                    if resource is None:
                        resource = resources[path] = app.router.add_resource(path)
                    resource.add_route(route.method, handler)
                    if route.method == "GET" and route.head:
                        resource.add_route("HEAD", handler)


def _attribute(target: str) -> object:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def lazy(target: str, name: str, *, wrap: str | None = None, args: tuple[str, ...] = ()) -> Handler:
    """A handler named ``name`` that imports ``target`` (``"module:attribute"``) when first called.

    The attribute is the handler; with ``args`` it is a factory called with them; with ``wrap``
    (``"module:decorator"``) the result is decorated. This is resolved once, on the first
    request; later requests call the resolved handler directly.
    """
    resolved: Handler | None = None

    async def handler(request: web.Request) -> web.StreamResponse:
        nonlocal resolved
        if resolved is None:
            resolved = _resolve(target, wrap, args)
        return await resolved(request)

    handler.__name__ = name
    return handler


def _resolve(target: str, wrap: str | None, args: tuple[str, ...]) -> Handler:
    found = _attribute(target)
    if args:
        found = cast("Callable[..., object]", found)(*args)
    if wrap is not None:
        found = cast("Callable[[object], object]", _attribute(wrap))(found)
    return cast("Handler", found)


def _wrap(route: Route, base: str) -> Handler:
    inner = requires_key(route.handler) if route.auth else route.handler

    async def handler(request: web.Request) -> web.StreamResponse:
        request[PREFIX_MATCHED] = base
        return await inner(request)

    handler.__name__ = route.operation_id
    return handler


def _first(value: str | None) -> str | None:
    if value is None:
        return None
    first = value.split(",", 1)[0].strip()
    return first or None


def base_url(request: web.Request) -> str:
    """``scheme://host`` + the prefix the request came through (RaspiSMS's ``HTTP_PWD``)."""
    scheme = _first(request.headers.get("X-Forwarded-Proto"))
    if scheme not in {"http", "https"}:
        scheme = request.scheme
    host = _first(request.headers.get("X-Forwarded-Host")) or request.host
    prefix = request.get(PREFIX_MATCHED) or ""
    return f"{scheme}://{host}{prefix}"
