"""Oxigraph triples in rdflib for pySHACL: blank nodes keep their labels, and text() names terms as results do."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from server.project import PREFIXES
from server.rdfgraph import text, to_graph

XSD = "http://www.w3.org/2001/XMLSchema#"
P = ox.NamedNode("http://example.org/p")


@pytest.mark.parametrize(
    "term",
    [
        ox.NamedNode("http://example.org/a"),
        ox.BlankNode("b1"),
        ox.Literal("plain"),
        ox.Literal("tagged", language="en"),
        ox.Literal("01", datatype=ox.NamedNode(XSD + "integer")),
        ox.Literal("2024-13-99", datatype=ox.NamedNode(XSD + "date")),
    ],
    ids=["iri", "blank", "string", "langString", "integer", "ill-typed"],
)
def test_text_is_how_the_rdflib_graph_prints_the_term(term: ox.Term):
    graph = to_graph([ox.Triple(ox.NamedNode("http://example.org/s"), P, term)])
    (converted,) = list(graph.objects())
    assert text(term) == str(converted)


def test_blank_nodes_keep_their_labels_and_the_prefixes_are_bound():
    graph = to_graph([ox.Triple(ox.BlankNode("x7"), P, ox.BlankNode("y8"))])
    assert [(str(s), str(o)) for s, _, o in graph] == [("x7", "y8")]
    assert dict(graph.namespaces())["rep"].toPython() == PREFIXES["rep"]
