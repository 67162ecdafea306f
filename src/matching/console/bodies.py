"""What a request body may be, route by route, and where it is parsed.

Every route of the console is a :class:`BoundedRoute`:

* its body is held to the limit of its kind (:func:`body_limit`): a volunteer's mark
  :data:`MARK_BYTES`, a JSON call or a form :data:`CALL_BYTES`, rosters
  :data:`UPLOAD_BYTES`. A body over it is refused with 413 from its ``Content-Length``, or
  as soon as it streams past, before it is read whole;
* a JSON body is parsed in a worker thread, never on the event loop that answers everyone
  else, and nested at most :data:`MAX_JSON_DEPTH` deep; a body that is not JSON, or is too
  deep, answers 422 (400 for a mark), never 500;
* a body whose type the route does not take answers 415.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, params
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Message

from matching.console import service
from matching.rules.limits import STREETS_UPLOAD_BYTES

#: The largest body of a volunteer's mark (a mark is a few short fields and a comment).
MARK_BYTES = 4 * 1024
#: The largest body of a JSON call or a page's form (an approval of 10,000 marks fits).
CALL_BYTES = 512 * 1024
#: The largest body of an upload: three rosters at the upload limit, and a form around them.
UPLOAD_BYTES = 3 * service.MAX_UPLOAD_BYTES + 2**20

#: How deep a JSON body may nest (the deepest the console takes is three: a change's row).
MAX_JSON_DEPTH = 16

#: The largest body of a street extract's upload: the extract, and a form around it.
STREETS_BODY_BYTES = STREETS_UPLOAD_BYTES + 2**20
#: Routes that take a street extract, by the end of their path.
STREETS_PATHS = ("/streets",)

#: Routes that take files (multipart), by the end of their path.
UPLOAD_PATHS = ("/inputs", "/upload", "/upload/{token}")


def body_limit(path: str) -> int:
    """The largest body the route at ``path`` (its template) takes."""
    if path.startswith("/v/"):
        return MARK_BYTES
    if path.endswith(STREETS_PATHS):
        return STREETS_BODY_BYTES
    if path.endswith(UPLOAD_PATHS):
        return UPLOAD_BYTES
    return CALL_BYTES


def json_depth(value: object) -> int:
    """How deep ``value`` nests (a number or a string: 0; ``[1]``: 1), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


class BadJson(ValueError):
    """A body that is not JSON the console takes (``reason`` says why)."""


def parse_json(body: bytes) -> object:
    """A JSON body, checked: UTF-8, JSON, and at most :data:`MAX_JSON_DEPTH` deep.

    Raises
    ------
    BadJson
        Saying what is wrong.
    """
    try:
        value = json.loads(body)
    except RecursionError:
        raise BadJson(f"the JSON nests deeper than {MAX_JSON_DEPTH}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadJson(f"the body is not JSON ({exc})") from None
    if json_depth(value) > MAX_JSON_DEPTH:
        raise BadJson(f"the JSON nests deeper than {MAX_JSON_DEPTH}")
    return value


class BoundedRequest(Request):
    """A request whose JSON is parsed off the event loop (its body is counted by
    :class:`BoundedRoute` as it streams)."""

    mark: bool = False

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = await run_in_threadpool(parse_json, body)
            except BadJson as exc:
                raise HTTPException(400 if self.mark else 422, str(exc)) from None
        return self._json


def too_large(limit: int) -> HTTPException:
    """413 for a body over ``limit`` bytes."""
    size = f"{limit // 1024} KB" if limit < 2**20 else f"{limit // 2**20} MB"
    return HTTPException(413, f"the request is larger than {size}",
                         headers={"connection": "close"})


#: What each kind of route takes, by the start of its ``Content-Type``.
JSON_TYPES = ("application/json",)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class BoundedRoute(APIRoute):
    """A route whose body is held to its kind's limit, parsed off the event loop, and of
    a type it takes (see the module's text)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        limit, mark = body_limit(self.path_format), self.path_format.startswith("/v/")
        body = self.body_field
        form = any(isinstance(p.field_info, params.Form) for p in self.dependant.body_params)
        takes = FORM_TYPES if form else JSON_TYPES

        async def bounded(request: Request) -> Response:
            length = request.headers.get("content-length")
            if length is not None and (not length.isdigit() or int(length) > limit):
                raise too_large(limit)
            if body is not None:
                kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
                if (kind or length not in (None, "0")) and kind not in takes:
                    raise HTTPException(415, f"send {' or '.join(takes)}")
            seen = 0

            async def counted() -> Message:
                nonlocal seen
                message = await request.receive()
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise too_large(limit)
                return message

            guarded = BoundedRequest(request.scope, counted, request._send)
            guarded.mark = mark
            return await handler(guarded)

        return bounded
