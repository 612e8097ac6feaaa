"""The web application: a thin layer that routes requests to the protocol, the query pool and the pages."""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pyoxigraph as ox
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from server import editor, linkeddata, queries
from server.canned import load_queries
from server.catalog import CATALOG_PREFIXES, DUMP_TYPES, service_description, void_description
from server.errors import RkgError
from server.executor import Job, QueryFailed, QueryTimeout
from server.formats import GRAPH_TYPES, RESULT_TYPES
from server.guard import QueryRefused, inspect
from server.negotiate import from_format, pick
from server.pages import data_page, home_page, service_page
from server.project import PREFIXES
from server.responses import error_response, etag, read_response
from server.site import Site
from server.sparql import Operation, ProtocolError, from_params, from_post
from server.summary import summarise

access_log = logging.getLogger("server.access")
log = logging.getLogger(__name__)

READ = ["GET"]  # HEAD is answered by HeadAsGet (app.py)
HTML = "text/html"
EXAMPLE_QUERY = """PREFIX rep: <https://w3id.org/repatriation-kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?figure ?hedge ?who ?source WHERE {
  ?claim rep:subject <https://w3id.org/repatriation-kg/id/kazakhstan> ;
         rep:property rep:repatriatedCount ;
         rep:quantity ?figure ; rep:approximation ?hedge ;
         rep:claimedBy/rdfs:label ?who ; rep:reportedIn/rdfs:label ?source .
} ORDER BY DESC(?figure)"""


def create_app(site: Site) -> FastAPI:
    """The application serving `site`; the query pool starts and stops with it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await site.pool.start()
        yield
        await site.pool.close()
        site.close()

    app = FastAPI(
        title="repatriation-kg",
        summary="SPARQL endpoint and linked data of the repatriation knowledge graph",
        lifespan=lifespan,
        docs_url=None,  # served below from the vendored Swagger UI: nothing is fetched from the internet
        redoc_url=None,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(site.settings.cors_origins),
        allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
        allow_headers=["Accept", "Content-Type", "If-None-Match", "If-Modified-Since"],
        expose_headers=["ETag", "Last-Modified", "X-Result-Truncated", "X-Result-Count"],
        max_age=3600,
    )
    app.add_middleware(HeadAsGet)
    app.add_middleware(AccessLog)
    _errors(app)
    _sparql_routes(app, site)
    _data_routes(app, site)
    linkeddata.register(app, site)

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="repatriation-kg API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
            swagger_ui_parameters={"validatorUrl": None, "defaultModelsExpandDepth": -1},
        )

    queries.register(app, site, load_queries(site.settings.queries))
    editor.register(app, site)
    return app


class HeadAsGet:
    """HEAD is GET without the body: routes see GET; the server sends the headers only (uvicorn drops the body)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "HEAD":
            scope = dict(scope, method="GET")
        await self.app(scope, receive, send)


class AccessLog:
    """One log line per request: method, path, status and duration."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), 500

        async def record(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            access_log.info(
                "%s %s %d %.1fms", scope["method"], scope["path"], status, (time.perf_counter() - start) * 1000
            )


def _errors(app: FastAPI) -> None:
    @app.exception_handler(RkgError)
    async def known(request: Request, err: RkgError) -> Response:
        if isinstance(err, QueryTimeout):
            return error_response(503, str(err), {"Retry-After": "5"})
        status = err.status if isinstance(err, ProtocolError) else 400
        return error_response(status, str(err))

    @app.exception_handler(StarletteHTTPException)
    async def http(request: Request, err: StarletteHTTPException) -> Response:
        message = "nothing is published at this address" if err.status_code == 404 else str(err.detail)
        return error_response(err.status_code, message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, err: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, "the server could not answer this request; the error has been logged")


def _sparql_routes(app: FastAPI, site: Site) -> None:
    settings = site.settings

    @app.api_route("/sparql", methods=READ, summary="SPARQL 1.1 query (GET); without a query, the service description")
    async def sparql_get(request: Request) -> Response:
        operation = from_params(list(request.query_params.multi_items()))
        if operation.query is None:
            return service(request, operation)
        return await run(request, operation, cacheable=True)

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
        return _rdf(request, site, triples, operation.format, "sd", endpoint)

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
        media = _choose(request, operation.format, offered)
        timeout = min(settings.query_timeout, operation.timeout or math.inf)
        job = Job(
            operation.query, media, settings.result_cap, PREFIXES, operation.default_graphs, operation.named_graphs
        )
        try:
            written = await site.pool.run(job, timeout)
        except QueryFailed as err:
            raise ProtocolError(str(err)) from None
        headers = {"Vary": "Accept"}
        if written.count is not None:
            headers["X-Result-Count"] = str(written.count)
        if written.truncated:
            headers["X-Result-Truncated"] = f"only the first {written.count} results are returned (the result cap)"
        if not cacheable:
            return Response(written.body, media_type=written.media_type, headers=headers)
        params = [*request.query_params.multi_items()]
        response = read_response(request, written.body, written.media_type, etag(site.version, media, str(params)),
                                 site.modified)  # fmt: skip
        response.headers.update(headers)
        return response


def _data_routes(app: FastAPI, site: Site) -> None:
    @app.api_route("/health", methods=READ, summary="Liveness and the size and version of the data")
    def health() -> dict[str, object]:
        return {"status": "ok", "triples": site.triples, "version": site.version}

    summary = summarise(site.store, site.triples)

    @app.api_route("/", methods=READ, summary="Home page", include_in_schema=False)
    def home(request: Request) -> Response:
        page = home_page(summary, base_iri=site.settings.base_iri).encode()
        return read_response(request, page, "text/html; charset=utf-8", etag(site.version, "home"), site.modified)

    @app.api_route("/data", methods=READ, summary="The dumps and named graphs (HTML or JSON)")
    def data(request: Request) -> Response:
        dumps = [(f"repatriation-kg.{ext}", media) for ext, media in DUMP_TYPES.items()]
        graphs = sorted(site.graphs)
        if pick(request.headers.get("accept", ""), ["application/json", HTML]) == HTML:
            page = data_page(triples=site.triples, version=site.version, dumps=dumps, graphs=graphs).encode()
            return read_response(request, page, "text/html; charset=utf-8", etag(site.version, "data"), site.modified)
        listing = {
            "version": site.version,
            "triples": site.triples,
            "dumps": [{"href": f"/data/{name}", "type": media} for name, media in dumps],
            "graphs": graphs,
        }
        body = json.dumps(listing, indent=1).encode()
        return read_response(request, body, "application/json", etag(site.version, "data", "json"), site.modified)

    @app.api_route("/.well-known/void", methods=READ, summary="VoID description of the dataset")
    @app.api_route("/dataset", methods=READ, include_in_schema=False)
    def void(request: Request, format: str | None = None) -> Response:
        root = str(request.base_url).rstrip("/")
        triples = void_description(root, site.store, site.triples, site.modified.isoformat())
        return _rdf(request, site, triples, format, "void", root)

    @app.api_route("/context.jsonld", methods=READ, summary="The JSON-LD context of the data")
    @app.api_route("/data/context.jsonld", methods=READ, include_in_schema=False)  # beside the JSON-LD dump
    def context(request: Request) -> Response:
        body = site.dumps()["context.jsonld"]
        return read_response(request, body, "application/ld+json", etag(site.version, "context"), site.modified, False)

    @app.api_route("/data/repatriation-kg.{ext}", methods=READ, summary="The whole graph as one file")
    def dump(request: Request, ext: str) -> Response:
        if ext not in DUMP_TYPES:
            raise ProtocolError(f"no dump in format {ext!r}; choose one of {', '.join(DUMP_TYPES)}", status=404)
        body = site.dumps()[f"repatriation-kg.{ext}"]
        media = DUMP_TYPES[ext]
        return read_response(request, body, media, etag(site.version, "dump", ext), site.modified, False)


def _rdf(request: Request, site: Site, triples: list[ox.Triple], fmt: str | None, *key: str) -> Response:
    """An RDF description in the negotiated format, cacheable."""
    media = _choose(request, fmt, list(GRAPH_TYPES))
    body = ox.serialize(triples, format=GRAPH_TYPES[media], prefixes=CATALOG_PREFIXES)
    return read_response(request, body, media, etag(site.version, *key, media), site.modified)


def _choose(request: Request, fmt: str | None, offered: list[str]) -> str:
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
