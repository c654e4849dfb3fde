"""A request's parameters as PHP sees them: ``$_GET``, ``$_POST`` and ``$_FILES``.

The query string and ``application/x-www-form-urlencoded`` bodies are split with PHP's rules
(:func:`smsd.api.forms.parse_urlencoded`) and built into nested values from bracket keys
(:func:`smsd.api.forms.build`); ``multipart/form-data`` bodies give text fields to the form and
uploaded files (:class:`Upload`) to ``files``, both built the same way. A JSON object body is our
extension: it becomes the form (files stay empty). Any other body is ignored, as PHP does.

Bodies are read for POST, PUT and PATCH only (PHP fills ``$_POST`` for POST only; the others
have no route taking a body yet). The size limit is the application's ``client_max_size``.
Parsing happens once per request; the result is kept on the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from smsd.api.envelope import ApiError, ErrorCode
from smsd.api.forms import FormError, build, from_json, parse_urlencoded

__all__ = ["Params", "Upload", "read_params"]

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


@dataclass(frozen=True)
class Upload:
    """An uploaded file: the client's file name, its declared type and its bytes."""

    filename: str
    content_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Params:
    """Query (``$_GET``), form (``$_POST``, or the JSON body) and files (``$_FILES``)."""

    query: dict[str, object]
    form: dict[str, object]
    files: dict[str, object]
    json_body: bool = False

    def get(self, name: str) -> object:
        """The form value ``name`` (``None`` when absent)."""
        return self.form.get(name)


_KEY = web.RequestKey("params", Params)
_FAILED = web.RequestKey("params_error", ApiError)


def _bad_body(exc: Exception) -> ApiError:
    return ApiError(ErrorCode.INVALID_PARAMETER, f"body : {exc}")


async def read_params(request: web.Request) -> Params:
    """Parse (once) and return the request's parameters; a malformed body is error 2."""
    cached = request.get(_KEY)
    if isinstance(cached, Params):
        return cached
    failed = request.get(_FAILED)
    if failed is not None:
        raise failed  # the body is consumed: the first parse's error stands
    try:
        params = await _read(request)
    except ApiError as exc:
        request[_FAILED] = exc
        raise
    request[_KEY] = params
    return params


async def _read(request: web.Request) -> Params:
    try:
        query = build(parse_urlencoded(request.rel_url.raw_query_string))
    except FormError as exc:
        raise ApiError(ErrorCode.INVALID_PARAMETER, f"query : {exc}") from exc
    form: dict[str, object] = {}
    files: dict[str, object] = {}
    json_body = False
    if request.method in _BODY_METHODS and request.can_read_body:
        content_type = request.content_type
        try:
            if content_type == "application/x-www-form-urlencoded":
                form = build(parse_urlencoded(await request.read()))
            elif content_type == "multipart/form-data":
                form, files = await _multipart(request)
            elif content_type == "application/json" or content_type.endswith("+json"):
                form = from_json(await request.read())
                json_body = True
        except FormError as exc:
            raise _bad_body(exc) from exc
        except (ValueError, UnicodeDecodeError) as exc:  # malformed multipart framing
            raise _bad_body(exc) from exc
        except HttpProcessingError as exc:  # a part's headers aiohttp refuses (control bytes)
            raise _bad_body(exc) from exc
    return Params(query=query, form=form, files=files, json_body=json_body)


async def _multipart(request: web.Request) -> tuple[dict[str, object], dict[str, object]]:
    posted = await request.post()
    fields: list[tuple[str, object]] = []
    uploads: list[tuple[str, object]] = []
    for name, value in posted.items():
        if isinstance(value, web.FileField):
            data = value.file.read()
            uploads.append((name, Upload(value.filename, value.content_type, data)))
        else:
            fields.append((name, value if isinstance(value, str) else bytes(value).decode()))
    return build(fields), build(uploads)
