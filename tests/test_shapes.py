"""SHACL shapes: the valid example conforms; each invalid example fails for exactly the stated reason."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import SH

from server.project import PREFIXES, ROOT
from server.rdffiles import parse_file
from server.shacl import Violation, check_shapes
from server.store import to_rdflib

EXAMPLES = ROOT / "shapes" / "examples"
INVALID = sorted((EXAMPLES / "invalid").glob("*.ru"))
EX = "http://example.org/rkg/"


@cache
def shapes() -> rdflib.Graph:
    return to_rdflib(q.triple for p in sorted((ROOT / "shapes").glob("*.ttl")) for q in parse_file(p))


def example_store() -> ox.Store:
    """The ontology plus the valid example, in one store."""
    store = ox.Store()
    store.extend(parse_file(ROOT / "ontology" / "repatriation.ttl"))
    store.extend(parse_file(EXAMPLES / "valid.ttl"))
    return store


def check(store: ox.Store) -> list[Violation]:
    return check_shapes(to_rdflib(q.triple for q in store), shapes())


def expand(name: str) -> str:
    """A prefixed name or <IRI> from an example header, as a full IRI (or a literal's text)."""
    if name.startswith('"'):
        return name.strip('"')
    prefix, local = name.split(":", 1)
    return (EX if prefix == "ex" else PREFIXES[prefix]) + local


def expectation(path: Path) -> dict[str, str]:
    """The `#+ key: value` header of an invalid example (shape, focus, path, and any other shapes it also breaks)."""
    return dict(re.findall(r"^#\+ (\w+): (.+)$", path.read_text(encoding="utf-8"), flags=re.M))


def test_valid_example_conforms():
    assert check(example_store()) == []


def test_every_named_shape_explains_itself():
    graph = shapes()
    named = {s for s in graph.subjects() if isinstance(s, rdflib.URIRef) and str(s).startswith(PREFIXES["shp"])}
    assert len(named) > 50
    assert [str(s) for s in named if graph.value(s, SH.name) is None] == []
    reporting = {s for s in named if graph.value(s, SH.message) is not None}
    assert [str(s) for s in reporting if graph.value(s, SH.severity) is None] == []


def test_every_shape_with_a_message_has_an_invalid_example():
    named = {str(s) for s in shapes().subjects(SH.message, None) if isinstance(s, rdflib.URIRef)}
    covered = {expand(expectation(p)["shape"]) for p in INVALID}
    assert named - covered == set()


@pytest.mark.parametrize("example", INVALID, ids=lambda p: p.stem)
def test_invalid_example_fails_for_the_stated_reason(example: Path):
    expected = expectation(example)
    store = example_store()
    store.update(example.read_text(encoding="utf-8"))
    results = check(store)
    shape, focus = expand(expected["shape"]), expand(expected["focus"])
    assert any(r.shape == shape and r.focus == focus and r.path == expected.get("path") for r in results), results
    message = str(shapes().value(rdflib.URIRef(shape), SH.message))
    assert all(r.message == message for r in results if r.shape == shape), "results carry the curator's message"
    also = {expand(name) for name in expected.get("also", "").split()}
    assert {r.shape for r in results} == {shape} | also, "the example breaks only its rule (and those under #+ also)"
