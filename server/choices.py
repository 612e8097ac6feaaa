"""Deciding a node shape's sh:or or sh:xone on the data graph itself, when its members are simple enough.

pySHACL checks every member at every focus node, and a failing member costs it a whole report, so sh:or
and sh:xone were its costliest constraints. A simple member is a property shape with an IRI path and only
sh:hasValue, sh:minCount, sh:maxCount, sh:class, sh:in, sh:equals, sh:lessThan, sh:lessThanOrEquals, or
sh:not of a shape that has only sh:class; or a node shape that has only simple property shapes. Each is read
here exactly as pySHACL 0.40 reads it (values compared as RDF terms, classes through rdfs:subClassOf, the
order comparisons on the same Python values, with the same errors).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable

import rdflib
from pyshacl.errors import ReportableRuntimeError
from rdflib.collection import Collection as RdfList
from rdflib.namespace import RDF, RDFS, SH

from server.shapegraph import Node

CONSTRAINTS = {SH.hasValue, SH.minCount, SH.maxCount, SH["class"], SH["in"], SH["not"], SH.equals, SH.lessThan}
CONSTRAINTS |= {SH.lessThanOrEquals}
DESCRIPTIONS = {RDF.type, SH.name, SH.description, RDFS.comment, SH.message, SH.severity, SH.order, SH.group}


def simple(shapes: rdflib.Graph, member: Node) -> bool:
    """Whether `member` is a shape that conforms() decides exactly."""
    if (member, SH.path, None) not in shapes:
        properties = list(shapes.objects(member, SH.property))
        own = {p for p, _ in shapes.predicate_objects(member)}
        return bool(properties) and own <= DESCRIPTIONS | {SH.property} and all(_simple(shapes, p) for p in properties)
    return _simple(shapes, member)


def conforms(data: rdflib.Graph, shapes: rdflib.Graph, member: Node, focus: Node) -> bool:
    """Whether `focus` conforms to the simple shape `member` (pySHACL would give no result)."""
    path = shapes.value(member, SH.path)
    if path is None:
        return all(conforms(data, shapes, p, focus) for p in shapes.objects(member, SH.property))
    values = set(data.objects(focus, path))
    for p, o in shapes.predicate_objects(member):
        if p in _CHECKS and not _CHECKS[p](data, shapes, values, o, focus):
            return False
    return True


def has_class(data: rdflib.Graph, node: Node, cls: Node) -> bool:
    """Whether `node` is a SHACL instance of `cls`: one of its types is `cls` or a subclass of it."""
    if isinstance(node, rdflib.Literal):
        return False
    return any(t == cls or cls in data.transitive_objects(t, RDFS.subClassOf) for t in data.objects(node, RDF.type))


def ordered(
    values: Iterable[Node], others: Iterable[Node], before: Callable[[object, object], bool], name: str
) -> bool:
    """Whether every value comes `before` every other, as pySHACL compares them: IRIs and string literals as
    strings, other literals by rdflib's order, a string never against a non-string; every pair is compared,
    so a blank node raises pySHACL's error wherever it is."""
    others = list(others)
    found = True
    for value in values:
        mine, mine_text = _comparable(value, name)
        for other in others:
            theirs, theirs_text = _comparable(other, name)
            found = found and mine_text == theirs_text and before(mine, theirs)
    return found


def _comparable(node: Node, name: str) -> tuple[object, bool]:
    if isinstance(node, rdflib.BNode):
        raise ReportableRuntimeError(f"Cannot use {name} to compare a BlankNode.")
    if isinstance(node, rdflib.URIRef):
        return str(node), True
    if isinstance(node, rdflib.Literal) and isinstance(node.value, str):
        return node.value, True
    return node, False


def _simple(shapes: rdflib.Graph, member: Node) -> bool:
    if not isinstance(shapes.value(member, SH.path), rdflib.URIRef):
        return False
    for p, o in shapes.predicate_objects(member):
        if p == SH["not"] and not _class_only(shapes, o):
            return False
        if p not in CONSTRAINTS | DESCRIPTIONS | {SH.path}:
            return False
    return all(len(list(shapes.objects(member, p))) <= 1 for p in (SH.minCount, SH.maxCount))


def _class_only(shapes: rdflib.Graph, shape: Node) -> bool:
    predicates = {p for p, _ in shapes.predicate_objects(shape)}
    return SH["class"] in predicates and predicates <= {SH["class"]} | DESCRIPTIONS


Check = Callable[[rdflib.Graph, rdflib.Graph, set[Node], Node, Node], bool]
_CHECKS: dict[Node, Check] = {
    SH.hasValue: lambda data, shapes, values, o, focus: o in values,
    SH.minCount: lambda data, shapes, values, o, focus: len(values) >= int(o),
    SH.maxCount: lambda data, shapes, values, o, focus: len(values) <= int(o),
    SH["class"]: lambda data, shapes, values, o, focus: all(has_class(data, v, o) for v in values),
    SH["in"]: lambda data, shapes, values, o, focus: values <= set(RdfList(shapes, o)),
    SH["not"]: lambda data, shapes, values, o, focus: (
        not any(all(has_class(data, v, c) for c in shapes.objects(o, SH["class"])) for v in values)
    ),
    SH.equals: lambda data, shapes, values, o, focus: values == set(data.objects(focus, o)),
    SH.lessThan: lambda data, shapes, values, o, focus: ordered(
        values, set(data.objects(focus, o)), operator.lt, "sh:lessThan"
    ),
    SH.lessThanOrEquals: lambda data, shapes, values, o, focus: ordered(
        values, set(data.objects(focus, o)), operator.le, "sh:lessThanOrEquals"
    ),
}
