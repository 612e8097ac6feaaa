"""Faster SHACL validation with the same results as plain pySHACL (server.shacl.check_shapes).

Two steps, both exact:

1. Hoisting. pySHACL checks a node shape's `sh:property` shapes once per focus node, building every
   constraint again each time; a property shape that carries the node shape's targets itself is checked once
   for all focus nodes. The results are the same (a property shape's result names the property shape as its
   source, whichever way it was reached), so each property shape that only one targeted node shape refers
   to is given that node shape's targets instead.
2. Parallel shapes. Every result comes from one targeted shape, so the targeted shapes are checked apart,
   in forked workers that share the data graph, and their results put together.

Shapes this module does not handle (SHACL-SPARQL targets, implicit class targets, deactivated targeted shapes)
are checked by plain pySHACL.
"""

from __future__ import annotations

from collections.abc import Collection

import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SH

from server.parallel import default_workers, fork_map, in_order
from server.shacl import Violation, check_shapes

TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
_UNHANDLED = (SH.target, SH.deactivated)

_job: tuple[rdflib.Graph, rdflib.Graph] | None = None  # (data, shapes) inherited by forked workers


def check_shapes_fast(data: rdflib.Graph, shapes: rdflib.Graph, workers: int | None = None) -> list[Violation]:
    """Every validation result of `shapes` over `data`: the same list as check_shapes(data, shapes)."""
    if not handled(shapes):
        return check_shapes(data, shapes)
    hoisted = hoist(shapes)
    count = workers or default_workers()
    costs = {shape: focus_estimate(data, hoisted, shape) * len(closure(hoisted, shape)) for shape in targeted(hoisted)}
    groups = balanced(costs, 1 if count == 1 else 2 * count)
    global _job
    _job = (data, hoisted)
    try:
        parts = fork_map(_check_group, groups, count)
    finally:
        _job = None
    return sorted(v for part in parts for v in part)


def handled(shapes: rdflib.Graph) -> bool:
    """Whether the shapes use only what hoisting and splitting keep exact."""
    implicit = any(
        (shape, RDF.type, cls) in shapes
        for shape in set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.subjects(RDF.type, SH.PropertyShape))
        for cls in (RDFS.Class, OWL.Class)
    )
    return not implicit and not any((None, p, None) in shapes for p in _UNHANDLED)


def targeted(shapes: rdflib.Graph) -> list[rdflib.term.Node]:
    """The shapes with explicit targets, in a stable order."""
    return sorted({s for target in TARGETS for s in shapes.subjects(target, None)}, key=str)


def hoist(shapes: rdflib.Graph) -> rdflib.Graph:
    """A copy of `shapes` in which each property shape of one targeted node shape carries its targets."""
    out = _copy(shapes)
    for node in targeted(shapes):
        targets = [(p, o) for p in TARGETS for o in shapes.objects(node, p)]
        for prop in list(shapes.objects(node, SH.property)):
            if len(set(shapes.subjects(SH.property, prop))) != 1 or any((prop, p, None) in shapes for p in TARGETS):
                continue  # shared, or with targets of its own: left as it is
            out.remove((node, SH.property, prop))
            for p, o in targets:
                out.add((prop, p, o))
    return out


def only(shapes: rdflib.Graph, group: Collection[rdflib.term.Node]) -> rdflib.Graph:
    """A copy of `shapes` in which only the shapes of `group` keep their targets."""
    out = _copy(shapes)
    for other in targeted(shapes):
        if other not in group:
            for p in TARGETS:
                out.remove((other, p, None))
    return out


def closure(shapes: rdflib.Graph, shape: rdflib.term.Node) -> set[tuple[rdflib.term.Node, ...]]:
    """The triples of the shapes graph reachable from `shape` (a rough measure of its cost)."""
    seen: set[tuple[rdflib.term.Node, ...]] = set()
    todo = [shape]
    while todo:
        node = todo.pop()
        for p, o in shapes.predicate_objects(node):
            if (node, p, o) not in seen and p not in TARGETS:
                seen.add((node, p, o))
                todo.append(o)
    return seen


def focus_estimate(data: rdflib.Graph, shapes: rdflib.Graph, shape: rdflib.term.Node) -> int:
    """About how many focus nodes `shape` has in `data` (direct instances only: an estimate for balancing)."""
    return sum(
        sum(1 for _ in data.triples(_target_pattern(p, o))) if p != SH.targetNode else 1
        for p in TARGETS
        for o in shapes.objects(shape, p)
    )


def balanced(costs: dict[rdflib.term.Node, int], groups: int) -> list[list[rdflib.term.Node]]:
    """The shapes in at most `groups` groups of about equal total cost (costliest first, each to the lightest group)."""
    members: list[list[rdflib.term.Node]] = [[] for _ in range(groups)]
    totals = [0] * groups
    for shape in in_order(costs, costs.__getitem__):
        lightest = totals.index(min(totals))
        members[lightest].append(shape)
        totals[lightest] += costs[shape] + 1
    return in_order((m for m in members if m), lambda m: sum(costs[s] for s in m))


def _target_pattern(target: rdflib.term.Node, value: rdflib.term.Node) -> tuple:
    """Triples that each make about one focus node: typing triples for a class, else the predicate's triples."""
    return (None, RDF.type, value) if target == SH.targetClass else (None, value, None)


def _check_group(group: list[rdflib.term.Node]) -> list[Violation]:
    assert _job is not None, "set by check_shapes_fast"
    data, shapes = _job
    return check_shapes(data, only(shapes, group))


def _copy(graph: rdflib.Graph) -> rdflib.Graph:
    out = rdflib.Graph()
    for triple in graph:
        out.add(triple)
    return out
