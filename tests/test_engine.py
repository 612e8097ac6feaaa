"""rkg load: the graph bulk-loaded into a scratch Virtuoso, one named graph per data file, idempotently and safely."""

from __future__ import annotations

import os
import random
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
import pytest

import server.loading
from server.build import NAME, nquads
from server.engine import Engine, Isql, load_build
from server.errors import RkgError
from server.loading import STAGING, UNION_GRAPH
from server.project import GRAPH_BASE
from server.skolem import skolemise_graph
from tests.conftest import ROOT, rkg
from tests.virtuoso import MISSING, Virtuoso, free_port, running

if MISSING:
    pytest.skip(MISSING, allow_module_level=True)


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory) -> Iterator[Virtuoso]:
    with running(tmp_path_factory.mktemp("virtuoso")) as vt:
        yield vt


@pytest.fixture(scope="module")
def loaded(virtuoso: Virtuoso) -> subprocess.CompletedProcess[str]:
    result = virtuoso.load()
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def expected_graphs(store: ox.Store) -> dict[str, set[ox.Triple]]:
    graphs: dict[str, set[ox.Triple]] = {}
    for quad in store:
        graphs.setdefault(quad.graph_name.value, set()).add(quad.triple)
    return graphs


def snapshot(engine: Engine) -> dict[str, tuple[int, int]]:
    """Every project graph in the engine with its triple count and a hash of its ground triples."""
    state = {}
    for graph in sorted(engine.graphs(GRAPH_BASE)):
        triples = engine.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        ground = sorted(str(t) for t in triples if not _has_blank(t))
        state[graph] = (engine.count(graph), hash(tuple(ground)))
    return state


def _has_blank(triple: ox.Triple) -> bool:
    return isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode)


def test_scripts_virtuoso_listens_on_loopback_only(virtuoso):
    ini = (virtuoso.folder / "virtuoso.ini").read_text(encoding="utf-8")
    assert f"ServerPort         = 127.0.0.1:{virtuoso.env['SQLPORT']}" in ini
    assert f"ServerPort           = 127.0.0.1:{virtuoso.env['HTTPPORT']}" in ini
    assert str(virtuoso.load_dir) in ini  # DirsAllowed names the loader's folder
    again = virtuoso.script("start")
    assert again.returncode == 0 and "already running" in again.stdout


def test_load_prints_one_line_per_graph_and_a_summary(loaded, store):
    out = loaded.stdout
    for graph, triples in expected_graphs(store).items():
        name = graph.removeprefix(GRAPH_BASE)
        assert any(f" {name} " in line and f" {len(triples)} triples" in line for line in out.splitlines()), out
    assert f"loaded {len(expected_graphs(store))} graphs, {len(list(store))} triples in " in out
    assert "a first load (the engine holds none of the project's graphs), straight into the live graphs" in out
    assert f"loaded {len(expected_graphs(store))} live graphs and their union directly (first load)" in out


def test_each_named_graph_holds_exactly_its_files_triples(loaded, virtuoso, store):
    engine = virtuoso.engine
    expected = expected_graphs(store)
    assert engine.graphs(GRAPH_BASE) == set(expected)
    for graph, triples in expected.items():
        assert engine.count(graph) == len(triples), graph
        got = engine.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        assert set(got) == set(skolemise_graph(triples, graph.removeprefix(GRAPH_BASE))), graph
        assert not any(_has_blank(t) for t in got)  # blank nodes are loaded as Skolem IRIs
        want = {t for t in triples if not _has_blank(t)}
        # and a sample asked one by one, through the protocol's default-graph-uri
        for triple in random.Random(graph).sample(sorted(want, key=str), min(5, len(want))):
            query = f"ASK {{ {triple.subject} {triple.predicate} {triple.object} }}"
            assert engine.ask(query, graphs=[graph]), (graph, triple)
            assert not engine.ask(query, graphs=[GRAPH_BASE + "no-such-graph"])
    union = set().union(*expected.values())  # and the union as one graph of its own, Virtuoso's default graph
    assert engine.count(UNION_GRAPH) == len(union)
    assert set(engine.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{UNION_GRAPH}> {{ ?s ?p ?o }} }}")) == {
        t for graph, triples in expected.items() for t in skolemise_graph(triples, graph.removeprefix(GRAPH_BASE))
    }
    seed = GRAPH_BASE + "seed-000"
    only_seed = engine.select(f"SELECT (COUNT(*) AS ?n) FROM <{seed}> WHERE {{ ?s ?p ?o }}")
    assert int(only_seed[0]["n"].value) == len(expected[seed])


def test_loading_twice_changes_nothing(loaded, virtuoso):
    before = snapshot(virtuoso.engine)
    again = virtuoso.load()
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"nothing moved: all {len(before)} graphs are as the last load left them" in again.stdout
    assert "staged and checked" not in again.stdout  # nothing was even staged
    assert snapshot(virtuoso.engine) == before
    assert not [g for g in virtuoso.engine.graphs(GRAPH_BASE) if STAGING in g]


def _build_dir(virtuoso: Virtuoso, store: ox.Store, name: str) -> Path:
    folder = virtuoso.load_dir / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{NAME}.nq").write_bytes(nquads(store))
    return folder


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda lines: lines[: len(lines) // 2], "the engine holds"),  # a count mismatch
        (lambda lines: [*lines[:5], '<urn:a> <urn:b> "unterminated .', *lines[5:]], "could not load"),  # a broken file
    ],
    ids=["count-mismatch", "broken-file"],
)
def test_a_failed_load_leaves_the_previous_graphs_serving(loaded, virtuoso, store, monkeypatch, damage, message):
    before = snapshot(virtuoso.engine)
    original = server.loading.write_graph_files

    def damaged(nq: Path, folder: Path):
        files = [replace(f, digest="changed") for f in original(nq, folder)]  # every graph is staged again
        victim = files[len(files) // 2]  # mid-way: earlier graphs are already staged
        lines = victim.path.read_text(encoding="utf-8").splitlines()
        victim.path.write_text("\n".join(damage(lines)) + "\n", encoding="utf-8")
        return files

    monkeypatch.setattr(server.loading, "write_graph_files", damaged)
    with pytest.raises(RkgError, match=message):
        load_build(_build_dir(virtuoso, store, "damaged"), virtuoso.engine, virtuoso.isql, echo=lambda _: None)
    assert snapshot(virtuoso.engine) == before
    assert not [g for g in virtuoso.engine.graphs(GRAPH_BASE) if STAGING in g]


def test_a_graph_no_longer_in_the_build_is_dropped(loaded, virtuoso, store):
    extra = ox.Store()
    extra.extend(store)
    gone = ox.NamedNode(GRAPH_BASE + "gone-tomorrow")
    extra.add(ox.Quad(ox.NamedNode(GRAPH_BASE + "x"), ox.NamedNode(GRAPH_BASE + "p"), ox.Literal("x"), gone))
    load_build(_build_dir(virtuoso, extra, "extra"), virtuoso.engine, virtuoso.isql, echo=lambda _: None)
    assert virtuoso.engine.count(gone.value) == 1
    lines: list[str] = []
    summary = load_build(_build_dir(virtuoso, store, "plain"), virtuoso.engine, virtuoso.isql, echo=lines.append)
    assert summary.dropped == [gone.value]
    assert virtuoso.engine.graphs(GRAPH_BASE) == set(expected_graphs(store))
    assert any("dropped 1 graphs no longer in the build" in line for line in lines)


def test_bad_engine_url_wrong_password_and_missing_isql_are_clear_errors(virtuoso, tmp_path):
    closed = rkg("load", "--engine", f"http://127.0.0.1:{free_port()}/sparql", "--isql", virtuoso.isql_address)
    assert closed.returncode == 2 and "cannot reach the SPARQL engine" in closed.stderr
    not_sparql = rkg(
        "load", "--engine", virtuoso.url.removesuffix("sparql") + "nowhere", "--isql", virtuoso.isql_address
    )
    assert not_sparql.returncode == 2 and "answered 404" in not_sparql.stderr
    wrong = subprocess.run(
        [*_rkg_command(), "load", "--engine", virtuoso.url, "--isql", virtuoso.isql_address, "--password-env", "PW"],
        env={**os.environ, "PW": "not-the-password"},
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert wrong.returncode == 2 and "refused the login of user 'dba'" in wrong.stderr
    with pytest.raises(RkgError, match="is not installed"):
        Isql(virtuoso.isql_address, program=str(tmp_path / "no-isql")).run("select 1;")
    for result in (closed, not_sparql, wrong):
        assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1


def _rkg_command() -> list[str]:
    import sys

    return [sys.executable, "-m", "server.cli"]


def _with(store: ox.Store, *quads: ox.Quad) -> ox.Store:
    changed = ox.Store()
    changed.extend(store)
    changed.extend(quads)
    return changed


def _union(engine: Engine) -> set[ox.Triple]:
    return set(engine.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{UNION_GRAPH}> {{ ?s ?p ?o }} }}"))


def _expected_union(store: ox.Store) -> set[ox.Triple]:
    return {
        t for graph, triples in expected_graphs(store).items()
        for t in skolemise_graph(triples, graph.removeprefix(GRAPH_BASE))
    }  # fmt: skip


def test_a_changed_file_replaces_only_its_graph_and_the_union_follows(loaded, virtuoso, store):
    engine = virtuoso.engine
    before, union_before = snapshot(engine), _union(engine)
    seed0, seed1 = ox.NamedNode(GRAPH_BASE + "seed-000"), ox.NamedNode(GRAPH_BASE + "seed-001")
    shared = ox.Triple(ox.NamedNode(GRAPH_BASE + "shared"), ox.NamedNode(GRAPH_BASE + "p"), ox.Literal("in two"))
    own = ox.Triple(ox.NamedNode(GRAPH_BASE + "own"), ox.NamedNode(GRAPH_BASE + "p"), ox.Literal("in one"))
    steps = [
        (_with(store, ox.Quad(*shared, seed0), ox.Quad(*shared, seed1), ox.Quad(*own, seed0)), 2),
        (_with(store, ox.Quad(*shared, seed1)), 1),  # seed-000 back as it was: `own` leaves, `shared` stays
        (store, 1),  # seed-001 back as it was: `shared` leaves the union too
    ]
    for number, (build, changed) in enumerate(steps):
        lines: list[str] = []
        summary = load_build(_build_dir(virtuoso, build, f"step-{number}"), engine, virtuoso.isql, echo=lines.append)
        assert (summary.loaded, summary.unchanged) == (changed, len(before) - changed), lines
        assert any(f"replaced {changed} live graphs and the union by its difference" in line for line in lines)
        assert _union(engine) == _expected_union(build)  # the union is exactly the union of the graphs
        assert engine.count(UNION_GRAPH) == len(_expected_union(build))
    assert snapshot(engine) == before and _union(engine) == union_before


def test_a_failed_first_load_leaves_no_graph_behind(store, tmp_path, monkeypatch):
    original = server.loading.write_graph_files

    def damaged(nq: Path, folder: Path):
        files = original(nq, folder)
        victim = files[len(files) // 2]
        victim.path.write_text("", encoding="utf-8")  # its count will not match
        return files

    with running(tmp_path / "vt") as vt:
        monkeypatch.setattr(server.loading, "write_graph_files", damaged)
        with pytest.raises(RkgError, match=r"the engine holds 0 triples.*This was a first load: what it loaded was"):
            load_build(_build_dir(vt, store, "first"), vt.engine, vt.isql, echo=lambda _: None)
        assert vt.engine.graphs(GRAPH_BASE) == set() and vt.engine.count(UNION_GRAPH) == 0
        monkeypatch.setattr(server.loading, "write_graph_files", original)
        lines: list[str] = []
        load_build(_build_dir(vt, store, "again"), vt.engine, vt.isql, echo=lines.append)
        assert any("a first load" in line for line in lines)  # still a first load: nothing was left behind
        assert vt.engine.graphs(GRAPH_BASE) == set(expected_graphs(store))
