"""The rkg command: build writes every format of the same graph; query prints results; bad input is a clear error."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic, to_isomorphic

from server.project import Layout
from tests.conftest import ROOT, SEEDS, rkg


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build")
    result = rkg("build", "--out", out, "--sources", SEEDS)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_build_writes_every_format(built):
    names = {p.name for p in built.iterdir()}
    assert names == {
        "repatriation-kg.ttl", "repatriation-kg.nt", "repatriation-kg.nq", "repatriation-kg.trig",
        "repatriation-kg.jsonld", "context.jsonld",
    }  # fmt: skip


@pytest.mark.parametrize(("name", "fmt"), [("repatriation-kg.nt", "nt"), ("repatriation-kg.jsonld", "json-ld")])
def test_every_triple_format_is_the_same_graph_as_the_turtle(built, name, fmt):
    turtle = rdflib.Graph().parse(built / "repatriation-kg.ttl", format="turtle")
    other = rdflib.Graph().parse(built / name, format=fmt)
    assert len(turtle) > 3000
    assert isomorphic(turtle, other), sorted(set(to_isomorphic(turtle)) ^ set(to_isomorphic(other)))[:5]


def test_jsonld_is_compacted_with_the_local_context(built):
    doc = json.loads((built / "repatriation-kg.jsonld").read_text(encoding="utf-8"))
    assert doc["@context"] == "context.jsonld"
    context = json.loads((built / "context.jsonld").read_text(encoding="utf-8"))["@context"]
    assert context["rep"] == "https://w3id.org/repatriation-kg/ontology#"
    claim = next(n for n in doc["@graph"] if n["@id"] == "kg:claim-000-770-782-repatriated-count")
    assert claim["quantity"] == 490 and claim["subject"] == "kg:kazakhstan"


@pytest.mark.parametrize("name", ["repatriation-kg.nq", "repatriation-kg.trig"])
def test_quad_formats_keep_one_named_graph_per_file(built, name):
    quads = list(ox.parse(path=built / name))
    base = "https://w3id.org/repatriation-kg/graph/"
    graphs = {q.graph_name.value for q in quads}
    assert graphs == {graph.value for _, graph in Layout().graph_files()}
    assert {base + n for n in ("ontology", "entities", "sources", "seed-000", "seed-001", "seed-provenance")} <= graphs
    union = ox.serialize({q.triple for q in quads}, format=ox.RdfFormat.N_TRIPLES)
    assert isomorphic(
        rdflib.Graph().parse(data=union, format="nt"), rdflib.Graph().parse(built / "repatriation-kg.ttl")
    )


def test_build_refuses_to_write_when_validation_fails(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    text = (data / "seed-000.ttl").read_text(encoding="utf-8")
    (data / "seed-000.ttl").write_text(text.replace("rep:quantity 490 ;", "rep:quantity 491 ;", 1), encoding="utf-8")
    out = tmp_path / "out"
    result = rkg("build", "--data", data, "--out", out, "--sources", SEEDS)
    assert result.returncode == 1
    assert "shp:Bounds-upper focus kg:claim-000-770-782-repatriated-count" in result.stdout
    assert "nothing written" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("content", "line", "reason"),
    [
        ('@prefix kg: <https://w3id.org/repatriation-kg/id/> .\n\nkg:a kg:b "unterminated ;\n', 3, "syntax error"),
        ("@prefix kg: <https://w3id.org/repatriation-kg/id/> .\nkg:a kg:b kg:c .\nfoo:a kg:b kg:c .\n", 3, "foo"),
    ],
    ids=["broken-literal", "unknown-prefix"],
)
def test_a_malformed_turtle_file_names_file_and_line(tmp_path, content, line, reason):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    (data / "broken.ttl").write_text(content, encoding="utf-8")
    out = tmp_path / "out"
    result = rkg("build", "--data", data, "--out", out)
    assert result.returncode == 2
    assert f"broken.ttl:{line}:" in result.stderr and reason in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_a_missing_folder_or_file_is_a_clear_error(tmp_path):
    result = rkg("validate", "--data", tmp_path / "nowhere")
    assert result.returncode == 2
    assert "nowhere: no such folder" in result.stderr and "Traceback" not in result.stderr
    result = rkg("query", "--file", tmp_path / "missing.rq")
    assert result.returncode == 2 and "missing.rq: cannot be read" in result.stderr


def test_a_source_folder_without_the_named_file_stops_validation(tmp_path):
    result = rkg("validate", "--sources", tmp_path)
    assert result.returncode == 2
    assert "has no file '000_a2c28f2115b89a4d.txt'" in result.stderr and "Traceback" not in result.stderr


def test_query_prints_a_table_csv_and_json():
    query = "SELECT ?n WHERE { kg:operation-jusan skos:altLabel ?n } ORDER BY ?n"
    table = rkg("query", query)
    assert table.returncode == 0 and "Operation Zhusan" in table.stdout and "(4 rows)" in table.stdout
    rows = list(csv.DictReader(io.StringIO(rkg("query", query, "--format", "csv").stdout)))
    assert {r["n"] for r in rows} == {"Operation Zhusan", "Zhusan", "Jusan", "Bitter Wormwood"}
    bindings = json.loads(rkg("query", query, "--format", "json").stdout)["results"]["bindings"]
    assert len(bindings) == 4


def test_query_reports_a_syntax_error_without_traceback():
    result = rkg("query", "SELECT ?x WHERE { ?x ")
    assert result.returncode == 2
    assert "SPARQL syntax error" in result.stderr and "Traceback" not in result.stderr


def test_construct_prints_turtle():
    result = rkg("query", "CONSTRUCT { kg:kazakhstan rdfs:label ?l } WHERE { kg:kazakhstan rdfs:label ?l }")
    graph = rdflib.Graph().parse(data=result.stdout, format="turtle")
    assert len(graph) == 1
