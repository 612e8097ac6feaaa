"""Per-file validation: the graph split into units that can be checked, and cached, one data file at a time.

The shared part is the ontology and the shared data files (entities.ttl, sources.ttl); every other data file
is private. A private file's unit is its own triples plus the shared triples reachable from them, and the
shared unit is the shared triples alone. When the files are independent (no private file mentions a node that
another private file, or a shared file, states triples about) and no shape has an inverse path, every SHACL
result of the whole graph is a result of one of the units and every result of a unit is one of the whole
graph: pySHACL only reads triples reachable from a focus node, plus the class hierarchy, and those are all in
the unit of any file that makes it a focus node. So the whole graph's results are the union of the units'
results, and a change to one private file changes only its own unit's results. Shapes that can read
further (inverse paths, SHACL-SPARQL) or target fixed nodes make the split unusable (split() gives None).

A blank node in a result is named by the load that found it: the results of an unchanged file come from the
cache with the blank node labels of the run that checked it (as the whole graph's cached results always did).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, RDFS, SH

from server import shapegraph as sg
from server.fastshacl import check_shapes_fast
from server.parallel import fork_map, in_order
from server.project import Layout
from server.rdfgraph import text, to_graph
from server.shacl import Violation

SHARED_DATA = ("entities.ttl", "sources.ttl")
# What lets a shape read triples that are not reachable from its focus nodes (inverse paths, SPARQL and
# JavaScript constraints or targets), or makes a node a focus node in every unit (sh:targetNode).
_NOT_LOCAL = (SH.inversePath, SH.sparql, SH.target, SH.targetNode, SH.js, SH.rule)
SCHEME = "units 1"  # changes whenever what a unit holds changes, so that older cache entries are not used
Node = ox.NamedNode | ox.BlankNode


@dataclass(frozen=True)
class Unit:
    """Triples checked together, named by the file they come from, with a key that changes with their inputs."""

    name: str
    key: str
    triples: frozenset[ox.Triple]


def split(store: ox.Store, layout: Layout, shapes: rdflib.Graph) -> list[Unit] | None:
    """The units of the graph in `store`, the shared one first; None when they are not independent."""
    if any((None, p, None) in shapes for p in _NOT_LOCAL):
        return None
    files = [(path, _triples(store, graph)) for path, graph in layout.graph_files()]
    shared = [(p, t) for p, t in files if _is_shared(layout, p)]
    private = [(p, t) for p, t in files if not _is_shared(layout, p)]
    common = frozenset(t for _, triples in shared for t in triples)
    if not independent(common, [t for _, t in private]):
        return None
    base = hashlib.sha256(f"{SCHEME}\0pyshacl {version('pyshacl')}\0".encode())
    for path in [p for p, _ in shared] + layout.shape_files():
        base.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    index = _by_subject(common)
    units = [Unit("shared", base.hexdigest(), common)]
    for path, triples in private:
        key = base.copy()
        key.update(path.name.encode() + b"\0" + path.read_bytes())
        units.append(Unit(path.name, key.hexdigest(), frozenset(triples | reachable(index, _nodes(triples)))))
    return units


def independent(shared: Iterable[ox.Triple], private: list[set[ox.Triple]]) -> bool:
    """Whether no node that a private file states triples about is mentioned by another file, shared or not."""
    owner: dict[Node, int] = {}
    for number, triples in enumerate(private):
        for t in triples:
            if owner.setdefault(t.subject, number) != number:
                return False
    mentioned = [(number, _nodes(triples)) for number, triples in enumerate(private)]
    mentioned.append((-1, _nodes(shared)))
    return all(owner.get(node, number) == number for number, nodes in mentioned for node in nodes)


def reachable(index: dict[Node, list[ox.Triple]], start: set[Node]) -> set[ox.Triple]:
    """The triples of `index` reachable from `start`, following objects to their own triples."""
    found: set[ox.Triple] = set()
    seen = set(start)
    todo = list(start)
    while todo:
        for t in index.get(todo.pop(), ()):
            found.add(t)
            if not isinstance(t.object, ox.Literal) and t.object not in seen:
                seen.add(t.object)
                todo.append(t.object)
    return found


def attribute(results: list[Violation], units: list[Unit], shapes: rdflib.Graph) -> list[list[Violation]] | None:
    """Each unit's share of the whole graph's `results`: those whose focus node the unit makes a focus node of
    the result's shape (so that they are what checking the unit alone gives).

    None when that cannot be told: a result's shape is not a targeted shape with an IRI (after hoisting), two
    focus nodes print alike, or a result falls in no unit.
    """
    hoisted = sg.hoist(shapes)
    tops = {str(s): s for s in sg.targeted(hoisted) if isinstance(s, rdflib.URIRef)}
    if any(v.shape not in tops for v in results):
        return None
    shares: list[list[Violation]] = []
    named: dict[str, ox.Term] = {}
    for unit in units:
        index = _by_predicate(unit.triples)
        foci = {name: _focus_nodes(index, hoisted, shape) for name, shape in tops.items()}
        for node in {n for nodes in foci.values() for n in nodes}:
            if named.setdefault(text(node), node) != node:
                return None
        texts = {name: {text(n) for n in nodes} for name, nodes in foci.items()}
        shares.append([v for v in results if v.focus in texts[v.shape]])
    placed = {v for share in shares for v in share}
    return shares if all(v in placed for v in results) else None


def focus_nodes(triples: Iterable[ox.Triple], shapes: rdflib.Graph, shape: sg.Node) -> set[ox.Term]:
    """The focus nodes of `shape`'s targets among `triples` (class targets through rdfs:subClassOf)."""
    return _focus_nodes(_by_predicate(triples), shapes, shape)


def _focus_nodes(index: dict[str, list[ox.Triple]], shapes: rdflib.Graph, shape: sg.Node) -> set[ox.Term]:
    found: set[ox.Term] = set()
    for p, o in sg.targets(shapes, shape):
        if p == SH.targetNode:
            found.add(_term(o))
        elif p == SH.targetClass:
            classes = _subclasses(index.get(str(RDFS.subClassOf), []), ox.NamedNode(str(o)))
            found.update(t.subject for t in index.get(str(RDF.type), []) if t.object in classes)
        elif p == SH.targetSubjectsOf:
            found.update(t.subject for t in index.get(str(o), []))
        else:
            found.update(t.object for t in index.get(str(o), []))
    return found


def _by_predicate(triples: Iterable[ox.Triple]) -> dict[str, list[ox.Triple]]:
    index: dict[str, list[ox.Triple]] = {}
    for t in triples:
        index.setdefault(t.predicate.value, []).append(t)
    return index


def _subclasses(subclass_triples: list[ox.Triple], cls: ox.NamedNode) -> set[ox.Term]:
    found: set[ox.Term] = {cls}
    grew = True
    while grew:
        before = len(found)
        found |= {t.subject for t in subclass_triples if t.object in found}
        grew = len(found) > before
    return found


def _term(node: sg.Node) -> ox.Term:
    if isinstance(node, rdflib.URIRef):
        return ox.NamedNode(str(node))
    if isinstance(node, rdflib.BNode):
        return ox.BlankNode(str(node))
    assert isinstance(node, rdflib.Literal)
    if node.language:
        return ox.Literal(str(node), language=node.language)
    return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype or "http://www.w3.org/2001/XMLSchema#string")))


def _is_shared(layout: Layout, path: Path) -> bool:
    return path.parent == layout.ontology or path.name in SHARED_DATA


def _triples(store: ox.Store, graph: ox.NamedNode) -> set[ox.Triple]:
    return {ox.Triple(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, graph)}


def _nodes(triples: Iterable[ox.Triple]) -> set[Node]:
    """The IRIs and blank nodes a set of triples mentions as subject or object."""
    found: set[Node] = set()
    for t in triples:
        found.add(t.subject)
        if not isinstance(t.object, ox.Literal):
            found.add(t.object)
    return found


def _by_subject(triples: Iterable[ox.Triple]) -> dict[Node, list[ox.Triple]]:
    index: dict[Node, list[ox.Triple]] = {}
    for t in triples:
        index.setdefault(t.subject, []).append(t)
    return index


_job: tuple[list[Unit], rdflib.Graph] | None = None  # (units to check, shapes), inherited by forked workers


def check_units(units: list[Unit], shapes: rdflib.Graph, workers: int | None = None) -> list[list[Violation]]:
    """The SHACL results of each unit, checked in forked workers, in the order of `units`."""
    global _job
    _job = (units, shapes)
    try:
        order = in_order(range(len(units)), lambda number: len(units[number].triples))
        found = dict(zip(order, fork_map(_check_unit, order, workers), strict=True))
    finally:
        _job = None
    return [found[number] for number in range(len(units))]


def _check_unit(number: int) -> list[Violation]:
    assert _job is not None, "set by check_units"
    units, shapes = _job
    return check_shapes_fast(to_graph(units[number].triples), shapes, workers=1)
