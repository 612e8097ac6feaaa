"""Faster SHACL validation with exactly plain pySHACL's results (server.shacl.check_shapes).

The shapes graph is first rewritten (server.shapegraph): property shapes carry their node shape's targets,
so pySHACL checks each once for all focus nodes rather than once per focus node. Each sh:or / sh:xone of a
targeted node shape whose members are simple is decided on the data graph itself (server.choices). The
rest is independent checks (each result comes from one targeted shape): they run in forked workers that share
the data graph, grouped by estimated cost, and their results are put together. Shapes outside what the
rewrites keep exact go to plain pySHACL.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import rdflib
from rdflib.namespace import RDF, SH

from server import shapegraph as sg
from server.choices import conforms, simple
from server.parallel import default_workers, fork_map, in_order
from server.shacl import Violation, check_shapes

Item = sg.Node | sg.Choice  # what a worker is given: a targeted shape, or a choice to decide
_job: tuple[rdflib.Graph, rdflib.Graph] | None = None  # (data, rewritten shapes), inherited by forked workers


def check_shapes_fast(data: rdflib.Graph, shapes: rdflib.Graph, workers: int | None = None) -> list[Violation]:
    """Every validation result of `shapes` over `data`: the same list as check_shapes(data, shapes)."""
    if not sg.handled(shapes):
        return check_shapes(data, shapes)
    hoisted = sg.hoist(shapes)
    decided = [c for c in sg.choices(hoisted) if all(simple(hoisted, m) for m in c.members)]
    rewritten = sg.without(hoisted, decided)
    count = workers or default_workers()
    focus = _focus_counter(data, rewritten)
    costs: dict[Item, int] = {s: focus(s) * (1 + len(sg.closure(rewritten, s))) for s in sg.targeted(rewritten)}
    costs.update({c: focus(c.shape) * (1 + sum(len(sg.closure(rewritten, m)) for m in c.members)) for c in decided})
    global _job
    _job = (data, rewritten)
    try:
        found = fork_map(_check_group, balanced(costs, 1 if count == 1 else 2 * count), count)
    finally:
        _job = None
    return sorted(v for part in found for v in part)


def balanced(costs: dict[Item, int], groups: int) -> list[list[Item]]:
    """The items in at most `groups` groups of about equal total cost (costliest first, each to the lightest
    group), the costliest group first."""
    members: list[list[Item]] = [[] for _ in range(groups)]
    totals = [0] * groups
    for item in in_order(costs, costs.__getitem__):
        lightest = totals.index(min(totals))
        members[lightest].append(item)
        totals[lightest] += costs[item] + 1
    return in_order((m for m in members if m), lambda m: sum(costs[i] for i in m))


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


def _focus_counter(data: rdflib.Graph, shapes: rdflib.Graph) -> Callable[[sg.Node], int]:
    """About how many focus nodes a shape has (typing triples for a class, else the predicate's triples)."""

    @cache
    def triples(pattern: tuple[sg.Node | None, ...]) -> int:
        return sum(1 for _ in data.triples(pattern))

    def count(shape: sg.Node) -> int:
        return sum(
            1 if p == SH.targetNode else triples((None, RDF.type, o) if p == SH.targetClass else (None, o, None))
            for p, o in sg.targets(shapes, shape)
        )

    return count


def _check_group(group: list[Item]) -> list[Violation]:
    """The results of a group: its targeted shapes by pySHACL, its choices decided on the data."""
    assert _job is not None, "set by check_shapes_fast"
    data, shapes = _job
    targeted = [item for item in group if not isinstance(item, sg.Choice)]
    found = check_shapes(data, sg.only(shapes, targeted)) if targeted else []
    for choice in (item for item in group if isinstance(item, sg.Choice)):
        focus = sg.focus_nodes(data, shapes, choice.shape)
        failing = [{f for f in focus if not conforms(data, shapes, m, f)} for m in choice.members]
        found += decide(choice, focus, failing, shapes)
    return found
