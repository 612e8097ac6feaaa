"""Rewrites of a SHACL shapes graph that keep pySHACL's results but cost it less, and the targets of a shape.

Hoisting: pySHACL checks a node shape's `sh:property` shapes once per focus node, building every constraint
again each time; a property shape that carries the node shape's targets itself is checked once for all focus
nodes, with the same results (a property shape's result names the property shape as its source either way).

Choices: a targeted node shape's `sh:or` or `sh:xone` can be taken out of the shapes graph and decided
apart (server.choices), when its message and severity are fixed and its members reach no targets.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

import rdflib
from rdflib.collection import Collection as RdfList
from rdflib.namespace import OWL, RDF, RDFS, SH

Node = rdflib.term.Node
TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
_UNHANDLED = (SH.target, SH.deactivated)


@dataclass(frozen=True)
class Choice:
    """A targeted node shape's sh:or or sh:xone (kind), with its members in list order."""

    shape: rdflib.URIRef
    kind: rdflib.URIRef
    members: tuple[Node, ...]


def handled(shapes: rdflib.Graph) -> bool:
    """Whether the shapes use only what these rewrites keep exact (no SPARQL targets, no implicit class
    targets, nothing deactivated)."""
    kinds = set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.subjects(RDF.type, SH.PropertyShape))
    implicit = any((shape, RDF.type, cls) in shapes for shape in kinds for cls in (RDFS.Class, OWL.Class))
    return not implicit and not any((None, p, None) in shapes for p in _UNHANDLED)


def targeted(shapes: rdflib.Graph) -> list[Node]:
    """The shapes with explicit targets, in a stable order."""
    return sorted({s for target in TARGETS for s in shapes.subjects(target, None)}, key=str)


def targets(shapes: rdflib.Graph, shape: Node) -> list[tuple[Node, Node]]:
    """A shape's target declarations as (predicate, object) pairs."""
    return [(p, o) for p in TARGETS for o in shapes.objects(shape, p)]


def hoist(shapes: rdflib.Graph) -> rdflib.Graph:
    """A copy of `shapes` in which each property shape of one targeted node shape carries its targets."""
    out = copy(shapes)
    for node in targeted(shapes):
        declared = targets(shapes, node)
        for prop in list(shapes.objects(node, SH.property)):
            if len(set(shapes.subjects(SH.property, prop))) != 1 or targets(shapes, prop):
                continue  # shared, or with targets of its own: left as it is
            out.remove((node, SH.property, prop))
            for p, o in declared:
                out.add((prop, p, o))
    return out


def only(shapes: rdflib.Graph, group: Collection[Node]) -> rdflib.Graph:
    """A copy of `shapes` in which only the shapes of `group` keep their targets."""
    out = copy(shapes)
    for other in targeted(shapes):
        if other not in group:
            for p in TARGETS:
                out.remove((other, p, None))
    return out


def choices(shapes: rdflib.Graph) -> list[Choice]:
    """The sh:or and sh:xone of targeted node shapes that can be decided from their members' own checks.

    The node shape has an IRI, one fixed message (no {placeholders}) and at most one severity; each member
    reaches no target, no other severity than sh:Violation (a warning would count as conforming) and not
    the node shape itself.
    """
    found = []
    for shape in targeted(shapes):
        messages = list(shapes.objects(shape, SH.message))
        if not isinstance(shape, rdflib.URIRef) or (shape, SH.path, None) in shapes:
            continue
        if len(messages) != 1 or "{" in str(messages[0]) or len(set(shapes.objects(shape, SH.severity))) > 1:
            continue
        for kind in (SH["or"], SH.xone):
            lists = list(shapes.objects(shape, kind))
            if len(lists) == 1:
                members = tuple(RdfList(shapes, lists[0]))
                if members and all(_plain(shapes, shape, m) for m in members):
                    found.append(Choice(shape, kind, members))
    return found


def without(shapes: rdflib.Graph, decided: Iterable[Choice]) -> rdflib.Graph:
    """A copy of `shapes` without the given choices (their lists stay, unreferenced)."""
    out = copy(shapes)
    for choice in decided:
        out.remove((choice.shape, choice.kind, None))
    return out


def focus_nodes(data: rdflib.Graph, shapes: rdflib.Graph, shape: Node) -> set[Node]:
    """The focus nodes of `shape`'s explicit targets in `data`, as SHACL defines them."""
    found: set[Node] = set()
    for p, o in targets(shapes, shape):
        if p == SH.targetNode:
            found.add(o)
        elif p == SH.targetClass:
            for cls in data.transitive_subjects(RDFS.subClassOf, o):
                found.update(data.subjects(RDF.type, cls))
        elif p == SH.targetSubjectsOf:
            found.update(data.subjects(o, None))
        else:
            found.update(data.objects(None, o))
    return found


def closure(shapes: rdflib.Graph, shape: Node) -> set[tuple[Node, Node, Node]]:
    """The triples of the shapes graph reachable from `shape`, targets left out."""
    seen: set[tuple[Node, Node, Node]] = set()
    todo = [shape]
    while todo:
        node = todo.pop()
        for p, o in shapes.predicate_objects(node):
            if (node, p, o) not in seen and p not in TARGETS:
                seen.add((node, p, o))
                todo.append(o)
    return seen


def copy(graph: rdflib.Graph) -> rdflib.Graph:
    out = rdflib.Graph()
    for triple in graph:
        out.add(triple)
    return out


def _plain(shapes: rdflib.Graph, owner: Node, member: Node) -> bool:
    reached = closure(shapes, member)
    nodes = {member} | {s for s, _, _ in reached}
    return (
        owner not in nodes
        and not any(targets(shapes, n) for n in nodes)
        and all(o == SH.Violation for _, p, o in reached if p == SH.severity)
    )
