"""Linked data: every IRI of the data dereferences on this server, by content negotiation or by suffix.

`/id/{name}` describes a thing (HTML page, Turtle, JSON-LD, N-Triples, RDF/XML), `/ontology` the ontology
(HTML documentation or RDF), `/graph/{name}` one named graph. The public IRIs (`https://w3id.org/...`)
stay in the RDF; pages link to the same paths on this host.
"""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse, Response

from server.build import jsonld
from server.describe import describe, entity_triples
from server.formats import GRAPH_TYPES, HTML
from server.negotiate import pick, prefers_html
from server.pages import STATIC_DIR, entity_page, not_found_page, ontology_page
from server.project import GRAPH_BASE, PREFIXES
from server.responses import READ, etag, read_response
from server.site import Site
from server.sparql import ProtocolError
from server.store import ReadStore

SUFFIXES = {
    "html": HTML,
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
    "rdf": "application/rdf+xml",
}
# Turtle first: a client that accepts anything (curl) gets data; browsers ask for HTML by name.
OFFERED = ["text/turtle", HTML, "application/ld+json", "application/n-triples", "application/rdf+xml"]
RDF_ONLY = [m for m in OFFERED if m != HTML]


def register(app: FastAPI, site: Site) -> None:
    """Add the linked-data routes and the static files of the pages."""
    base = site.settings.base_iri
    version = _ontology_version(site.store)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.api_route("/id/{name:path}", methods=READ, summary="A thing of the graph (HTML or RDF by negotiation)")
    def thing(request: Request, name: str) -> Response:
        name, media = _split(request, name)
        iri = base + "id/" + name
        if media == HTML:
            view = describe(site.store, iri)
            if view is None:
                return _not_found(request)
            return _html(request, site, entity_page(view, base_iri=base), "id", name)
        triples = entity_triples(site.store, iri)
        if not triples:
            return _not_found(request)
        return _rdf(request, site, triples, media, "id", name)

    @app.api_route("/ontology{suffix:path}", methods=READ, summary="The ontology (HTML documentation or RDF)")
    def ontology(request: Request, suffix: str) -> Response:
        name, media = _split(request, "ontology" + suffix)
        if name not in ("ontology", f"ontology/{version}"):  # the current version IRI names the same document
            return _not_found(request)
        if media == HTML:
            return _html(request, site, ontology_page(site.store, base_iri=base), "ontology")
        graph = ox.NamedNode(GRAPH_BASE + "ontology")
        triples = sorted((q.triple for q in site.store.quads_for_pattern(None, None, None, graph)), key=str)
        return _rdf(request, site, triples, media, "ontology")

    @app.api_route("/graph/{name}", methods=READ, summary="One named graph of the store, as RDF")
    def graph(request: Request, name: str) -> Response:
        name, media = _split(request, name, offered=RDF_ONLY)
        iri = GRAPH_BASE + name
        if iri not in site.graphs:
            return _not_found(request)
        quads = site.store.quads_for_pattern(None, None, None, ox.NamedNode(iri))
        return _rdf(request, site, sorted((q.triple for q in quads), key=str), media, "graph", name, offered=RDF_ONLY)


def _ontology_version(store: ReadStore) -> str:
    """The ontology's owl:versionInfo (its version IRI is `<ontology>/<version>`)."""
    found = store.query(
        "SELECT ?v WHERE { <https://w3id.org/repatriation-kg/ontology> owl:versionInfo ?v }",
        use_default_graph_as_union=True,
        prefixes=PREFIXES,
    )
    return next((s["v"].value for s in found), "")


def _split(request: Request, name: str, offered: list[str] = OFFERED) -> tuple[str, str]:
    """The name without a format suffix, and the media type: the suffix's, else the negotiated one."""
    stem, dot, suffix = name.rpartition(".")
    if dot and suffix in SUFFIXES and SUFFIXES[suffix] in offered:
        return stem, SUFFIXES[suffix]
    media = pick(request.headers.get("accept", ""), offered)
    if media is None:
        raise ProtocolError(f"none of the accepted media types is available; choose one of {', '.join(offered)}", 406)
    return name, media


def _html(request: Request, site: Site, page: str, *key: str) -> Response:
    tag = etag(site.version, *key, HTML)
    return _with_alternates(
        request, read_response(request, page.encode(), "text/html; charset=utf-8", tag, site.modified)
    )


def _rdf(
    request: Request, site: Site, triples: list[ox.Triple], media: str, *key: str, offered: list[str] = OFFERED
) -> Response:
    if media == "application/ld+json":
        body = jsonld(triples, site.context, str(request.base_url) + "context.jsonld")
    else:
        body = ox.serialize(triples, format=GRAPH_TYPES[media], prefixes=PREFIXES)
    response = read_response(request, body, media, etag(site.version, *key, media), site.modified)
    return _with_alternates(request, response, offered)


def _with_alternates(request: Request, response: Response, offered: list[str] = OFFERED) -> Response:
    """A `Link` header naming every offered format of the same document by its suffix."""
    path = request.url.path
    stem, dot, suffix = path.rpartition(".")
    base = stem if dot and suffix in SUFFIXES and "/" not in suffix else path
    links = [f'<{base}.{s}>; rel="alternate"; type="{m}"' for s, m in SUFFIXES.items() if m in offered]
    response.headers["Link"] = ", ".join(links)
    return response


def _not_found(request: Request) -> Response:
    if prefers_html(request.headers.get("accept", "")):
        return HTMLResponse(not_found_page(request.url.path), status_code=404)
    raise ProtocolError(f"nothing is published at {request.url.path}", status=404)
