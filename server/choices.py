"""Deciding a node shape's sh:or or sh:xone on the data graph itself, when its members are simple enough.

pySHACL checks every member at every focus node, and a failing member costs it a whole report, so sh:or
and sh:xone were its costliest constraints. A simple member is a property shape with an IRI path and only
sh:hasValue, sh:minCount, sh:maxCount, sh:class, sh:in, or sh:not of a shape that has only sh:class; each is
read here exactly as pySHACL reads it (values compared as RDF terms, classes through rdfs:subClassOf).
"""

from __future__ import annotations

import rdflib
from rdflib.collection import Collection as RdfList
from rdflib.namespace import RDF, RDFS, SH

from server.shapegraph import Node

CONSTRAINTS = {SH.hasValue, SH.minCount, SH.maxCount, SH["class"], SH["in"], SH["not"]}
DESCRIPTIONS = {RDF.type, SH.name, SH.description, RDFS.comment, SH.message, SH.severity, SH.order, SH.group}


def simple(shapes: rdflib.Graph, member: Node) -> bool:
    """Whether `member` is a property shape that conforms() decides exactly."""
    path = shapes.value(member, SH.path)
    if not isinstance(path, rdflib.URIRef):
        return False
    for p, o in shapes.predicate_objects(member):
        if p == SH["not"] and not _class_only(shapes, o):
            return False
        if p not in CONSTRAINTS | DESCRIPTIONS | {SH.path}:
            return False
    return all(len(list(shapes.objects(member, p))) <= 1 for p in (SH.minCount, SH.maxCount))


def conforms(data: rdflib.Graph, shapes: rdflib.Graph, member: Node, focus: Node) -> bool:
    """Whether `focus` conforms to the simple property shape `member` (no result at all)."""
    values = set(data.objects(focus, shapes.value(member, SH.path)))
    for p, o in shapes.predicate_objects(member):
        if p == SH.hasValue and o not in values:
            return False
        if p == SH.minCount and len(values) < int(o):
            return False
        if p == SH.maxCount and len(values) > int(o):
            return False
        if p == SH["class"] and not all(has_class(data, v, o) for v in values):
            return False
        if p == SH["in"] and not values <= set(RdfList(shapes, o)):
            return False
        if p == SH["not"] and any(all(has_class(data, v, c) for c in shapes.objects(o, SH["class"])) for v in values):
            return False
    return True


def has_class(data: rdflib.Graph, node: Node, cls: Node) -> bool:
    """Whether `node` is a SHACL instance of `cls`: one of its types is `cls` or a subclass of it."""
    if isinstance(node, rdflib.Literal):
        return False
    return any(t == cls or cls in data.transitive_objects(t, RDFS.subClassOf) for t in data.objects(node, RDF.type))


def _class_only(shapes: rdflib.Graph, shape: Node) -> bool:
    predicates = {p for p, _ in shapes.predicate_objects(shape)}
    return SH["class"] in predicates and predicates <= {SH["class"]} | DESCRIPTIONS
