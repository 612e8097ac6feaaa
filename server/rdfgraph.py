"""Oxigraph triples as an rdflib Graph for pySHACL, blank nodes keeping their labels.

Keeping the labels means that a blank node named in a SHACL result is the same in every graph made from the
same store (the whole graph, or one file's part of it), so results can be compared and shared between them.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
import rdflib

from server.project import PREFIXES


class _SameLabel(dict):
    """An N-Triples blank node context that maps every label to itself."""

    def get(self, key: str, default: object = None) -> str:
        return key


def to_graph(triples: Iterable[ox.Triple]) -> rdflib.Graph:
    """The triples in an rdflib Graph with the project's prefixes (pySHACL's own messages use them), like
    server.store.to_rdflib; but each blank node `_:b` becomes rdflib's BNode("b")."""
    graph = rdflib.Graph()
    graph.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt", bnode_context=_SameLabel())
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri, replace=True)
    return graph


def text(term: ox.Term) -> str:
    """The term as str() of its rdflib counterpart in to_graph: how a SHACL result names it."""
    if isinstance(term, ox.Literal):
        datatype = None if term.language else term.datatype.value
        return str(rdflib.Literal(term.value, lang=term.language, datatype=datatype))
    return term.value
