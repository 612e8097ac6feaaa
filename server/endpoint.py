"""The SPARQL endpoint's routes: queries (GET, POST) through the guard and the worker pool, and the service
description; with the helpers that negotiate a format and read a size-limited body."""

from __future__ import annotations

import math

import pyoxigraph as ox
from fastapi import FastAPI, Request
from starlette.responses import Response

from server.catalog import CATALOG_PREFIXES, service_description
from server.executor import Job, QueryFailed
from server.formats import GRAPH_TYPES, HTML, RESULT_TYPES
from server.guard import QueryRefused, inspect
from server.negotiate import from_format, pick
from server.pages import service_page
from server.project import PREFIXES
from server.responsecache import mark_storable
from server.responses import READ, etag, read_response
from server.resultcache import ResultCache
from server.site import Site
from server.sparql import Operation, ProtocolError, from_params, from_post

EXAMPLE_QUERY = """PREFIX rep: <https://w3id.org/repatriation-kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?figure ?hedge ?who ?source WHERE {
  ?claim rep:subject <https://w3id.org/repatriation-kg/id/kazakhstan> ;
         rep:property rep:repatriatedCount ;
         rep:quantity ?figure ; rep:approximation ?hedge ;
         rep:claimedBy/rdfs:label ?who ; rep:reportedIn/rdfs:label ?source .
} ORDER BY DESC(?figure)"""


def register(app: FastAPI, site: Site) -> None:
    """The /sparql routes."""
    settings = site.settings
    results = ResultCache(site.version, max_entries=settings.result_cache)

    @app.api_route("/sparql", methods=READ, summary="SPARQL 1.1 query (GET); without a query, the service description")
    async def sparql_get(request: Request) -> Response:
        operation = from_params(list(request.query_params.multi_items()))
        if operation.query is None:
            return service(request, operation)
        response = await run(request, operation, cacheable=True)
        mark_storable(request.scope)  # the answer depends on the query string and Accept only
        return response

    @app.post("/sparql", summary="SPARQL 1.1 query (POST form or application/sparql-query)")
    async def sparql_post(request: Request) -> Response:
        body = await _body(request, settings.max_body)
        operation = from_post(request.headers.get("content-type", ""), body, list(request.query_params.multi_items()))
        return await run(request, operation, cacheable=False)

    def service(request: Request, operation: Operation) -> Response:
        endpoint = str(request.url.replace(query="", fragment=""))
        if not operation.format and pick(request.headers.get("accept", ""), [*GRAPH_TYPES, HTML]) == HTML:
            page = service_page(
                endpoint=endpoint, timeout=settings.query_timeout, cap=settings.result_cap, example=EXAMPLE_QUERY
            )
            tag = etag(site.version, "sd", endpoint, HTML)
            return read_response(request, page.encode(), "text/html; charset=utf-8", tag, site.modified)
        triples = service_description(endpoint, site.store, site.triples, settings.query_timeout, settings.result_cap)
        return rdf_response(request, site, triples, operation.format, "sd", endpoint)

    async def run(request: Request, operation: Operation, cacheable: bool) -> Response:
        assert operation.query is not None
        try:
            found = inspect(operation.query, max_depth=settings.max_depth, prefixes=PREFIXES)
        except QueryRefused as err:
            raise ProtocolError(str(err)) from None
        refused = [s for s in found.services if s not in settings.service_allowlist]
        if refused:
            raise ProtocolError(f"SERVICE <{refused[0]}> is not allowed: this endpoint calls no remote services")
        for graph in (*found.from_graphs, *(operation.default_graphs or ()), *(operation.named_graphs or ())):
            if graph not in site.graphs:
                raise ProtocolError(f"<{graph}> names no graph of this store, and remote graphs are not loaded")
        offered = list(GRAPH_TYPES) if found.form in ("CONSTRUCT", "DESCRIBE") else list(RESULT_TYPES)
        media = choose(request, operation.format, offered)
        timeout = min(settings.query_timeout, operation.timeout or math.inf)
        job = Job(
            operation.query,
            media,
            settings.result_cap,
            PREFIXES,
            operation.default_graphs,
            operation.named_graphs,
            query_dataset=bool(found.from_graphs),
        )
        written = results.get(job)
        if written is None:
            try:
                written = await site.pool.run(job, timeout)
            except QueryFailed as err:
                raise ProtocolError(str(err)) from None
            results.put(job, written)
        headers = {"Vary": "Accept"}
        if written.count is not None:
            headers["X-Result-Count"] = str(written.count)
        if written.truncated:
            limit = written.engine_limit
            why = "the result cap" if limit is None else f"the engine's own limit of {limit} rows"
            headers["X-Result-Truncated"] = f"only the first {written.count} results are returned ({why})"
        if not cacheable:
            return Response(written.body, media_type=written.media_type, headers=headers)
        params = [*request.query_params.multi_items()]
        response = read_response(request, written.body, written.media_type, etag(site.version, media, str(params)),
                                 site.modified)  # fmt: skip
        response.headers.update(headers)
        return response


def rdf_response(request: Request, site: Site, triples: list[ox.Triple], fmt: str | None, *key: str) -> Response:
    """An RDF description in the negotiated format, cacheable."""
    media = choose(request, fmt, list(GRAPH_TYPES))
    body = ox.serialize(triples, format=GRAPH_TYPES[media], prefixes=CATALOG_PREFIXES)
    return read_response(request, body, media, etag(site.version, *key, media), site.modified)


def choose(request: Request, fmt: str | None, offered: list[str]) -> str:
    """The media type from a `format` parameter, else from Accept; 406 when nothing offered fits."""
    if fmt:
        media = from_format(fmt, offered)
        if media is None:
            raise ProtocolError(f"unknown or unsuitable format {fmt!r}; choose one of {', '.join(offered)}", status=400)
        return media
    media = pick(request.headers.get("accept", ""), offered)
    if media is None:
        raise ProtocolError(f"none of the accepted media types is available; choose one of {', '.join(offered)}", 406)
    return media


async def _body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 past `limit` bytes (declared or actually sent)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ProtocolError(f"the request body is larger than {limit} bytes", status=413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ProtocolError(f"the request body is larger than {limit} bytes", status=413)
        chunks.append(chunk)
    return b"".join(chunks)
