"""Real SPARQL clients against the running server: SPARQLWrapper and rdflib's SPARQLStore."""

from __future__ import annotations

import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, TURTLE, XML, SPARQLWrapper

QUERY = """PREFIX rep: <https://w3id.org/repatriation-kg/ontology#>
SELECT ?claim ?value WHERE {
  ?claim rep:subject <https://w3id.org/repatriation-kg/id/kazakhstan> ;
         rep:property rep:repatriatedCount ; rep:quantity ?value
} ORDER BY ?claim"""


def test_sparqlwrapper_get_and_post_in_json_xml_csv(server_url, store):
    from tests.conftest import rows

    expected = {(r["claim"], r["value"]) for r in rows(store, QUERY)}
    assert len(expected) >= 9
    for method in ("GET", "POST"):
        client = SPARQLWrapper(f"{server_url}/sparql")
        client.setMethod(method)
        client.setQuery(QUERY)
        client.setReturnFormat(JSON)
        bindings = client.query().convert()["results"]["bindings"]
        assert {(b["claim"]["value"], b["value"]["value"]) for b in bindings} == expected
        client.setReturnFormat(XML)
        assert len(client.query().convert().getElementsByTagName("result")) == len(expected)
        client.setReturnFormat(CSV)
        assert client.query().convert().decode().count("\n") == len(expected) + 1


def test_sparqlwrapper_construct_as_turtle(server_url):
    client = SPARQLWrapper(f"{server_url}/sparql")
    client.setQuery("CONSTRUCT WHERE { <https://w3id.org/repatriation-kg/id/kazakhstan> ?p ?o }")
    client.setReturnFormat(TURTLE)
    graph = rdflib.Graph().parse(data=client.query().convert(), format="turtle")
    assert len(graph) >= 3


def test_rdflib_sparqlstore(server_url, store):
    from tests.conftest import rows

    graph = rdflib.Graph(store=SPARQLStore(query_endpoint=f"{server_url}/sparql", returnFormat="json"))
    found = {(str(r.claim), str(r.value)) for r in graph.query(QUERY)}
    assert found == {(r["claim"], r["value"]) for r in rows(store, QUERY)}
    assert graph.query("ASK { ?s ?p ?o }").askAnswer is True
