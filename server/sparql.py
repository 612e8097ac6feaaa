"""The SPARQL 1.1 Protocol: reading a query operation from a GET or POST request, with its errors."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from urllib.parse import parse_qsl

from server.errors import RkgError

FORM = "application/x-www-form-urlencoded"
QUERY_BODY = "application/sparql-query"
UPDATE_BODY = "application/sparql-update"


class ProtocolError(RkgError):
    """A request that does not follow the SPARQL protocol; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Operation:
    """A query operation: the query (None asks for the service description) and its protocol parameters."""

    query: str | None
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    format: str | None = None
    timeout: float | None = None


def from_params(params: list[tuple[str, str]]) -> Operation:
    """An operation from URL query parameters (GET) or a form body (POST)."""
    names = [name for name, _ in params]
    if "update" in names:
        raise ProtocolError("SPARQL Update is not accepted: this endpoint is read-only")
    queries = [value for name, value in params if name == "query"]
    if len(queries) > 1:
        raise ProtocolError("the request has more than one 'query' parameter; send exactly one query")
    if queries and not queries[0].strip():
        raise ProtocolError("the 'query' parameter is empty")
    return _operation(queries[0] if queries else None, params)


def from_post(content_type: str, body: bytes, url_params: list[tuple[str, str]]) -> Operation:
    """An operation from a POST: a form, or a query as the whole body (`application/sparql-query`)."""
    media, charset = _media_type(content_type)
    if media == UPDATE_BODY:
        raise ProtocolError("SPARQL Update is not accepted: this endpoint is read-only")
    if media == FORM:
        form = parse_qsl(_decode(body, charset), keep_blank_values=True)
        if any(name == "query" for name, _ in url_params):
            raise ProtocolError("the query is given both in the URL and in the form; send it once")
        operation = from_params(url_params + form)
        if operation.query is None:
            raise ProtocolError("the form has no 'query' parameter")
        return operation
    if media == QUERY_BODY:
        if any(name in ("query", "update") for name, _ in url_params):
            raise ProtocolError("the query is given both in the URL and in the request body; send it once")
        query = _decode(body, charset)
        if not query.strip():
            raise ProtocolError("the request body is empty; it should hold the SPARQL query")
        return _operation(query, url_params)
    raise ProtocolError(
        f"unsupported content type {media or '(none)'!r}: POST a form ({FORM}) or a query ({QUERY_BODY})", status=415
    )


def _operation(query: str | None, params: list[tuple[str, str]]) -> Operation:
    defaults = tuple(v for n, v in params if n == "default-graph-uri")
    named = tuple(v for n, v in params if n == "named-graph-uri")
    formats = [v for n, v in params if n == "format"]
    timeouts = [v for n, v in params if n == "timeout"]
    timeout = None
    if timeouts:
        try:
            timeout = float(timeouts[-1])
        except ValueError:
            timeout = -1.0
        if not timeout > 0:
            raise ProtocolError(f"'timeout' must be a positive number of seconds, not {timeouts[-1]!r}")
    return Operation(query, defaults or None, named or None, formats[-1] if formats else None, timeout)


def _media_type(content_type: str) -> tuple[str, str]:
    media, *params = (part.strip() for part in content_type.split(";"))
    charset = "utf-8"
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.lower(), charset


def _decode(body: bytes, charset: str) -> str:
    try:
        codecs.lookup(charset)
    except LookupError:
        raise ProtocolError(f"unknown charset {charset!r}", status=415) from None
    try:
        return body.decode(charset)
    except UnicodeDecodeError as err:
        raise ProtocolError(f"the request body is not valid {charset} (byte {err.start})") from None
