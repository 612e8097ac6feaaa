"""Per-file validation: the units of the graph, their independence, and their results against the whole graph's."""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from server import units, validation
from server.fastshacl import check_shapes_fast
from server.project import ROOT, Layout
from server.rdffiles import parse_file
from server.rdfgraph import to_graph
from server.store import load_store, to_rdflib, union_triples
from server.units import attribute, check_units, independent, split
from server.validation import validate

KG = "https://w3id.org/repatriation-kg/id/"
REP = "https://w3id.org/repatriation-kg/ontology#"


@cache
def shapes() -> rdflib.Graph:
    return to_rdflib(q.triple for p in Layout().shape_files() for q in parse_file(p))


def edited(tmp_path: Path, old: str, new: str, name: str = "seed-000.ttl") -> Layout:
    """A copy of data/ with the first `old` in one file replaced by `new`."""
    data = tmp_path / "data"
    if not data.exists():
        shutil.copytree(ROOT / "data", data)
    text = (data / name).read_text(encoding="utf-8")
    assert old in text
    (data / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    return Layout(data=data)


def t(s: str, p: str, o: str) -> ox.Triple:
    return ox.Triple(ox.NamedNode(KG + s), ox.NamedNode(REP + p), ox.NamedNode(KG + o))


def test_the_repository_data_splits_into_a_shared_unit_and_one_per_private_file():
    found = split(load_store(Layout()), Layout(), shapes())
    assert found is not None
    private = sorted(p.name for p in (ROOT / "data").glob("*.ttl") if p.name not in units.SHARED_DATA)
    assert [u.name for u in found] == ["shared", *private]
    assert len({u.key for u in found}) == len(found)
    for unit in found[1:]:
        own = {q.triple for q in parse_file(ROOT / "data" / unit.name)}
        named = {t for t in own if not isinstance(t.subject, ox.BlankNode) and not isinstance(t.object, ox.BlankNode)}
        assert named <= unit.triples and len(unit.triples - found[0].triples) == len(own), "its file, shared triples"


@pytest.mark.parametrize(
    ("shared", "private", "expected"),
    [
        ([], [{t("a", "p", "x")}, {t("b", "p", "x")}], True),  # both mention x, which neither describes
        ([], [{t("a", "p", "x")}, {t("b", "p", "a")}], False),  # b's file mentions a, described by a's file
        ([], [{t("a", "p", "x")}, {t("a", "q", "y")}], False),  # two files describe a
        ([t("s", "p", "a")], [{t("a", "p", "x")}], False),  # a shared file mentions a private file's node
        ([t("s", "p", "x")], [{t("a", "p", "s")}], True),  # a private file mentions a shared node
    ],
)
def test_independence(shared, private, expected):
    assert independent(shared, private) is expected


@pytest.mark.parametrize("shape", ["sh:path [ sh:inversePath ex:p ] ; sh:minCount 1", "sh:targetNode ex:n"])
def test_no_units_when_a_shape_can_read_past_its_focus_nodes_or_targets_fixed_nodes(shape: str):
    extra = rdflib.Graph().parse(
        data=f"@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> . ex:s {shape} .",
        format="turtle",
    )
    assert split(load_store(Layout()), Layout(), shapes()) is not None
    assert split(load_store(Layout()), Layout(), shapes() + extra) is None


def test_no_units_when_a_file_mentions_a_node_another_file_describes(tmp_path):
    layout = edited(tmp_path, "rep:reportedIn kg:source-000", "rep:reportedIn kg:claim-001-97-107-cooperates-with")
    assert split(load_store(layout), layout, shapes()) is None


@pytest.fixture(scope="module")
def broken(tmp_path_factory) -> Layout:
    """The repository's data with a claim of seed-000.ttl reported in seed-001's source (a shared node)."""
    return edited(tmp_path_factory.mktemp("broken"), "rep:reportedIn kg:source-000", "rep:reportedIn kg:source-001")


def test_the_units_results_together_are_the_whole_graphs(broken: Layout):
    store = load_store(broken)
    found = split(store, broken, shapes())
    assert found is not None
    whole = check_shapes_fast(to_graph(union_triples(store)), shapes())
    assert any(v.shape.endswith("QuotedClaim-ownSource") for v in whole)
    assert sorted({v for part in check_units(found, shapes()) for v in part}) == sorted(set(whole))


def test_each_units_share_of_the_whole_results_is_what_checking_it_alone_gives(broken: Layout):
    store = load_store(broken)
    found = split(store, broken, shapes())
    assert found is not None
    whole = check_shapes_fast(to_graph(union_triples(store)), shapes())
    shares = attribute(whole, found, shapes())
    assert shares is not None and any(shares)
    assert [sorted(s) for s in shares] == [sorted(r) for r in check_units(found, shapes())]


class Checked:
    """Records what pySHACL is run on: whole graphs (by size) and units (by file name)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.whole: list[int] = []
        self.units: list[str] = []
        fast, by_unit = validation.check_shapes_fast, validation.check_units
        monkeypatch.setattr(validation, "check_shapes_fast", lambda g, s: self.whole.append(len(g)) or fast(g, s))
        monkeypatch.setattr(
            validation, "check_units", lambda us, s: self.units.extend(u.name for u in us) or by_unit(us, s)
        )


def test_a_changed_file_alone_is_checked_again_and_the_result_is_the_full_validations(tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    layout = edited(tmp_path, "rep:quantity 490 ;", "rep:quantity 490 ;")  # a copy, unchanged
    first, _ = validate(layout, cache=cache_dir)
    assert first.conforms and len(list(cache_dir.glob("unit-*.json"))) == 1 + 6
    checked = Checked(monkeypatch)
    edited(tmp_path, "rep:reportedIn kg:source-000", "rep:reportedIn kg:source-001")
    report, _ = validate(layout, cache=cache_dir)
    assert checked.units == ["seed-000.ttl"] and checked.whole == []
    assert any(v.shape.endswith("QuotedClaim-ownSource") and v.value == KG + "source-000" for v in report.results)
    full, _ = validate(layout)
    assert report.results == full.results and not report.conforms


def test_a_change_that_makes_files_depend_on_each_other_checks_the_whole_graph(tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    layout = edited(tmp_path, "rep:quantity 490 ;", "rep:quantity 490 ;")
    validate(layout, cache=cache_dir)
    checked = Checked(monkeypatch)
    edited(tmp_path, "rep:reportedIn kg:source-000", "rep:reportedIn kg:claim-001-97-107-cooperates-with")
    report, _ = validate(layout, cache=cache_dir)
    assert checked.units == [] and len(checked.whole) == 1
    full, _ = validate(layout)
    assert report.results == full.results and any(v.shape.endswith("Claim-reportedIn") for v in report.results)


def test_a_damaged_unit_entry_is_checked_again(tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    layout = edited(tmp_path, "rep:quantity 490 ;", "rep:quantity 490 ;")
    validate(layout, cache=cache_dir)
    for entry in cache_dir.glob("shacl-*.json"):
        entry.unlink()
    found = split(load_store(layout), layout, shapes())
    assert found is not None
    (cache_dir / f"unit-{found[3].key}.json").write_text("[{", encoding="utf-8")
    checked = Checked(monkeypatch)
    report, _ = validate(layout, cache=cache_dir)
    assert checked.units == [found[3].name] and report.conforms
