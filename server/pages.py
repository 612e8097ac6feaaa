"""HTML pages rendered from views with Jinja2 templates (autoescaped): entities, claims, sources, the ontology."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from itertools import groupby
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import jinja2

from server.describe import EntityView, Statement, Term
from server.formats import GRAPH_TYPES, RESULT_TYPES, SHORT_NAMES
from server.ontology_doc import ontology_doc
from server.project import BASE_IRI
from server.store import ReadStore
from server.summary import Summary
from server.terms import compact

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"
STYLESHEET = "/static/style.css"
SITE = "repatriation-kg"

# Suffix, link text and media type of each format an entity is offered in, beside its page.
FORMATS = (
    (".ttl", "Turtle", "text/turtle"),
    (".jsonld", "JSON-LD", "application/ld+json"),
    (".nt", "N-Triples", "application/n-triples"),
    (".rdf", "RDF/XML", "application/rdf+xml"),
)
_LINKABLE_SCHEMES = {"http", "https"}


def local_href(iri: str, base_iri: str) -> str:
    """A site-relative path for an IRI under `base_iri` (`/id/kazakhstan`, `/ontology#Claim`); others unchanged."""
    base = base_iri.rstrip("/")
    if not base or not iri.startswith(base):
        return iri
    rest = iri[len(base) :]
    if rest and rest[0] not in "/#":
        return iri
    return rest if rest.startswith("/") else "/" + rest


def href(iri: str | None, base_iri: str) -> str | None:
    """The link target for an IRI on a page, or None for IRIs that must not become links (no http(s) scheme)."""
    if not iri:
        return None
    target = local_href(iri, base_iri)
    if target.startswith("/") and not target.startswith("//"):
        return target
    return target if urlsplit(iri).scheme.lower() in _LINKABLE_SCHEMES else None


def format_links(iri: str, base_iri: str) -> list[tuple[str, str, str]]:
    """(href, name, media type) of the other formats of a local document IRI; empty for other IRIs."""
    path = local_href(iri, base_iri)
    if not path.startswith("/") or path == "/" or any(c in path for c in "#?"):
        return []
    return [(path + suffix, name, media) for suffix, name, media in FORMATS]


def by_predicate(statements: Iterable[Statement]) -> list[tuple[Term, list[Term]]]:
    """Consecutive statements with the same predicate, as (predicate, objects)."""
    return [(p, [s.object for s in group]) for p, group in groupby(statements, key=lambda s: s.predicate)]


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["by_predicate"] = by_predicate
    env.filters["shorten_iri"] = compact_iri
    return env


def compact_iri(iri: str) -> str:
    """An IRI as a prefixed name when its namespace is known (kg:kazakhstan), else unchanged."""
    short = compact(iri)
    return iri if short.startswith("<") else short


def _render(template: str, *, base_iri: str, site: str, **context: object) -> str:
    return (
        _environment()
        .get_template(template)
        .render(href=lambda iri: href(iri, base_iri), site=site, stylesheet=STYLESHEET, **context)
    )


def render(template: str, *, base_iri: str = BASE_IRI, site: str = SITE, **context: object) -> str:
    """A page from any template of `server/templates`, with the context every page gets (links, site, stylesheet)."""
    return _render(template, base_iri=base_iri, site=site, **context)


def entity_page(view: EntityView, *, base_iri: str, site: str = SITE) -> str:
    """The page of a thing, a claim or a source document."""
    return _render("entity.html", base_iri=base_iri, site=site, view=view, formats=format_links(view.iri, base_iri))


def ontology_page(store: ReadStore, *, base_iri: str = BASE_IRI, site: str = SITE) -> str:
    """The documentation of the ontology graph, one section per term with its local name as id."""
    return _render("ontology.html", base_iri=base_iri, site=site, doc=ontology_doc(store))


def not_found_page(path: str, *, site: str = SITE) -> str:
    """The page for a path that describes nothing (serve it with status 404)."""
    return _render("not_found.html", base_iri=BASE_IRI, site=site, path=path)


def service_page(*, endpoint: str, timeout: float, cap: int, example: str, site: str = SITE) -> str:
    """The SPARQL endpoint's page for browsers: how to query it, its limits, its formats, and a plain form."""
    names = {media: name for name, media in SHORT_NAMES.items() if media in RESULT_TYPES}
    return _render(
        "service.html",
        base_iri=BASE_IRI,
        site=site,
        endpoint=endpoint,
        timeout=f"{timeout:g}",
        cap=cap,
        example=example,
        result_formats=[(names[m].upper(), m) for m in RESULT_TYPES],
        graph_formats=list(GRAPH_TYPES),
    )


def data_page(*, triples: int, version: str, dumps: list[tuple[str, str]], graphs: list[str], site: str = SITE) -> str:
    """The index of the dumps and named graphs."""
    return _render(
        "data.html", base_iri=BASE_IRI, site=site, triples=triples, version=version, dumps=dumps, graphs=graphs
    )


def home_page(summary: Summary, *, base_iri: str = BASE_IRI, site: str = SITE) -> str:
    """The home page: what the graph is, its size, its sources, and where to start."""
    return _render("home.html", base_iri=base_iri, site=site, summary=summary)


def query_index_page(queries: list, *, base_iri: str = BASE_IRI, site: str = SITE) -> str:
    """The list of canned queries."""
    return _render("queries.html", base_iri=base_iri, site=site, queries=queries)


def query_page(
    query, given: dict[str, str], results: dict, *, page: int, per_page: int, more: bool, editor_text: str,
    base_iri: str = BASE_IRI, site: str = SITE,
) -> str:  # fmt: skip
    """A canned query: its form, a page of results as a table, its SPARQL, and a link to the editor."""

    def link(**changes: object) -> str:
        params = {k: v for k, v in given.items() if v} | {"per_page": per_page} | changes
        return f"/queries/{query.name}?{urlencode(params)}"

    editor = "/editor?" + urlencode({"name": query.title, "query": editor_text})
    return _render(
        "query.html",
        base_iri=base_iri,
        site=site,
        query=query,
        given=given,
        results=results,
        page=page,
        per_page=per_page,
        more=more,
        page_link=lambda number: link(page=number),
        format_link=lambda fmt: link(page=page, format=fmt),
        editor_link=editor,
    )


def contested_page(
    sections: list, subjects: list[tuple[str, str]], subject: str | None, *, base_iri: str = BASE_IRI, site: str = SITE
) -> str:
    """Conflicting and differing figures, each set side by side with sources and quotes; optionally one subject."""
    return _render(
        "contested.html", base_iri=base_iri, site=site, sections=sections, subjects=subjects, subject=subject,
        subject_link=lambda iri: "/contested?" + urlencode({"subject": iri}),
    )  # fmt: skip


def results_page(title: str, intro: str, results: dict, *, base_iri: str = BASE_IRI, site: str = SITE) -> str:
    """A page that is one results table (for example the sources page)."""
    return _render("table_page.html", base_iri=base_iri, site=site, title=title, intro=intro, results=results)
