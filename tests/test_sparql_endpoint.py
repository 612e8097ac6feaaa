"""The SPARQL endpoint over real HTTP: protocol paths, result formats parsed back, negotiation, bad input."""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Iterator

import httpx
import pyoxigraph as ox
import pytest
import rdflib
import uvicorn

from server.app import create_app
from server.sparql import pick

LABEL_QUERY = "SELECT ?label WHERE { <https://w3id.org/repatriation-kg/id/kazakhstan> rdfs:label ?label }"


@pytest.fixture(scope="module")
def base_url(validated) -> Iterator[str]:
    """uvicorn serving the repository's graph on a free port, in a background thread."""
    report, store = validated
    server = uvicorn.Server(
        uvicorn.Config(create_app(store, report.triples), host="127.0.0.1", port=0, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    server.should_exit = True
    thread.join(5)


def test_health(base_url):
    health = httpx.get(f"{base_url}/health").json()
    assert health["status"] == "ok" and health["triples"] > 3000


@pytest.mark.parametrize(
    ("accept", "media", "fmt"),
    [
        ("application/sparql-results+json", "application/sparql-results+json", ox.QueryResultsFormat.JSON),
        ("application/sparql-results+xml", "application/sparql-results+xml", ox.QueryResultsFormat.XML),
        ("text/tab-separated-values", "text/tab-separated-values", ox.QueryResultsFormat.TSV),
        ("*/*", "application/sparql-results+json", ox.QueryResultsFormat.JSON),
    ],
)
def test_select_by_get_in_every_results_format(base_url, accept, media, fmt):
    response = httpx.get(f"{base_url}/sparql", params={"query": LABEL_QUERY}, headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["content-type"].startswith(media)
    assert response.headers["vary"] == "Accept"
    solutions = ox.parse_query_results(response.content, format=fmt)
    assert [s["label"].value for s in solutions] == ["Kazakhstan"]


def test_select_as_csv(base_url):
    response = httpx.get(f"{base_url}/sparql", params={"query": LABEL_QUERY}, headers={"Accept": "text/csv"})
    assert list(csv.DictReader(io.StringIO(response.text))) == [{"label": "Kazakhstan"}]


def test_post_form_and_direct_body(base_url):
    form = httpx.post(f"{base_url}/sparql", data={"query": "ASK { ?s ?p ?o }"})
    direct = httpx.post(
        f"{base_url}/sparql", content="ASK { ?s ?p ?o }", headers={"Content-Type": "application/sparql-query"}
    )
    assert form.json()["boolean"] is True and direct.json()["boolean"] is True


def test_construct_as_turtle(base_url):
    query = "CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s a rep:State ; rdfs:label ?l }"
    response = httpx.get(f"{base_url}/sparql", params={"query": query}, headers={"Accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    assert len(graph) == 8


@pytest.mark.parametrize(
    ("request_args", "status", "message"),
    [
        ({"method": "GET", "params": {"query": "SELEC"}}, 400, "SPARQL syntax error"),
        ({"method": "GET", "params": {}}, 400, "missing or empty"),
        ({"method": "GET", "params": [("query", "ASK {}"), ("query", "ASK {}")]}, 400, "exactly one"),
        ({"method": "POST", "content": b"x", "headers": {"Content-Type": "text/plain"}}, 415, "content type"),
        (
            {"method": "POST", "content": b"\xff", "headers": {"Content-Type": "application/sparql-query"}},
            400,
            "UTF-8",
        ),
        (
            {"method": "GET", "params": {"query": "ASK {}"}, "headers": {"Accept": "text/turtle"}},
            406,
            "accepted types",
        ),
    ],
    ids=["syntax", "no-query", "two-queries", "content-type", "undecodable", "not-acceptable"],
)
def test_bad_requests_get_a_readable_4xx(base_url, request_args, status, message):
    method = request_args.pop("method")
    response = httpx.request(method, f"{base_url}/sparql", **request_args)
    assert response.status_code == status
    assert message in response.json()["error"]


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        ("text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/*", "text/csv"),
        ("application/sparql-results+json;q=0, */*;q=0.1", "application/sparql-results+xml"),
        ("", "application/sparql-results+json"),
        ("image/png", None),
    ],
)
def test_negotiation_case_table(accept, chosen):
    offered = dict.fromkeys(
        ["application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values"]
    )
    assert pick(accept, offered) == chosen
