"""Faster SHACL validation with exactly plain pySHACL's results (server.shacl.check_shapes).

The shapes graph is first rewritten (server.shapegraph): property shapes carry their node shape's targets,
so pySHACL checks each once for all focus nodes rather than once per focus node. Each sh:or / sh:xone of a
targeted node shape whose members are simple is decided on the data graph itself (server.choices). The
rest is independent checks (each result comes from one targeted shape): they run in forked workers that share
the data graph, grouped by estimated cost, and their results are put together. Shapes outside what the
rewrites keep exact go to plain pySHACL.
"""

from __future__ import annotations

import rdflib
from rdflib.namespace import RDF, SH

from server import shapegraph as sg
from server.choices import conforms, simple
from server.parallel import default_workers, fork_map, in_order
from server.shacl import Violation, check_shapes

_job: tuple[rdflib.Graph, rdflib.Graph] | None = None  # (data, rewritten shapes), inherited by forked workers


def check_shapes_fast(data: rdflib.Graph, shapes: rdflib.Graph, workers: int | None = None) -> list[Violation]:
    """Every validation result of `shapes` over `data`: the same list as check_shapes(data, shapes)."""
    if not sg.handled(shapes):
        return check_shapes(data, shapes)
    hoisted = sg.hoist(shapes)
    decided = [c for c in sg.choices(hoisted) if all(simple(hoisted, m) for m in c.members)]
    rewritten = sg.without(hoisted, decided)
    count = workers or default_workers()
    costs = {shape: cost(data, rewritten, shape) for shape in sg.targeted(rewritten)}
    groups = balanced(costs, 1 if count == 1 else 2 * count)
    global _job
    _job = (data, rewritten)
    try:
        found = [v for part in fork_map(_check_group, groups, count) for v in part]
    finally:
        _job = None
    for choice in decided:
        focus = sg.focus_nodes(data, rewritten, choice.shape)
        failing = [{f for f in focus if not conforms(data, rewritten, m, f)} for m in choice.members]
        found += decide(choice, focus, failing, rewritten)
    return sorted(found)


def cost(data: rdflib.Graph, shapes: rdflib.Graph, shape: sg.Node) -> int:
    """An estimate: about how many focus nodes `shape` has, times its size."""
    focus = sum(
        1 if p == SH.targetNode else sum(1 for _ in data.triples(_pattern(p, o))) for p, o in sg.targets(shapes, shape)
    )
    return focus * (1 + len(sg.closure(shapes, shape)))


def balanced(costs: dict[sg.Node, int], groups: int) -> list[list[sg.Node]]:
    """The shapes in at most `groups` groups of about equal total cost (costliest first, each to the lightest
    group), the costliest group first."""
    members: list[list[sg.Node]] = [[] for _ in range(groups)]
    totals = [0] * groups
    for shape in in_order(costs, costs.__getitem__):
        lightest = totals.index(min(totals))
        members[lightest].append(shape)
        totals[lightest] += costs[shape] + 1
    return in_order((m for m in members if m), lambda m: sum(costs[s] for s in m))


def decide(
    choice: sg.Choice, focus: set[sg.Node], failing: list[set[sg.Node]], shapes: rdflib.Graph
) -> list[Violation]:
    """The results of a choice: sh:or fails where every member fails; sh:xone where not exactly one conforms."""
    if choice.kind == SH["or"]:
        bad = focus.intersection(*failing)
    else:
        bad = {f for f in focus if len(failing) - sum(f in members for members in failing) != 1}
    severity = shapes.value(choice.shape, SH.severity) or SH.Violation
    message = str(shapes.value(choice.shape, SH.message))
    return [Violation(str(choice.shape), str(f), None, str(severity), message, str(f)) for f in bad]


def _pattern(target: sg.Node, value: sg.Node) -> tuple[sg.Node | None, ...]:
    """Triples that each make about one focus node: typing triples for a class, else the predicate's triples."""
    return (None, RDF.type, value) if target == SH.targetClass else (None, value, None)


def _check_group(group: list[sg.Node]) -> list[Violation]:
    assert _job is not None, "set by check_shapes_fast"
    data, shapes = _job
    return check_shapes(data, sg.only(shapes, group))
