"""Canned-query routes: the list at /queries, one route per query at /queries/{name} (in the OpenAPI document
with its typed parameters), results as SPARQL JSON, CSV, TSV or an HTML table, paged with Link headers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from starlette.responses import Response

from server.answers import Answers
from server.canned import CannedQuery, Parameter, ParameterError, bind
from server.contested import conflict_groups, subjects_of
from server.endpoint import choose
from server.executor import QueryFailed
from server.formats import HTML
from server.lru import LRU
from server.memory import give_back
from server.negotiate import prefers_html
from server.pages import contested_page, query_index_page, query_page, results_page
from server.responses import READ, etag, read_response
from server.site import Site
from server.sparql import ProtocolError

JSON = "application/sparql-results+json"
OFFERED = [JSON, HTML, "text/csv", "text/tab-separated-values"]
CONTROL = ("page", "per_page", "format")
PER_PAGE = 100
CONTESTED = ("conflicting-figures", "differing-figures")  # the canned queries the /contested page shows
_SCHEMA = {
    "iri": {"type": "string", "format": "uri"},
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "decimal": {"type": "number"},
    "date": {"type": "string", "format": "date"},
    "year": {"type": "string", "pattern": "^-?[0-9]{4,}$"},
    "boolean": {"type": "boolean"},
}


def register(app: FastAPI, site: Site, queries: dict[str, CannedQuery]) -> Callable[[], Awaitable[None]]:
    """The list route and one documented route per canned query; returns what prepares the answers of the canned
    queries with their default parameters (server/answers.py), for the application to start in the background."""
    answers = app.state.answers = Answers(site.pool, site.settings.result_cache)
    rendered: LRU[str, bytes] = LRU(min(site.settings.result_cache, 16), 32 * 2**20)  # contested pages by subject

    @app.api_route("/queries", methods=READ, summary="The canned queries (JSON or HTML)", tags=["canned queries"])
    def index(request: Request) -> Response:
        if prefers_html(request.headers.get("accept", "")):
            page = query_index_page(list(queries.values()), base_iri=site.settings.base_iri).encode()
            return read_response(request, page, "text/html; charset=utf-8", etag(site.version, "q"), site.modified)
        body = json.dumps([describe(q) for q in queries.values()], indent=1, ensure_ascii=False).encode()
        return read_response(request, body, "application/json", etag(site.version, "q", "json"), site.modified)

    @app.api_route("/contested", methods=READ, summary="Contested figures, side by side (HTML)", tags=["pages"])
    async def contested(request: Request, subject: str | None = None) -> Response:
        page = rendered.get(subject or "")
        if page is None:  # at a million triples the page is megabytes, made in seconds: made once per subject
            results = {name: await _results(site, answers, queries[name]) for name in CONTESTED}
            sections = [
                {"name": name, "query": queries[name], "groups": conflict_groups(site.store, results[name], subject)}
                for name in CONTESTED
            ]
            subjects = subjects_of(site.store, results["differing-figures"])
            page = contested_page(sections, subjects, subject, base_iri=site.settings.base_iri).encode()
            rendered.put(subject or "", page, len(page))
            await asyncio.to_thread(give_back)
        tag = etag(site.version, "contested", subject or "")
        return read_response(request, page, "text/html; charset=utf-8", tag, site.modified)

    @app.api_route("/sources", methods=READ, summary="The sources and their claims (HTML)", tags=["pages"])
    async def sources(request: Request) -> Response:
        query = queries["sources"]
        page = results_page(query.title, query.description, await _results(site, answers, query),
                            base_iri=site.settings.base_iri).encode()  # fmt: skip
        return read_response(request, page, "text/html; charset=utf-8", etag(site.version, "sources"), site.modified)

    for query in queries.values():
        app.add_api_route(
            f"/queries/{query.name}",
            _runner(site, answers, query),
            methods=READ,
            name=f"query-{query.name}",
            summary=query.title,
            description=f"{query.summary}\n\n{query.description}",
            tags=["canned queries"],
            openapi_extra={"parameters": [_openapi(p) for p in query.params] + _control_parameters(site)},
        )
        app.add_api_route(f"/queries/{query.name}.rq", _text(site, query), methods=READ, include_in_schema=False)

    async def prepare() -> None:
        if answers.enabled:
            await answers.warm(_default_texts(queries), site.settings.query_timeout)

    return prepare


def _default_texts(queries: dict[str, CannedQuery]) -> list[str]:
    """The text of each canned query bound with its default parameters (those that need none given)."""
    texts = []
    for query in queries.values():
        try:
            texts.append(bind(query.text, query.bindings({})))
        except ParameterError:
            continue
    return texts


async def _results(site: Site, answers: Answers, query: CannedQuery) -> dict:
    """A canned query's first page of results with its default parameters, as SPARQL JSON."""
    text = bind(query.text, query.bindings({}))
    written = await answers.page(text, JSON, 0, site.settings.result_cap, site.settings.query_timeout)
    return json.loads(written.body)


def describe(query: CannedQuery) -> dict[str, object]:
    """A canned query's metadata for the JSON list."""
    return {
        "name": query.name,
        "title": query.title,
        "summary": query.summary,
        "description": query.description,
        "tags": list(query.tags),
        "params": [
            {k: v for k, v in vars(p).items() if v not in (None, (), "")} | {"required": p.required}
            for p in query.params
        ],
        "href": f"/queries/{query.name}",
        "sparql": f"/queries/{query.name}.rq",
    }


def _runner(site: Site, answers: Answers, query: CannedQuery) -> Callable:
    async def run(request: Request) -> Response:
        given = {k: v for k, v in request.query_params.items() if k not in CONTROL}
        try:
            bindings = query.bindings(given)
        except ParameterError as err:
            raise ProtocolError(str(err)) from None
        page, per_page = _paging(request, site.settings.result_cap)
        media = choose(request, request.query_params.get("format"), OFFERED)
        text = bind(query.text, bindings)
        offset = (page - 1) * per_page
        try:
            written = await answers.page(
                text, JSON if media == HTML else media, offset, per_page, site.settings.query_timeout
            )
        except QueryFailed as err:
            raise ProtocolError(str(err)) from None
        more = written.truncated
        body = written.body
        if media == HTML:
            results = json.loads(body)
            body = query_page(
                query, given, results, page=page, per_page=per_page, more=more, editor_text=text,
                base_iri=site.settings.base_iri,
            ).encode()  # fmt: skip
        tag = etag(site.version, query.name, media, str(sorted(request.query_params.multi_items())))
        response = read_response(
            request, body, "text/html; charset=utf-8" if media == HTML else media, tag, site.modified
        )
        response.headers["Link"] = _links(request, page, more)
        response.headers["X-Result-Count"] = str(written.count)
        return response

    return run


def _text(site: Site, query: CannedQuery) -> Callable:
    def text(request: Request) -> Response:
        body = query.text.encode()
        return read_response(request, body, "application/sparql-query", etag(site.version, query.name, "rq"),
                             site.modified, vary=False)  # fmt: skip

    return text


def _paging(request: Request, cap: int) -> tuple[int, int]:
    values = {}
    for name, default in (("page", 1), ("per_page", min(PER_PAGE, cap))):
        text = request.query_params.get(name, str(default))
        if not text.isdigit() or int(text) < 1:
            raise ProtocolError(f"parameter {name!r}: {text!r} is not a positive whole number")
        values[name] = int(text)
    if values["per_page"] > cap:
        raise ProtocolError(f"parameter 'per_page': at most {cap} rows a page")
    return values["page"], values["per_page"]


def _links(request: Request, page: int, more: bool) -> str:
    """RFC 8288 links to the first, previous and next pages, keeping every other parameter."""

    def at(number: int) -> str:
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"] + [("page", str(number))]
        return f"{request.url.path}?{urlencode(params)}"

    links = [f'<{at(1)}>; rel="first"']
    if page > 1:
        links.append(f'<{at(page - 1)}>; rel="prev"')
    if more:
        links.append(f'<{at(page + 1)}>; rel="next"')
    return ", ".join(links)


def _openapi(param: Parameter) -> dict[str, object]:
    schema: dict[str, object] = dict(_SCHEMA[param.type])
    if param.values:
        schema["enum"] = list(param.values)
    if param.default is not None:
        schema["default"] = param.default
    spec: dict[str, object] = {
        "name": param.name,
        "in": "query",
        "required": param.required,
        "description": param.description or f"bound to ?{param.name} as an RDF term ({param.type})",
        "schema": schema,
    }
    if param.example is not None:
        spec["example"] = param.example
    return spec


def _control_parameters(site: Site) -> list[dict[str, object]]:
    cap = site.settings.result_cap
    return [
        {"name": "page", "in": "query", "required": False, "description": "page number (from 1)",
         "schema": {"type": "integer", "minimum": 1, "default": 1}},
        {"name": "per_page", "in": "query", "required": False, "description": f"rows a page (at most {cap})",
         "schema": {"type": "integer", "minimum": 1, "maximum": cap, "default": min(PER_PAGE, cap)}},
        {"name": "format", "in": "query", "required": False, "description": "json, csv, tsv or html (else Accept)",
         "schema": {"type": "string", "enum": ["json", "csv", "tsv", "html"]}},
    ]  # fmt: skip
