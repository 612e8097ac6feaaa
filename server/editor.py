"""The SPARQL editor: YASGUI, vendored under `static/vendor/` and served offline, querying this server's `/sparql`.

The page opens one tab per canned query of `queries/` (tab name: the query's title; text: the whole file), and a
first tab for `/editor?query=…&name=…`, so other pages can link a query into the editor.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI, Request
from starlette.responses import Response

from server.canned import load_queries
from server.pages import render
from server.project import BASE_IRI, ROOT
from server.responses import READ, etag, read_response
from server.site import Site

QUERIES_DIR = ROOT / "queries"


def editor_page(queries_dir: Path = QUERIES_DIR, *, base_iri: str = BASE_IRI) -> str:
    """The editor's HTML: the YASGUI container and the canned queries as JSON (`#canned-queries`)."""
    tabs = [{"name": q.title, "query": q.text} for q in load_queries(queries_dir).values()]
    return render("editor.html", base_iri=base_iri, endpoint="/sparql", queries=tabs)


def register(app: FastAPI, site: Site) -> None:
    """Add `GET /editor` (and HEAD); the canned queries are read once, here."""
    folder = site.settings.queries
    page = editor_page(folder, base_iri=site.settings.base_iri).encode()
    tag = etag(site.version, "editor", hashlib.sha256(page).hexdigest())
    newest = max((p.stat().st_mtime for p in folder.glob("*.rq")), default=0.0)
    modified = max(site.modified, datetime.fromtimestamp(int(newest), UTC))

    @app.api_route("/editor", methods=READ, summary="SPARQL editor (YASGUI) with the canned queries")
    def editor(request: Request) -> Response:
        return read_response(request, page, "text/html; charset=utf-8", tag, modified)
