"""The benchmarks: synthetic data conforms to the shapes with real quotes, and the benchmark's arithmetic is right.

No server is started here: benchmarks/bench_server.py itself is run by hand (see benchmarks/README.md).
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from benchmarks.bench_server import (
    Cell,
    fmt,
    format_table,
    memory_lines,
    memory_mib,
    parse_sizes,
    percentile,
    ratio,
    ratios_table,
    result_size,
    summarise,
    target_lines,
    visit_pages,
)
from benchmarks.synthetic import generate
from tests.conftest import ROOT, rkg, serving

REP = "https://w3id.org/repatriation-kg/ontology#"
KG = "https://w3id.org/repatriation-kg/id/"


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synthetic")
    made = subprocess.run(
        [sys.executable, "-m", "benchmarks.synthetic", "--triples", "2000", "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    return out


def test_synthetic_data_conforms_and_every_quote_matches_its_text(synthetic):
    checked = rkg("validate", "--no-cache", "--data", synthetic, "--sources", synthetic / "sources")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    summary = checked.stdout.strip().splitlines()[-1]
    assert "conforms; 0 SHACL violations, 0 warnings" in summary
    assert summary.endswith(" problems.") and ", 0 problems" in summary


def test_synthetic_data_has_every_kind_of_claim_under_synthetic_iris(synthetic):
    store = ox.Store()
    for path in sorted(synthetic.glob("*.ttl")):
        store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(f"urn:{path.stem}"))
    assert 1800 <= len(set(q.triple for q in store)) <= 2200

    def count(pattern: str) -> int:
        query = f"PREFIX rep: <{REP}> SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"
        return int(next(iter(store.query(query, use_default_graph_as_union=True)))["n"].value)

    for value in ("quantity", "valueEntity", "valueDate", "valueText"):
        assert count(f"?c a rep:Claim ; rep:{value} ?v") > 0, value
    assert count("?c rep:quantity ?n ; rep:approximation ?h ; rep:lowerBound ?l ; rep:timeScope ?t") > 0
    assert count("?c rep:personCategory ?k ; rep:breakdownGroup ?b") > 0
    assert count("?c rep:citationMode rep:CitedWithoutQuote ; rep:reportedIn [ a rep:WebSource ]") > 0
    assert count("?c rep:citationMode rep:QuotedSpan ; rep:reportedIn [ a rep:LocalTextSource ]") > 0
    iris = {t.value for q in store for t in (q.subject, q.object) if isinstance(t, ox.NamedNode)}
    ours = {i for i in iris if i.startswith(KG)}
    assert ours and all(i.startswith(KG + "synthetic-") for i in ours), sorted(ours)[:5]


def test_synthetic_data_is_deterministic(tmp_path):
    generate(1500, tmp_path / "a")
    generate(1500, tmp_path / "b")
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)


def test_percentile_interpolates_between_ranks():
    values = list(range(1, 101))
    assert percentile(values, 50) == 50.5
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile(values, 0) == 1 and percentile(values, 100) == 100
    assert percentile([4, 1, 3, 2], 50) == 2.5  # unsorted input
    assert percentile([7.0], 99) == 7.0
    assert math.isnan(percentile([], 50))


def test_a_cell_summarises_latencies_in_milliseconds():
    cell = summarise("ours", "ask", [0.001] * 98 + [0.010, 0.020], errors=1, seconds=2.0)
    assert (cell.requests, cell.errors, cell.rps) == (100, 1, 50.0)
    assert cell.p50_ms == pytest.approx(1.0)
    assert cell.p99_ms == pytest.approx(10.1)


def test_ratios_and_numbers_for_the_table():
    assert ratio(10, 4) == 2.5
    assert ratio(1, 0) is None and ratio(None, 1) is None and ratio(1, math.nan) is None
    assert [fmt(1234.6), fmt(3.14159), fmt(3.14159, 1), fmt(12), fmt(None), fmt(math.nan)] == [
        "1,235", "3.14", "3.1", "12", "-", "-",
    ]  # fmt: skip
    assert format_table(["name", "n"], [["a", "1"], ["bbb", "22"]]) == "name   n\n----  --\na      1\nbbb   22"


def test_ratios_table_and_targets():
    cells = [
        Cell("ours", "ask", requests=100, seconds=1.0, p50_ms=2.0),
        Cell("oxigraph", "ask", requests=200, seconds=1.0, p50_ms=0.5),
        Cell("bare", "ask", requests=125, seconds=1.0, p50_ms=1.0),
        Cell("ours", "lookup", requests=10, seconds=1.0, p50_ms=3.0),
    ]
    table = ratios_table(cells).splitlines()
    assert table[0].split() == ["query", "ours/oxigraph", "req/s", "ours/bare", "req/s", "ours/bare", "p50"]
    assert table[2].split() == ["ask", "0.50", "0.80", "2.00"]
    assert table[3].split() == ["lookup", "-", "-", "-"]
    targets = "\n".join(target_lines(cells))
    assert "ask: ours ≥ ¼ of oxigraph: 0.50 PASS" in targets
    assert "lookup: ours p50 < 5 ms: 3.00 PASS" in targets
    assert "provenance: ours ≥ oxigraph (req/s ratio ≥ 1): not measured" in targets
    assert "safety cost on ask: ours serves 80% of bare's req/s, p50 +1.00 ms" in targets


def test_the_uncached_server_is_compared_too():
    cells = [
        Cell("ours", "ask", requests=300, seconds=1.0, p50_ms=1.0),
        Cell("ours-uncached", "ask", requests=100, seconds=1.0, p50_ms=2.0),
        Cell("oxigraph", "ask", requests=1000, seconds=1.0, p50_ms=0.2),
    ]
    table = ratios_table(cells).splitlines()
    assert table[0].split() == ["query", "ours/ours-uncached", "req/s", "ours/oxigraph", "req/s"]
    assert table[2].split() == ["ask", "3.00", "0.30"]
    targets = "\n".join(target_lines(cells))
    assert "ask: ours ≥ ¼ of oxigraph: 0.30 PASS" in targets
    assert "ask: ours-uncached ≥ ¼ of oxigraph: 0.10 MISS (short by 60%)" in targets


def test_sizes_and_result_sizes():
    assert parse_sizes("seed, 100k,2500,1m") == ["seed", "100000", "2500", "1000000"]
    assert result_size(200, b'{"head":{},"boolean":true}') == "true"
    assert result_size(200, b'{"head":{"vars":["x"]},"results":{"bindings":[{},{}]}}') == "2"
    assert result_size(503, b"") == "HTTP 503"


def test_memory_of_a_process_tree_and_the_memory_target():
    import os

    mine = memory_mib([os.getpid()])
    assert mine is not None and 0 < mine["pss"] <= mine["rss"] <= mine["peak"] + 1
    both = memory_mib([os.getpid(), os.getpid()])
    assert both is not None and round(both["rss"]) == round(2 * mine["rss"])
    measured = {
        "ours-memory": {"rss": 2300.0, "pss": 2100.0, "peak": 2500.0},
        "ours": {"rss": 1000, "pss": 800, "peak": 1200},
    }
    lines = memory_lines(measured, "1000000")
    assert "  memory: ours-memory PSS < 1024 MiB at 1M triples: 2100 MISS" in lines
    assert "  memory: ours PSS < 1024 MiB at 1M triples: 800 PASS" in lines
    assert not [line for line in memory_lines(measured, "seed") if "PASS" in line or "MISS" in line]
    measured["ours, after 27 pages"] = {"rss": 1100, "pss": 1050, "peak": 1300}
    assert "  memory: ours, after 27 pages PSS < 1024 MiB at 1M triples: 1050 MISS" in memory_lines(measured, "1000000")


def test_every_page_of_our_server_is_visited_for_its_memory():
    from types import SimpleNamespace

    with serving(workers=1) as url:
        running = SimpleNamespace(port=int(url.rsplit(":", 1)[1]))
        visited = visit_pages(running, "https://w3id.org/repatriation-kg/id/kazakhstan")  # every page answers 200
    assert visited == len(list((ROOT / "queries").glob("*.rq"))) + 8
