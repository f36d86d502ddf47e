"""GraphQL over HTTP, as the spec (and the graphql-http audit) asks.

A small endpoint of our own rather than Strawberry's view: content negotiation for
``application/graphql-response+json`` (status 400 on request errors, 200 once execution
started), authentication before anything else, and no per-request overhead we do not need.
Subscriptions go over WebSocket with Strawberry's graphql-transport-ws handler only.
"""

from __future__ import annotations

from typing import Any

import orjson
from graphql import ExecutionResult as GraphQLResult
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from strawberry.exceptions import MissingQueryError
from strawberry.schema import Schema
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from schema.context import Context
from schema.policy import UNAUTHENTICATED
from schema.query_cache import MAX_DOCUMENT_LENGTH
from server.auth.service import Principal, authenticate
from server.jobs.queue import JobQueue
from server.settings import Settings

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
# Far above any real operation with its variables; a body is held in memory whole before parsing.
MAX_BODY_BYTES = 1024 * 1024


class HTTPError(Exception):
    def __init__(
        self, status: int, message: str, headers: dict[str, str] | None = None, *, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.code = code

    def body(self) -> bytes:
        error: dict[str, Any] = {"message": self.message}
        if self.code:
            error["extensions"] = {"code": self.code}
        return orjson.dumps({"errors": [error]})


def negotiate(accept: str) -> str:
    """The response media type: graphql-response+json when accepted, else (legacy) application/json."""
    if not accept:
        return JSON
    types = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if GRAPHQL_RESPONSE in types:
        return GRAPHQL_RESPONSE
    if JSON in types or "application/*" in types or "*/*" in types:
        return JSON
    raise HTTPError(406, f"Accept {GRAPHQL_RESPONSE} or {JSON}.")


def _params_from_get(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query_params)
    for key in ("variables", "extensions"):
        if key in params:
            try:
                params[key] = orjson.loads(params[key])
            except orjson.JSONDecodeError:
                raise HTTPError(400, f"{key} is not valid JSON.") from None
    return params


def _too_large() -> HTTPError:
    return HTTPError(413, f"The request body must not exceed {MAX_BODY_BYTES} bytes.", {"Connection": "close"})


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, refused with 413 once it exceeds ``limit``: by its declared length when it
    has one, and by counting as it arrives (chunked bodies declare none)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise HTTPError(400, "Content-Length must be a number of bytes.")
        if int(declared) > limit:
            raise _too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


async def _params_from_post(request: Request) -> Any:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON:
        raise HTTPError(415, f"Send the request as {JSON}.")
    body = await read_body(request)
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise HTTPError(400, "The body is not valid JSON.") from None


def _check(params: Any) -> tuple[str, dict[str, Any] | None, str | None, dict[str, Any] | None]:
    if not isinstance(params, dict):
        raise HTTPError(400, "The body must be a JSON object.")
    query, variables = params.get("query"), params.get("variables")
    operation_name, extensions = params.get("operationName"), params.get("extensions")
    if not isinstance(query, str) or not query:
        raise HTTPError(400, "query must be a non-empty string.")
    if len(query) > MAX_DOCUMENT_LENGTH:
        raise HTTPError(
            400, f"The query document must not exceed {MAX_DOCUMENT_LENGTH} characters: send values as variables."
        )
    if variables is not None and not isinstance(variables, dict):
        raise HTTPError(400, "variables must be an object.")
    if operation_name is not None and not isinstance(operation_name, str):
        raise HTTPError(400, "operationName must be a string.")
    if extensions is not None and not isinstance(extensions, dict):
        raise HTTPError(400, "extensions must be an object.")
    return query, variables, operation_name, extensions


async def principal_from(authorization: str | None) -> Principal | None:
    """The caller behind an ``Authorization: Bearer`` header; a bad token is refused outright."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    principal = await authenticate(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    if principal is None:
        raise HTTPError(
            401,
            "The token is not valid (expired or revoked?): log in again.",
            {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            code=UNAUTHENTICATED,
        )
    return principal


def _is_request_error(result: ExecutionResult) -> bool:
    """Parse, validation and variable errors: nothing was executed, so there is no ``data``."""
    if isinstance(result, PreExecutionError):
        return True
    return result.data is None and bool(result.errors) and all(e.path is None for e in result.errors)


class GraphQLEndpoint:
    def __init__(self, schema: Schema, settings: Settings, queue: JobQueue | None = None) -> None:
        self.schema = schema
        self.settings = settings
        self.queue = queue
        self.graphiql = not settings.production

    async def __call__(self, request: Request) -> Response:
        try:
            return await self.handle(request)
        except HTTPError as error:
            return Response(error.body(), status_code=error.status, media_type=JSON, headers=error.headers)
        except ClientDisconnect:  # gone before its body arrived: nobody to answer, nothing to log
            return Response(status_code=400)

    async def handle(self, request: Request) -> Response:
        if request.method not in ("GET", "POST"):
            raise HTTPError(405, "Use GET or POST.", {"Allow": "GET, POST"})
        accept = request.headers.get("accept", "")
        if request.method == "GET" and "query" not in request.query_params and "text/html" in accept:
            if not self.graphiql:
                raise HTTPError(404, "GraphiQL is off in production.")
            return HTMLResponse(_graphiql_page())
        media_type = negotiate(accept)
        params = _params_from_get(request) if request.method == "GET" else await _params_from_post(request)
        query, variables, operation_name, extensions = _check(params)
        principal = await principal_from(request.headers.get("authorization"))
        allowed = {OperationType.QUERY} if request.method == "GET" else {OperationType.QUERY, OperationType.MUTATION}
        client = request.client.host if request.client else None
        context = Context(settings=self.settings, principal=principal, queue=self.queue, client_address=client)
        try:
            result = await self.schema.execute(
                query, variable_values=variables, context_value=context, operation_name=operation_name,
                allowed_operation_types=allowed, operation_extensions=extensions,
            )  # fmt: skip
        except InvalidOperationTypeError as error:
            if error.operation_type is OperationType.SUBSCRIPTION:
                raise HTTPError(400, "Subscriptions go over WebSocket (graphql-transport-ws) at /graphql.") from None
            raise HTTPError(405, "Only queries may be sent with GET; use POST.", {"Allow": "POST"}) from None
        except CannotGetOperationTypeError as error:
            raise HTTPError(400, error.as_http_error_reason()) from None
        except MissingQueryError:
            raise HTTPError(400, "No operation to run.") from None
        return self.respond(result, media_type)

    def respond(self, result: ExecutionResult | GraphQLResult, media_type: str) -> Response:
        errors = [e.formatted for e in result.errors] if result.errors else None
        if errors and any((e.get("extensions") or {}).get("code") == UNAUTHENTICATED for e in errors):
            body = orjson.dumps({"errors": errors})
            return Response(body, status_code=401, media_type=media_type, headers={"WWW-Authenticate": "Bearer"})
        request_error = _is_request_error(result)  # type: ignore[arg-type]
        payload: dict[str, Any] = {} if request_error else {"data": result.data}
        if errors:
            payload["errors"] = errors
        status = 400 if request_error and media_type == GRAPHQL_RESPONSE else 200
        return Response(orjson.dumps(payload), status_code=status, media_type=media_type)


def _graphiql_page() -> str:
    from strawberry.http.ides import get_graphql_ide_html

    return get_graphql_ide_html(graphql_ide="graphiql")
