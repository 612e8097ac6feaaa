"""Small reads of the store by triple pattern (union of all graphs, or one graph): objects, subjects, labels."""

from __future__ import annotations

import pyoxigraph as ox

from server.project import PREFIXES
from server.store import ReadStore

Node = ox.NamedNode | ox.BlankNode
RdfTerm = ox.NamedNode | ox.BlankNode | ox.Literal
Graph = ox.NamedNode | None


def term(prefixed: str) -> ox.NamedNode:
    """The IRI of a prefixed name such as `rep:Claim`."""
    prefix, local = prefixed.split(":", 1)
    return ox.NamedNode(PREFIXES[prefix] + local)


RDF_TYPE = term("rdf:type")
RDFS_LABEL = term("rdfs:label")
SKOS_PREF_LABEL = term("skos:prefLabel")


def triple_key(triple: ox.Triple) -> tuple[str, str, str]:
    """A sort key that orders triples by subject, predicate and object."""
    return str(triple.subject), str(triple.predicate), str(triple.object)


def triples(
    store: ReadStore,
    subject: Node | None = None,
    predicate: ox.NamedNode | None = None,
    obj: RdfTerm | None = None,
    graph: Graph = None,
) -> list[ox.Triple]:
    """Matching triples of all graphs together (or of `graph`), without duplicates, sorted."""
    found = {
        ox.Triple(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(subject, predicate, obj, graph)
    }
    return sorted(found, key=triple_key)


def objects(store: ReadStore, subject: Node, predicate: ox.NamedNode, graph: Graph = None) -> list[RdfTerm]:
    return [t.object for t in triples(store, subject, predicate, None, graph)]


def subjects(store: ReadStore, predicate: ox.NamedNode, obj: RdfTerm, graph: Graph = None) -> list[Node]:
    return [t.subject for t in triples(store, None, predicate, obj, graph)]


def is_known(store: ReadStore, node: ox.NamedNode) -> bool:
    """Whether some triple has `node` as subject or object."""
    return any(True for _ in store.quads_for_pattern(node, None, None, None)) or any(
        True for _ in store.quads_for_pattern(None, None, node, None)
    )


def closure(store: ReadStore, node: Node, graph: Graph = None) -> set[ox.Triple]:
    """The triples with `node` as subject, and those of every blank node they reach, transitively."""
    out: set[ox.Triple] = set()
    seen: set[Node] = set()
    todo: list[Node] = [node]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for triple in triples(store, current, None, None, graph):
            out.add(triple)
            if isinstance(triple.object, ox.BlankNode):
                todo.append(triple.object)
    return out


def pick_literal(values: list[RdfTerm], language: str = "en") -> ox.Literal | None:
    """The literal in `language`, else one without a language, else any literal (first in sorted order)."""
    literals = [v for v in values if isinstance(v, ox.Literal)]
    for wanted in (language, None):
        for lit in literals:
            if lit.language == wanted:
                return lit
    return literals[0] if literals else None


def local_name(iri: str) -> str:
    """The part of an IRI after its last `#` or `/`."""
    return iri.rstrip("/#").rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def label(store: ReadStore, node: RdfTerm, graph: Graph = None) -> str:
    """rdfs:label, else skos:prefLabel (English preferred), else the IRI's local name."""
    if isinstance(node, ox.Literal):
        return node.value
    if not isinstance(node, ox.NamedNode):
        return "(unnamed node)"
    for predicate in (RDFS_LABEL, SKOS_PREF_LABEL):
        found = pick_literal(objects(store, node, predicate, graph))
        if found is not None:
            return found.value
    return local_name(node.value)
