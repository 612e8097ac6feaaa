"""The fast SHACL path gives exactly plain pySHACL's results: on every invalid example and on damaged synthetic data."""

from __future__ import annotations

import random
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import SH

from benchmarks.synthetic import generate
from server import fastshacl
from server.choices import simple
from server.fastshacl import balanced, check_shapes_fast, decide
from server.project import ROOT, Layout
from server.rdffiles import parse_file
from server.shacl import check_shapes
from server.shapegraph import choices, handled, hoist, only, targeted
from server.store import load_store, to_rdflib, union_triples

EXAMPLES = ROOT / "shapes" / "examples"
INVALID = sorted((EXAMPLES / "invalid").glob("*.ru"))
SHP = "https://w3id.org/repatriation-kg/shapes#"


@cache
def shapes() -> rdflib.Graph:
    return to_rdflib(q.triple for p in Layout().shape_files() for q in parse_file(p))


def example(update: Path) -> rdflib.Graph:
    store = ox.Store()
    store.extend(parse_file(ROOT / "ontology" / "repatriation.ttl"))
    store.extend(parse_file(EXAMPLES / "valid.ttl"))
    store.update(update.read_text(encoding="utf-8"))
    return to_rdflib(q.triple for q in store)


@pytest.mark.parametrize("update", INVALID, ids=lambda p: p.stem)
def test_same_results_as_pyshacl_on_each_invalid_example(update: Path):
    data = example(update)
    expected = check_shapes(data, shapes())
    assert expected, "the example breaks a rule"
    assert check_shapes_fast(data, shapes(), workers=1) == expected


@pytest.fixture(scope="module")
def damaged(tmp_path_factory) -> rdflib.Graph:
    """Synthetic data with one triple in nine removed and some objects swapped: many rules broken at once."""
    out = tmp_path_factory.mktemp("synthetic")
    generate(3000, out)
    triples = sorted(union_triples(load_store(Layout(data=out))), key=str)
    chance = random.Random(6)
    objects: dict[ox.NamedNode, list[ox.Term]] = {}
    for t in triples:
        objects.setdefault(t.predicate, []).append(t.object)
    kept = [
        ox.Triple(t.subject, t.predicate, chance.choice(objects[t.predicate])) if chance.random() < 0.05 else t
        for t in triples
        if chance.random() >= 1 / 9
    ]
    return to_rdflib(kept)


def test_same_results_as_pyshacl_on_damaged_synthetic_data(damaged: rdflib.Graph):
    expected = check_shapes(damaged, shapes())
    broken = {v.shape for v in expected}
    assert len(expected) > 200 and len(broken) > 30, "the damage breaks many different rules"
    assert check_shapes_fast(damaged, shapes(), workers=2) == expected


def test_hoisted_property_shapes_carry_their_node_shapes_targets():
    hoisted = hoist(shapes())
    claim_subject = rdflib.URIRef(SHP + "Claim-subject")
    assert (claim_subject, SH.targetClass, rdflib.URIRef("https://w3id.org/repatriation-kg/ontology#Claim")) in hoisted
    assert (rdflib.URIRef(SHP + "ClaimShape"), SH.property, claim_subject) not in hoisted
    assert len(targeted(hoisted)) > len(targeted(shapes()))


def test_only_leaves_targets_on_the_group():
    claim, post = rdflib.URIRef(SHP + "ClaimShape"), rdflib.URIRef(SHP + "PostShape")
    assert targeted(only(shapes(), [claim, post])) == [claim, post]


def test_balanced_groups_spread_the_cost():
    costs = {rdflib.URIRef(f"urn:s{i}"): cost for i, cost in enumerate([8, 7, 3, 2, 0])}
    groups = balanced(costs, 2)
    assert sorted(sum(costs[s] for s in g) for g in groups) == [10, 10]
    assert sorted(s for g in groups for s in g) == sorted(costs)
    assert len(balanced(costs, 9)) == 5, "no empty group"


def test_unhandled_shapes_go_to_plain_pyshacl(monkeypatch):
    deactivated = hoist(shapes())
    deactivated.add((rdflib.URIRef(SHP + "ClaimShape"), SH.deactivated, rdflib.Literal(True)))
    assert handled(shapes()) and not handled(deactivated)
    monkeypatch.setattr(fastshacl, "fork_map", lambda *args: pytest.fail("split although not handled"))
    assert check_shapes_fast(rdflib.Graph(), deactivated) == []


def test_every_or_and_xone_of_a_node_shape_is_decided_from_its_members():
    decided = {(str(c.shape).removeprefix(SHP), c.kind, len(c.members)) for c in choices(hoist(shapes()))}
    assert decided == {
        ("CitationShape", SH["or"], 2),
        ("WebCitationShape", SH["or"], 2),
        ("LocalCitationShape", SH["or"], 2),
        ("PersonCountShape", SH["or"], 2),
        ("HedgeBoundsShape", SH.xone, 5),
    }


def test_every_member_of_the_shapes_choices_is_simple_but_not_other_constraints_or_paths():
    graph = hoist(shapes())
    assert all(simple(graph, m) for c in choices(graph) for m in c.members)
    odd = rdflib.Graph()
    odd.parse(
        data="""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
        ex:pattern sh:path ex:p ; sh:pattern "^a" .
        ex:sequence sh:path ( ex:p ex:q ) ; sh:minCount 1 .
        ex:notNot sh:path ex:p ; sh:not [ sh:datatype ex:d ] .
        ex:node sh:property ex:pattern .
        ex:nodeWithClass sh:class ex:C ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .""",
        format="turtle",
    )
    assert [n for n in odd.subjects() if isinstance(n, rdflib.URIRef) and simple(odd, n)] == []


def test_xone_fails_where_no_member_or_several_conform():
    graph = shapes()
    (hedges,) = [c for c in choices(hoist(graph)) if c.kind == SH.xone]
    a, b, c = (rdflib.URIRef(f"urn:focus:{n}") for n in "abc")
    failing = [{a, b, c}, {a, b, c}, {a, c}, {a, c}, {a, b}]  # a fails all five, b conforms to two, c to one
    assert sorted(v.focus for v in decide(hedges, {a, b, c}, failing, graph)) == [str(a), str(b)]
    (result, *_) = decide(hedges, {a}, failing, graph)
    assert result.value == result.focus and result.path is None and result.shape == str(hedges.shape)
