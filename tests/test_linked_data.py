"""Linked data over HTTP: every IRI dereferences, with content negotiation, suffixes, dumps, VoID and caching."""

from __future__ import annotations

import json
import logging
import time

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from server.describe import entity_triples
from server.project import BASE_IRI, GRAPH_BASE, ROOT, Layout
from tests.conftest import SEEDS, rkg, serving

KAZAKHSTAN = BASE_IRI + "id/kazakhstan"
PARSERS = {
    ".ttl": "turtle",
    ".nt": "nt",
    ".rdf": "xml",
    ".jsonld": "json-ld",
}


def as_graph(triples: list[ox.Triple]) -> rdflib.Graph:
    return rdflib.Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")


@pytest.mark.parametrize("suffix", PARSERS)
def test_entity_suffixes_give_the_same_graph(server_url, store, suffix):
    response = httpx.get(f"{server_url}/id/kazakhstan{suffix}")
    assert response.status_code == 200
    graph = rdflib.Graph().parse(data=response.text, format=PARSERS[suffix], publicID=server_url + "/")
    assert isomorphic(graph, as_graph(entity_triples(store, KAZAKHSTAN)))


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("text/turtle", "text/turtle"),
        ("application/ld+json", "application/ld+json"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
        ("*/*", "text/turtle"),
        ("application/rdf+xml;q=0.5, application/n-triples", "application/n-triples"),
    ],
)
def test_entity_content_negotiation(server_url, accept, media):
    response = httpx.get(f"{server_url}/id/kazakhstan", headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["content-type"].split(";")[0] == media
    assert "Accept" in response.headers["vary"]
    assert 'rel="alternate"' in response.headers["link"]


def test_entity_page_shows_claims_with_quotes(server_url):
    html = httpx.get(f"{server_url}/id/kazakhstan", headers={"Accept": "text/html"}).text
    assert "<title>Kazakhstan" in html and "over 700 of its citizens" in html
    assert 'href="/id/yerzhan-ashykbayev"' in html and 'href="/id/kazakhstan.ttl"' in html


def test_unknown_things_are_404_in_html_and_json(server_url):
    assert httpx.get(f"{server_url}/id/nothing-here").status_code == 404
    page = httpx.get(f"{server_url}/id/nothing-here", headers={"Accept": "text/html"})
    assert page.status_code == 404 and "Not found" in page.text
    assert httpx.get(f"{server_url}/id/nothing-here.ttl").status_code == 404
    assert httpx.get(f"{server_url}/id/kazakhstan", headers={"Accept": "image/png"}).status_code == 406


def test_every_iri_of_the_data_dereferences(server_url, store):
    iris = set()
    for quad in store:
        for term in (quad.subject, quad.predicate, quad.object, quad.graph_name):
            if isinstance(term, ox.NamedNode) and term.value.startswith(BASE_IRI):
                iris.add(term.value.split("#")[0])
    assert len(iris) > 150
    failures = []
    with httpx.Client(base_url=server_url) as client:
        for iri in sorted(iris):
            response = client.get("/" + iri[len(BASE_IRI) :], headers={"Accept": "text/turtle"})
            if response.status_code != 200:
                failures.append((iri, response.status_code))
    assert failures == []


def test_ontology_in_html_and_turtle(server_url):
    html = httpx.get(f"{server_url}/ontology", headers={"Accept": "text/html"}).text
    assert 'id="Claim"' in html and 'id="repatriatedCount"' in html
    served = rdflib.Graph().parse(data=httpx.get(f"{server_url}/ontology.ttl").text, format="turtle")
    assert isomorphic(served, rdflib.Graph().parse(ROOT / "ontology" / "repatriation.ttl"))


def test_a_named_graph_dereferences_to_its_file(server_url):
    served = rdflib.Graph().parse(data=httpx.get(f"{server_url}/graph/seed-001.nt").text, format="nt")
    assert isomorphic(served, rdflib.Graph().parse(ROOT / "data" / "seed-001.ttl"))
    assert httpx.get(f"{server_url}/graph/seed-001", headers={"Accept": "text/html"}).status_code == 406


@pytest.mark.parametrize(("ext", "fmt"), [("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")])
def test_dumps_parse_and_are_cacheable(server_url, store, ext, fmt):
    response = httpx.get(f"{server_url}/data/repatriation-kg.{ext}")
    assert response.status_code == 200 and response.headers["etag"] and response.headers["last-modified"]
    graph = rdflib.Graph().parse(data=response.text, format=fmt, publicID=server_url + "/data/")
    assert len(graph) == len({q.triple for q in store})
    again = httpx.get(f"{server_url}/data/repatriation-kg.{ext}", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    since = httpx.get(
        f"{server_url}/data/repatriation-kg.{ext}", headers={"If-Modified-Since": response.headers["last-modified"]}
    )
    assert since.status_code == 304


@pytest.mark.parametrize("ext", ["nq", "trig"])
def test_quad_dumps_keep_the_named_graphs(server_url, ext):
    body = httpx.get(f"{server_url}/data/repatriation-kg.{ext}").content
    fmt = ox.RdfFormat.N_QUADS if ext == "nq" else ox.RdfFormat.TRIG
    graphs = {q.graph_name.value for q in ox.parse(body, format=fmt)}
    assert GRAPH_BASE + "seed-000" in graphs and graphs == {g.value for _, g in Layout().graph_files()}


def test_data_index_in_json_and_html(server_url):
    listing = httpx.get(f"{server_url}/data").json()
    assert {d["href"] for d in listing["dumps"]} >= {"/data/repatriation-kg.ttl", "/data/repatriation-kg.jsonld"}
    assert "<h1>Data</h1>" in httpx.get(f"{server_url}/data", headers={"Accept": "text/html"}).text


def test_void_describes_the_dataset(server_url, store):
    graph = rdflib.Graph().parse(data=httpx.get(f"{server_url}/.well-known/void").text, format="turtle")
    void = rdflib.Namespace("http://www.w3.org/ns/void#")
    dataset = rdflib.URIRef(BASE_IRI + "dataset")
    assert int(graph.value(dataset, void.triples)) == len({q.triple for q in store})
    assert graph.value(dataset, void.sparqlEndpoint) == rdflib.URIRef(f"{server_url}/sparql")
    assert graph.value(dataset, rdflib.namespace.DCTERMS.license) is not None
    assert int(graph.value(dataset, void.classes)) > 20
    for dump in graph.objects(dataset, void.dataDump):
        assert httpx.head(str(dump)).status_code == 200
    assert httpx.get(f"{server_url}/dataset").status_code == 200


def test_context_and_health(server_url):
    assert "rep" in httpx.get(f"{server_url}/context.jsonld").json()["@context"]
    health = httpx.get(f"{server_url}/health").json()
    assert health["status"] == "ok" and health["triples"] > 3000 and health["version"]
    deadline = time.monotonic() + 60
    while health["canned_answers"]["done"] < health["canned_answers"]["of"] and time.monotonic() < deadline:
        time.sleep(0.2)  # the answers of the canned queries' defaults are prepared in the background at start-up
        health = httpx.get(f"{server_url}/health").json()
    canned = health["canned_answers"]
    assert canned["of"] == len(httpx.get(f"{server_url}/queries").json()) and canned["held"] == canned["done"]


def test_home_page(server_url):
    html = httpx.get(f"{server_url}/").text
    assert "<title>" in html and "000_a2c28f2115b89a4d.txt" in html and 'href="/id/kazakhstan"' in html


def test_head_on_an_entity(server_url):
    head = httpx.head(f"{server_url}/id/kazakhstan.ttl")
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"]


def test_every_request_is_logged_with_its_duration(server_url, caplog):
    with caplog.at_level(logging.INFO, logger="server.access"):
        httpx.get(f"{server_url}/health")
    lines = [r.getMessage() for r in caplog.records if r.name == "server.access"]
    assert any(line.startswith("GET /health 200 ") and line.endswith("ms") for line in lines)


def test_json_ld_entity_uses_the_published_context(server_url):
    doc = json.loads(httpx.get(f"{server_url}/id/kazakhstan.jsonld").text)
    assert doc["@context"] == f"{server_url}/context.jsonld"


def test_an_on_disk_store_loads_once(tmp_path):
    path = tmp_path / "store"
    with serving(store_path=path, workers=1) as url:
        assert httpx.get(f"{url}/sparql", params={"query": "ASK { ?s ?p ?o }"}).json()["boolean"] is True
    marker = path / "rkg-data-version"
    first = marker.stat().st_mtime_ns
    with serving(store_path=path, workers=1) as url:
        assert httpx.get(f"{url}/id/kazakhstan.ttl").status_code == 200
    assert marker.stat().st_mtime_ns == first


def test_the_memory_limit_decides_how_many_copies_of_the_graph_are_held_in_memory():
    from server.site import in_memory_mib, memory_plan

    assert in_memory_mib(994_571, 1) == 391  # measured: 390 MiB for a million-triple store, once loaded
    assert memory_plan(10_000, 3, 1024) == (3, "")
    assert memory_plan(994_571, 3, 4096) == (3, "")
    why = "4 copies of about {} MiB in memory and 128 MiB kept by the server would pass {} MiB (--memory-limit)"
    assert memory_plan(994_571, 3, 1024) == (1, "1 query worker of 3: " + why.format(439, "1,024"))
    assert memory_plan(994_571, 3, 1500) == (2, "2 query workers of 3: " + why.format(439, "1,500"))
    assert memory_plan(2_000_000, 3, 1024) == (0, why.format(834, "1,024"))  # then the store goes on disk


def test_past_the_memory_limit_the_store_is_served_from_disk_with_the_same_answers():
    from server.config import Settings
    from server.site import build_site

    query = {
        "query": "SELECT ?s ?name WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?name } ORDER BY ?s ?name"
    }
    answers = []
    for limit in (1024, 1):  # the repository's graph takes about 53 MiB a process
        site = build_site(Settings.load(environ={}, workers=1, memory_limit=limit))
        assert site.serving() == ("the embedded store in memory" if limit > 1 else
                                  "the embedded store on disk (2 copies of about 53 MiB in memory and 128 MiB "
                                  "kept by the server would pass 1 MiB (--memory-limit))")  # fmt: skip
        site.close()
        with serving(workers=1, memory_limit=limit) as url:
            answers.append([httpx.get(f"{url}/sparql", params=query).content, httpx.get(f"{url}/id/kazakhstan.ttl")])
    assert answers[0][0] == answers[1][0] and len(json.loads(answers[0][0])["results"]["bindings"]) > 100
    pages = [rdflib.Graph().parse(data=page.text, format="turtle") for _, page in answers]
    assert isomorphic(*pages)  # the same triples; blank node labels are each store's own


def test_serve_refuses_invalid_data(tmp_path):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    text = (data / "seed-000.ttl").read_text(encoding="utf-8")
    (data / "seed-000.ttl").write_text(text.replace("rep:quantity 490 ;", "rep:quantity 491 ;", 1), encoding="utf-8")
    result = rkg("serve", "--data", data, "--port", "1", "--sources", SEEDS)
    assert result.returncode == 1
    assert "does not validate" in result.stderr and "shp:Bounds-upper" in result.stderr
