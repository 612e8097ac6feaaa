"""The SPARQL 1.1 Protocol over real HTTP: every path, every format parsed back, negotiation, bad input."""

from __future__ import annotations

import csv
import io

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from server.negotiate import pick
from tests.conftest import rows

KAZAKHSTAN = "https://w3id.org/repatriation-kg/id/kazakhstan"
SELECT = f"SELECT ?p ?o WHERE {{ <{KAZAKHSTAN}> ?p ?o }} ORDER BY ?p ?o"
CONSTRUCT = (
    "PREFIX rep: <https://w3id.org/repatriation-kg/ontology#>\n"
    "CONSTRUCT { ?c rep:quantity ?n ; rep:subject ?s } WHERE { ?c rep:subject ?s ; rep:quantity ?n }"
)
RESULT_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/n-quads": "nquads",
}


def expected_rows(store: ox.Store) -> set[tuple[str, str]]:
    return {(r["p"], r["o"]) for r in rows(store, SELECT)}


def solutions(body: bytes, fmt: ox.QueryResultsFormat) -> set[tuple[str, str]]:
    return {(s["p"].value, s["o"].value) for s in ox.parse_query_results(body, format=fmt)}


@pytest.mark.parametrize("media", RESULT_FORMATS)
def test_select_by_get_in_every_results_format(server_url, store, media):
    response = httpx.get(f"{server_url}/sparql", params={"query": SELECT}, headers={"Accept": media})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media
    assert "Accept" in response.headers["vary"]
    assert solutions(response.content, RESULT_FORMATS[media]) == expected_rows(store)


def test_select_as_csv(server_url, store):
    response = httpx.get(f"{server_url}/sparql", params={"query": SELECT}, headers={"Accept": "text/csv"})
    assert {(r["p"], r["o"]) for r in csv.DictReader(io.StringIO(response.text))} == expected_rows(store)


def test_post_form_and_direct_body_give_the_same_rows(server_url, store):
    form = httpx.post(f"{server_url}/sparql", data={"query": SELECT})
    direct = httpx.post(
        f"{server_url}/sparql", content=SELECT.encode(), headers={"Content-Type": "application/sparql-query"}
    )
    for response in (form, direct):
        assert response.status_code == 200
        assert solutions(response.content, ox.QueryResultsFormat.JSON) == expected_rows(store)


@pytest.mark.parametrize("media", ["application/sparql-results+json", "application/sparql-results+xml"])
def test_ask(server_url, media):
    response = httpx.get(f"{server_url}/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": media})
    assert bool(ox.parse_query_results(response.content, format=RESULT_FORMATS[media])) is True


@pytest.mark.parametrize("media", GRAPH_FORMATS)
def test_construct_in_every_rdf_format(server_url, store, media):
    response = httpx.get(f"{server_url}/sparql", params={"query": CONSTRUCT}, headers={"Accept": media})
    assert response.status_code == 200 and response.headers["content-type"].split(";")[0] == media
    if media == "application/n-quads":  # rdflib reads N-Quads only into a Dataset; pyoxigraph reads them directly
        triples = ox.serialize((q.triple for q in ox.parse(response.content, format=ox.RdfFormat.N_QUADS)),
                               format=ox.RdfFormat.N_TRIPLES)  # fmt: skip
        got = rdflib.Graph().parse(data=triples, format="nt")
    else:
        got = rdflib.Graph().parse(data=response.content, format=GRAPH_FORMATS[media])
    expected = rdflib.Graph().parse(
        data=store.query(CONSTRUCT, use_default_graph_as_union=True).serialize(format=ox.RdfFormat.N_TRIPLES),
        format="nt",
    )
    assert len(expected) > 30 and isomorphic(got, expected)


def test_describe(server_url):
    response = httpx.get(f"{server_url}/sparql", params={"query": f"DESCRIBE <{KAZAKHSTAN}>", "format": "nt"})
    graph = rdflib.Graph().parse(data=response.text, format="nt")
    assert (rdflib.URIRef(KAZAKHSTAN), rdflib.RDFS.label, rdflib.Literal("Kazakhstan", lang="en")) in graph


@pytest.mark.parametrize(
    ("accept", "fmt", "chosen"),
    [
        ("text/csv;q=0.5, application/sparql-results+xml", None, "application/sparql-results+xml"),
        ("text/*", None, "text/csv"),
        ("application/sparql-results+json;q=0, */*;q=0.1", None, "application/sparql-results+xml"),
        ("", None, "application/sparql-results+json"),
        ("*/*", None, "application/sparql-results+json"),
        ("text/html", "csv", "text/csv"),
        ("text/html", "application/sparql-results+xml", "application/sparql-results+xml"),
    ],
)
def test_negotiation_over_http(server_url, accept, fmt, chosen):
    params = {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"} | ({"format": fmt} if fmt else {})
    response = httpx.get(f"{server_url}/sparql", params=params, headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["content-type"].split(";")[0] == chosen


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        ("text/turtle;q=0.9, application/ld+json", "application/ld+json"),
        ("application/*;q=0.2, text/turtle;q=0.1", "application/n-triples"),
        ("image/png", None),
        ("text/turtle;q=0", None),
        ("TEXT/TURTLE", "text/turtle"),
        ("text/turtle;q=abc, application/rdf+xml", "application/rdf+xml"),
    ],
)
def test_negotiation_case_table(accept, chosen):
    assert pick(accept, list(GRAPH_FORMATS)) == chosen


def test_nothing_acceptable_is_406(server_url):
    response = httpx.get(f"{server_url}/sparql", params={"query": "ASK {}"}, headers={"Accept": "image/png"})
    assert response.status_code == 406 and "application/sparql-results+json" in response.json()["error"]


def test_service_description_names_the_real_endpoint(server_url):
    response = httpx.get(f"{server_url}/sparql", headers={"Accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    endpoint = rdflib.URIRef(f"{server_url}/sparql")
    assert (endpoint, sd.endpoint, endpoint) in graph
    assert (endpoint, sd.supportedLanguage, sd.SPARQL11Query) in graph
    names = {str(n) for n in graph.objects(None, sd.name)}
    assert "https://w3id.org/repatriation-kg/graph/seed-000" in names


def test_head_has_the_headers_and_no_body(server_url):
    params = {"query": "ASK {}"}
    head = httpx.head(f"{server_url}/sparql", params=params)
    get = httpx.get(f"{server_url}/sparql", params=params)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"] and head.headers["etag"] == get.headers["etag"]


def test_etag_and_304(server_url):
    params = {"query": "ASK {}"}
    first = httpx.get(f"{server_url}/sparql", params=params)
    again = httpx.get(f"{server_url}/sparql", params=params, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert "max-age" in first.headers["cache-control"] and first.headers["last-modified"]


def test_dataset_parameters_choose_the_graphs(server_url):
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?c a <https://w3id.org/repatriation-kg/ontology#Claim> }"
    graph = "https://w3id.org/repatriation-kg/graph/seed-001"
    one = httpx.get(f"{server_url}/sparql", params={"query": query, "default-graph-uri": graph}).json()
    everything = httpx.get(f"{server_url}/sparql", params={"query": query}).json()
    count = lambda doc: int(doc["results"]["bindings"][0]["n"]["value"])  # noqa: E731
    assert 0 < count(one) < count(everything)
    named = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    response = httpx.get(f"{server_url}/sparql", params={"query": named, "named-graph-uri": graph}).json()
    assert [b["g"]["value"] for b in response["results"]["bindings"]] == [graph]


def test_from_a_graph_of_this_store(server_url):
    query = (
        "SELECT (COUNT(*) AS ?n) FROM <https://w3id.org/repatriation-kg/graph/sources> "
        "WHERE { ?s a <https://w3id.org/repatriation-kg/ontology#LocalTextSource> }"
    )
    response = httpx.get(f"{server_url}/sparql", params={"query": query}).json()
    assert response["results"]["bindings"][0]["n"]["value"] == "2"


def test_a_large_answer_arrives_whole(server_url, store):
    """Regression: with uvloop, a worker's answer larger than the pipe buffer used to be cut and reported as a crash."""
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    response = httpx.get(
        f"{server_url}/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+xml"}
    )
    assert response.status_code == 200 and len(response.content) > 1_000_000
    rows = list(ox.parse_query_results(response.content, format=ox.QueryResultsFormat.XML))
    assert len(rows) == min(len(list(store)), 10_000)
