"""The web application: a thin layer that routes requests to the protocol, the query pool and the pages."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from server import editor, endpoint, linkeddata, queries
from server.canned import load_queries
from server.catalog import DUMP_TYPES, void_description
from server.endpoint import rdf_response
from server.errors import RkgError
from server.executor import QueryTimeout
from server.middleware import AccessLog, HeadAsGet
from server.negotiate import prefers_html
from server.pages import data_page, home_page
from server.responsecache import ResponseCache
from server.responses import READ, error_response, etag, read_response
from server.site import Site
from server.sparql import ProtocolError
from server.summary import summarise

log = logging.getLogger(__name__)


def app_from_environment() -> FastAPI:
    """The application for settings read from the environment (what each of several HTTP workers runs)."""
    from server.config import Settings
    from server.site import build_site

    return create_app(build_site(Settings.load()))


def create_app(site: Site) -> FastAPI:
    """The application serving `site`; the query pool starts and stops with it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await site.pool.start()
        app.state.preparing = asyncio.create_task(prepare_answers())  # in the background: requests are served
        yield
        app.state.preparing.cancel()
        await asyncio.gather(app.state.preparing, return_exceptions=True)
        await site.pool.close()
        site.close()

    app = FastAPI(
        title="repatriation-kg",
        summary="SPARQL endpoint and linked data of the repatriation knowledge graph",
        lifespan=lifespan,
        docs_url=None,  # served below from the vendored Swagger UI: nothing is fetched from the internet
        redoc_url=None,
    )
    app.add_middleware(ResponseCache, max_entries=site.settings.result_cache)  # inside CORS, HEAD and the log
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
    endpoint.register(app, site)
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

    prepare_answers = queries.register(app, site, load_queries(site.settings.queries))
    editor.register(app, site)
    return app


def _errors(app: FastAPI) -> None:
    @app.exception_handler(RkgError)
    async def known(request: Request, err: RkgError) -> Response:
        if isinstance(err, QueryTimeout):
            return error_response(503, str(err), {"Retry-After": "5"})
        return error_response(err.status, str(err))

    @app.exception_handler(StarletteHTTPException)
    async def http(request: Request, err: StarletteHTTPException) -> Response:
        message = "nothing is published at this address" if err.status_code == 404 else str(err.detail)
        return error_response(err.status_code, message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, err: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, "the server could not answer this request; the error has been logged")


def _data_routes(app: FastAPI, site: Site) -> None:
    @app.api_route("/health", methods=READ, summary="Liveness, the size and version of the data, canned answers ready")
    def health() -> dict[str, object]:
        answers = app.state.answers
        prepared = {"done": answers.done, "of": answers.to_prepare, "held": len(answers.held)}
        return {"status": "ok", "triples": site.triples, "version": site.version, "canned_answers": prepared}

    summary = summarise(site.store, site.triples)

    @app.api_route("/", methods=READ, summary="Home page", include_in_schema=False)
    def home(request: Request) -> Response:
        page = home_page(summary, base_iri=site.settings.base_iri).encode()
        return read_response(request, page, "text/html; charset=utf-8", etag(site.version, "home"), site.modified)

    @app.api_route("/data", methods=READ, summary="The dumps and named graphs (HTML or JSON)")
    def data(request: Request) -> Response:
        dumps = [(f"repatriation-kg.{ext}", media) for ext, media in DUMP_TYPES.items()]
        graphs = sorted(site.graphs)
        if prefers_html(request.headers.get("accept", "")):
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
        return rdf_response(request, site, triples, format, "void", root)

    @app.api_route("/context.jsonld", methods=READ, summary="The JSON-LD context of the data")
    @app.api_route("/data/context.jsonld", methods=READ, include_in_schema=False)  # beside the JSON-LD dump
    def context(request: Request) -> Response:
        body = site.context_file
        return read_response(request, body, "application/ld+json", etag(site.version, "context"), site.modified, False)

    @app.api_route("/data/repatriation-kg.{ext}", methods=READ, summary="The whole graph as one file")
    def dump(request: Request, ext: str) -> Response:
        if ext not in DUMP_TYPES:
            raise ProtocolError(f"no dump in format {ext!r}; choose one of {', '.join(DUMP_TYPES)}", status=404)
        body = site.dump(ext)
        media = DUMP_TYPES[ext]
        return read_response(request, body, media, etag(site.version, "dump", ext), site.modified, False)
