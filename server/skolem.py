"""Blank nodes as IRIs for an external engine, and back (RDF 1.1 Concepts §3.5, Skolemization).

Over the SPARQL protocol a blank node cannot be named in a later query, so a page that follows a claim's evidence
to its selectors could not read them from an engine. Before loading, each blank node is replaced by a Skolem IRI
under `/.well-known/genid/`; whatever the server reads from the engine is mapped back, so that pages, dumps and
query results show blank nodes, as the embedded store does. The names are canonical per graph (the same file
always gives the same IRIs), so loading the same build again changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pyoxigraph as ox

from server.project import BASE_IRI

GENID = BASE_IRI + ".well-known/genid/"
_LABEL = re.compile(r"[^A-Za-z0-9_-]")

Term = ox.NamedNode | ox.BlankNode | ox.Literal


def skolemise_graph(triples: Iterable[ox.Triple], name: str) -> list[ox.Triple]:
    """The triples of graph `name` with every blank node replaced by a Skolem IRI named after the graph and the
    node's canonical label (stable for the same triples, distinct across graphs)."""
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    prefix = GENID + _LABEL.sub("_", name) + "-"

    def named(node: Term) -> Term:
        return ox.NamedNode(prefix + node.value) if isinstance(node, ox.BlankNode) else node

    return [ox.Triple(named(q.subject), q.predicate, named(q.object)) for q in dataset]


def skolemise_quads(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """A dataset with every blank node replaced as `skolemise_graph` does, graph by graph (named graphs only)."""
    graphs: dict[ox.NamedNode, list[ox.Triple]] = {}
    for quad in quads:
        graphs.setdefault(quad.graph_name, []).append(quad.triple)
    return [
        ox.Quad(t.subject, t.predicate, t.object, graph)
        for graph, triples in graphs.items()
        for t in skolemise_graph(triples, graph.value.rsplit("/", 1)[-1])
    ]


def to_engine(node: Term) -> Term:
    """A term as the engine holds it: a blank node read from the engine becomes its Skolem IRI again."""
    return ox.NamedNode(GENID + node.value) if isinstance(node, ox.BlankNode) else node


def from_engine(node: Term) -> Term:
    """A term read from the engine as the server shows it: a Skolem IRI becomes a blank node again."""
    if isinstance(node, ox.NamedNode) and node.value.startswith(GENID):
        return ox.BlankNode(node.value.removeprefix(GENID))
    return node


def blank_label(text: str) -> str:
    """A blank node label valid in N-Triples for one an engine made itself (Virtuoso's look like `nodeID://b123`)."""
    return ("e" + _LABEL.sub("_", text)) if _LABEL.search(text) or not text else text
