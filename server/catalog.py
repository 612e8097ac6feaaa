"""Descriptions of the service and the dataset: the SPARQL Service Description and VoID, as RDF graphs.

Both name the real URLs of this server (taken from the request), so that clients can follow them.
"""

from __future__ import annotations

import pyoxigraph as ox

from server.project import BASE_IRI, ONTOLOGY_IRI, PREFIXES
from server.store import ReadStore

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://www.w3.org/ns/void#"
FORMATS = "http://www.w3.org/ns/formats/"
DATASET_IRI = BASE_IRI + "dataset"
LICENCE = "https://creativecommons.org/licenses/by/4.0/"
CATALOG_PREFIXES = {**PREFIXES, "sd": SD, "void": VOID, "formats": FORMATS}

_FORMAT_NAMES = {
    "application/sparql-results+json": "SPARQL_Results_JSON",
    "application/sparql-results+xml": "SPARQL_Results_XML",
    "text/csv": "SPARQL_Results_CSV",
    "text/tab-separated-values": "SPARQL_Results_TSV",
    "text/turtle": "Turtle",
    "application/n-triples": "N-Triples",
    "application/ld+json": "JSON-LD",
    "application/rdf+xml": "RDF_XML",
    "application/n-quads": "N-Quads",
}
DUMP_TYPES = {"ttl": "text/turtle", "nt": "application/n-triples", "nq": "application/n-quads",
              "trig": "application/trig", "jsonld": "application/ld+json"}  # fmt: skip


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def graph_sizes(store: ReadStore) -> dict[str, int]:
    """Triples per named graph."""
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    return {s["g"].value: int(s["n"].value) for s in store.query(query)}


def service_description(endpoint: str, store: ReadStore, triples: int, timeout: float, cap: int) -> list[ox.Triple]:
    """The SPARQL 1.1 Service Description of the endpoint at `endpoint`."""
    service, dataset, default = _n(endpoint), ox.BlankNode("dataset"), ox.BlankNode("default")
    a = _n(PREFIXES["rdf"] + "type")
    out = [
        ox.Triple(service, a, _n(SD + "Service")),
        ox.Triple(service, _n(SD + "endpoint"), service),
        ox.Triple(service, _n(SD + "supportedLanguage"), _n(SD + "SPARQL11Query")),
        ox.Triple(service, _n(SD + "feature"), _n(SD + "UnionDefaultGraph")),
        ox.Triple(
            service, _n(PREFIXES["dcterms"] + "title"), ox.Literal("repatriation-kg SPARQL endpoint", language="en")
        ),
        ox.Triple(
            service,
            _n(PREFIXES["rdfs"] + "comment"),
            ox.Literal(
                f"Read-only SPARQL 1.1 query endpoint. Queries stop after {timeout:g} s; results are capped at "
                f"{cap} rows. SERVICE, LOAD and remote FROM are refused.",
                language="en",
            ),
        ),
        ox.Triple(service, _n(SD + "defaultDataset"), dataset),
        ox.Triple(dataset, a, _n(SD + "Dataset")),
        ox.Triple(dataset, _n(SD + "defaultGraph"), default),
        ox.Triple(default, a, _n(SD + "Graph")),
        ox.Triple(default, _n(VOID + "triples"), ox.Literal(triples)),
        ox.Triple(dataset, _n(PREFIXES["dcterms"] + "source"), _n(DATASET_IRI)),
    ]
    out += [ox.Triple(service, _n(SD + "resultFormat"), _n(FORMATS + name)) for name in _FORMAT_NAMES.values()]
    for name, size in graph_sizes(store).items():
        named, graph = ox.BlankNode(), ox.BlankNode()
        out += [
            ox.Triple(dataset, _n(SD + "namedGraph"), named),
            ox.Triple(named, a, _n(SD + "NamedGraph")),
            ox.Triple(named, _n(SD + "name"), _n(name)),
            ox.Triple(named, _n(SD + "graph"), graph),
            ox.Triple(graph, a, _n(SD + "Graph")),
            ox.Triple(graph, _n(VOID + "triples"), ox.Literal(size)),
        ]
    return out


def void_description(site: str, store: ReadStore, triples: int, modified: str) -> list[ox.Triple]:
    """VoID for the dataset: size, classes, licence, dumps, SPARQL endpoint, vocabulary."""
    ds, a = _n(DATASET_IRI), _n(PREFIXES["rdf"] + "type")
    dcterms = PREFIXES["dcterms"]
    out = [
        ox.Triple(ds, a, _n(VOID + "Dataset")),
        ox.Triple(ds, _n(dcterms + "title"), ox.Literal("repatriation-kg", language="en")),
        ox.Triple(
            ds,
            _n(dcterms + "description"),
            ox.Literal(
                "Claims with provenance about the repatriation of foreign fighters and their families from Syria "
                "and Iraq: every figure and statement with who made it, in which source and in which words.",
                language="en",
            ),
        ),
        ox.Triple(ds, _n(dcterms + "license"), _n(LICENCE)),
        ox.Triple(ds, _n(dcterms + "modified"), ox.Literal(modified, datatype=_n(PREFIXES["xsd"] + "dateTime"))),
        ox.Triple(ds, _n(VOID + "triples"), ox.Literal(triples)),
        ox.Triple(ds, _n(VOID + "sparqlEndpoint"), _n(site + "/sparql")),
        ox.Triple(ds, _n(VOID + "uriSpace"), ox.Literal(BASE_IRI + "id/")),
        ox.Triple(ds, _n(VOID + "vocabulary"), _n(ONTOLOGY_IRI)),
        ox.Triple(ds, _n(VOID + "rootResource"), _n(BASE_IRI + "id/kazakhstan")),
    ]
    out += [ox.Triple(ds, _n(VOID + "dataDump"), _n(f"{site}/data/repatriation-kg.{ext}")) for ext in DUMP_TYPES]
    classes = store.query(
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY ?c",
        use_default_graph_as_union=True,
    )
    rows = [(s["c"].value, int(s["n"].value)) for s in classes]
    out.append(ox.Triple(ds, _n(VOID + "classes"), ox.Literal(len(rows))))
    for cls, count in rows:
        part = ox.BlankNode()
        out += [
            ox.Triple(ds, _n(VOID + "classPartition"), part),
            ox.Triple(part, _n(VOID + "class"), _n(cls)),
            ox.Triple(part, _n(VOID + "entities"), ox.Literal(count)),
        ]
    for name in graph_sizes(store):
        out.append(ox.Triple(ds, _n(VOID + "subset"), _n(name)))
    return out
