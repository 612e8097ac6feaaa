"""The ontology graph read as documentation: its header, classes, properties, claim properties and concept schemes."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from server.describe import Statement, Term
from server.lookup import RDF_TYPE, label, local_name, objects, pick_literal, subjects, term
from server.project import GRAPH_BASE, ONTOLOGY_IRI
from server.store import ReadStore
from server.terms import compact

ONTOLOGY_GRAPH = ox.NamedNode(GRAPH_BASE + "ontology")

# The links shown under a term, in this order, with the words that introduce them.
_RELATIONS = (
    ("rdfs:subClassOf", "subclass of"),
    ("rdfs:subPropertyOf", "subproperty of"),
    ("rdfs:domain", "domain"),
    ("rdfs:range", "range"),
    ("skos:broader", "broader"),
)


@dataclass(frozen=True)
class TermDoc:
    """One term of the vocabulary; `anchor` is its local name, the fragment of its section."""

    iri: str
    anchor: str
    name: str
    label: str
    comment: str | None = None
    definition: str | None = None
    notes: tuple[str, ...] = ()
    notation: str | None = None
    deprecated: bool = False
    links: tuple[Statement, ...] = ()


@dataclass(frozen=True)
class TermGroup:
    """A heading term (a claim-property kind or a concept scheme) with its members."""

    head: TermDoc
    members: tuple[TermDoc, ...]
    shown_elsewhere: tuple[Term, ...] = ()


@dataclass(frozen=True)
class OntologyDoc:
    iri: str
    title: str
    description: str | None
    version: str | None
    version_iri: str | None
    licence: str | None
    created: str | None
    modified: str | None
    creator: str | None
    prefix: str | None
    namespace: str | None
    classes: tuple[TermDoc, ...]
    object_properties: tuple[TermDoc, ...]
    datatype_properties: tuple[TermDoc, ...]
    claim_properties: tuple[TermGroup, ...]
    schemes: tuple[TermGroup, ...]


def _text(store: ReadStore, node: ox.NamedNode, prefixed: str) -> str | None:
    """The English (else any) literal value, or the IRI, of one property in the ontology graph."""
    values = objects(store, node, term(prefixed), ONTOLOGY_GRAPH)
    literal = pick_literal(values)
    if literal is not None:
        return literal.value
    return values[0].value if values else None


def term_doc(store: ReadStore, node: ox.NamedNode) -> TermDoc:
    """A term's label, comment, definition, notes and links, from the ontology graph."""
    links = tuple(
        Statement(Term(term(rel).value, words), Term(target.value, compact(target.value)))
        for rel, words in _RELATIONS
        for target in objects(store, node, term(rel), ONTOLOGY_GRAPH)
        if isinstance(target, ox.NamedNode)
    )
    notes = tuple(
        v.value
        for rel in ("skos:scopeNote", "skos:example")
        for v in objects(store, node, term(rel), ONTOLOGY_GRAPH)
        if isinstance(v, ox.Literal)
    )
    comment, definition = _text(store, node, "rdfs:comment"), _text(store, node, "skos:definition")
    return TermDoc(
        iri=node.value,
        anchor=local_name(node.value),
        name=compact(node.value),
        label=label(store, node, ONTOLOGY_GRAPH),
        comment=comment,
        definition=definition if definition != comment else None,
        notes=notes,
        notation=_text(store, node, "skos:notation"),
        deprecated=_text(store, node, "owl:deprecated") == "true",
        links=links,
    )


def _of_type(store: ReadStore, cls: ox.NamedNode) -> list[ox.NamedNode]:
    found = subjects(store, RDF_TYPE, cls, ONTOLOGY_GRAPH)
    return [n for n in found if isinstance(n, ox.NamedNode)]


def _docs(store: ReadStore, nodes: list[ox.NamedNode]) -> tuple[TermDoc, ...]:
    return tuple(sorted((term_doc(store, n) for n in nodes), key=lambda d: d.label.lower()))


def _subclasses(store: ReadStore, root: ox.NamedNode) -> list[ox.NamedNode]:
    """The classes below `root` in the ontology graph, transitively."""
    found: list[ox.NamedNode] = []
    todo = [root]
    while todo:
        for sub in subjects(store, term("rdfs:subClassOf"), todo.pop(), ONTOLOGY_GRAPH):
            if isinstance(sub, ox.NamedNode) and sub not in found:
                found.append(sub)
                todo.append(sub)
    return found


def _claim_properties(store: ReadStore) -> tuple[TermGroup, ...]:
    """Claim properties grouped by their kind (the subclasses of rep:ClaimProperty that have members)."""
    groups = [
        TermGroup(term_doc(store, kind), _docs(store, _of_type(store, kind)))
        for kind in _subclasses(store, term("rep:ClaimProperty"))
    ]
    return tuple(sorted((g for g in groups if g.members), key=lambda g: g.head.label.lower()))


def _schemes(store: ReadStore) -> tuple[TermGroup, ...]:
    """Concept schemes with their concepts; a concept in two schemes is documented under the first only."""
    groups, seen = [], set()
    for scheme in _docs(store, _of_type(store, term("skos:ConceptScheme"))):
        members = subjects(store, term("skos:inScheme"), ox.NamedNode(scheme.iri), ONTOLOGY_GRAPH)
        docs = _docs(store, [m for m in members if isinstance(m, ox.NamedNode)])
        groups.append(
            TermGroup(
                scheme,
                tuple(d for d in docs if d.iri not in seen),
                tuple(Term(d.iri, d.label) for d in docs if d.iri in seen),
            )
        )
        seen.update(d.iri for d in docs)
    return tuple(groups)


def ontology_doc(store: ReadStore) -> OntologyDoc:
    """The whole ontology graph as documentation, every list sorted by label."""
    node = ox.NamedNode(ONTOLOGY_IRI)
    return OntologyDoc(
        iri=ONTOLOGY_IRI,
        title=_text(store, node, "dcterms:title") or "Ontology",
        description=_text(store, node, "dcterms:description"),
        version=_text(store, node, "owl:versionInfo"),
        version_iri=_text(store, node, "owl:versionIRI"),
        licence=_text(store, node, "dcterms:license"),
        created=_text(store, node, "dcterms:created"),
        modified=_text(store, node, "dcterms:modified"),
        creator=_text(store, node, "dcterms:creator"),
        prefix=_text(store, node, "vann:preferredNamespacePrefix"),
        namespace=_text(store, node, "vann:preferredNamespaceUri"),
        classes=_docs(store, _of_type(store, term("owl:Class"))),
        object_properties=_docs(store, _of_type(store, term("owl:ObjectProperty"))),
        datatype_properties=_docs(store, _of_type(store, term("owl:DatatypeProperty"))),
        claim_properties=_claim_properties(store),
        schemes=_schemes(store),
    )
