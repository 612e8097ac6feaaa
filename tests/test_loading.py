"""server/loading.py without an engine: the dump split into graph files as a stream, their digests, the union
merged with few files open, and the plan of what a load moves."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

import server.loading
from server.errors import RkgError
from server.loading import UNION_GRAPH, GraphFile, plan_load, union_digest, union_lines, write_graph_files
from server.project import GRAPH_BASE

P = ox.NamedNode("urn:p")


def _dump(path: Path, quads: list[ox.Quad]) -> Path:
    path.write_bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS))
    return path


def _quads(graph: str, *values: str) -> list[ox.Quad]:
    return [ox.Quad(ox.NamedNode("urn:s"), P, ox.Literal(v), ox.NamedNode(GRAPH_BASE + graph)) for v in values]


def test_graph_files_are_sorted_distinct_counted_and_digested(tmp_path):
    blank = ox.BlankNode()
    quads = [*_quads("b", "2", "1", "1"), ox.Quad(blank, P, ox.Literal("x"), ox.NamedNode(GRAPH_BASE + "b"))]
    files = write_graph_files(_dump(tmp_path / "d.nq", [*_quads("a", "z"), *quads]), tmp_path / "out")
    assert [(f.name, f.triples) for f in files] == [("a", 1), ("b", 3)]
    lines = files[1].path.read_bytes().splitlines()
    assert lines == sorted(lines) and b"_:" not in files[1].path.read_bytes()  # Skolem IRIs, not blank nodes
    again = write_graph_files(_dump(tmp_path / "e.nq", [*_quads("a", "z"), *quads[::-1]]), tmp_path / "again")
    assert [f.digest for f in again] == [f.digest for f in files]  # same content, same digest
    other = write_graph_files(_dump(tmp_path / "f.nq", _quads("a", "y")), tmp_path / "other")
    assert other[0].digest != files[0].digest


def test_a_dump_not_grouped_by_graph_is_refused_clearly(tmp_path):
    dump = _dump(tmp_path / "d.nq", [*_quads("a", "1"), *_quads("b", "1"), *_quads("a", "2")])
    with pytest.raises(RkgError, match=r"the quads of graph <.*/a> are not together; the loader reads a dump sorted"):
        write_graph_files(dump, tmp_path / "out")
    (tmp_path / "bad.nq").write_text("<urn:s> <urn:p> .\n")
    with pytest.raises(RkgError, match="cannot be read as N-Quads"):
        write_graph_files(tmp_path / "bad.nq", tmp_path / "out")


def test_the_union_is_merged_in_rounds_when_there_are_many_files(tmp_path, monkeypatch):
    quads = [q for name in "abcdefg" for q in _quads(name, "shared", f"own-{name}")]
    files = write_graph_files(_dump(tmp_path / "d.nq", quads), tmp_path / "out")
    whole = list(union_lines([f.path for f in files]))
    monkeypatch.setattr(server.loading, "FAN_IN", 2)
    assert list(union_lines([f.path for f in files])) == whole
    assert len(whole) == 8 and whole == sorted(whole)


def _files(**digests: str) -> list[GraphFile]:
    return [GraphFile(GRAPH_BASE + name, Path(name), 10, digest) for name, digest in digests.items()]


def test_the_plan_moves_only_what_changed():
    files = _files(a="1", b="2", c="3")
    record = {f.iri: (f.digest, f.triples) for f in files}
    record[UNION_GRAPH] = (union_digest(files), 25)
    live = {**{f.iri: 10 for f in files}, UNION_GRAPH: 25}
    held = {f.iri for f in files}

    first = plan_load(files, {}, set(), {}, union=True)
    assert first.first and first.load == files and first.union == "whole"
    same = plan_load(files, live, held, record, union=True)
    assert not same.moves and same.union == "same" and len(same.unchanged) == 3
    edited = _files(a="1", b="new", c="3")
    changed = plan_load(edited, live, held | {GRAPH_BASE + "gone"}, record, union=True)
    assert [f.name for f in changed.load] == ["b"] and changed.stale == [GRAPH_BASE + "gone"]
    assert changed.union == "difference"
    tampered = plan_load(files, {**live, GRAPH_BASE + "a": 9}, held, record, union=True)
    assert [f.name for f in tampered.load] == ["a"]  # a live count that differs: loaded again
    untrusted = plan_load(files, {**live, UNION_GRAPH: 24}, held, record, union=True)
    assert untrusted.union == "whole" and not untrusted.load  # the union alone is reloaded
    lost = plan_load(files[:2], live, held - {files[2].iri}, record, union=True)
    assert lost.union == "whole" and not lost.stale  # a recorded graph dropped behind our back: its triples may
    # still be in the union, and no difference would remove them
    assert plan_load(files, live, held, {}, union=False).union == "none"
