"""Remote mode: the server over an external SPARQL engine. Every other server test also runs over Virtuoso (the
`server_url` fixture is parametrised); these check what is particular to the mode: blank nodes through Skolem IRIs,
pages identical to the embedded store's, refusal of an engine that holds other data, and loading any engine with
the Graph Store Protocol (Oxigraph's own server as the second engine)."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from server.config import Settings
from server.engine import Engine
from server.errors import EngineError
from server.executor import Job
from server.gsp import swap_update
from server.project import GRAPH_BASE
from server.remote import dataset_request, read_answer, with_dataset
from server.site import EngineMismatch, build_site
from server.skolem import GENID, from_engine, skolemise_graph, to_engine
from tests.conftest import ROOT, SEEDS, rkg, serving

KG = "https://w3id.org/repatriation-kg/id/"
PAGES = [
    "/id/kazakhstan",
    "/id/claim-000-287-311-repatriated-count",
    "/id/source-000",
    "/id/operation-jusan",
    "/ontology",
    "/contested",
    "/sources",
    "/",
]


def test_blank_nodes_become_stable_skolem_iris_and_come_back():
    a, b = ox.BlankNode(), ox.BlankNode()
    p, s = ox.NamedNode("urn:p"), ox.NamedNode("urn:s")
    triples = [ox.Triple(s, p, a), ox.Triple(a, p, b), ox.Triple(b, p, ox.Literal("x"))]
    once = skolemise_graph(triples, "seed-000")
    nodes = {n for triple in once for n in (triple.subject, triple.object) if not isinstance(n, ox.Literal)} - {s}
    assert len(nodes) == 2 and all(n.value.startswith(GENID + "seed-000-") for n in nodes)
    relabelled = {a: ox.BlankNode(), b: ox.BlankNode()}
    again = skolemise_graph([ox.Triple(relabelled.get(t.subject, t.subject), t.predicate,
                                       relabelled.get(t.object, t.object)) for t in triples], "seed-000")  # fmt: skip
    assert set(once) == set(again)  # the same graph, whatever the parser's labels: the same IRIs
    assert not set(once) & set(skolemise_graph(triples, "seed-001"))  # another graph: other IRIs
    node = once[1].subject
    assert isinstance(from_engine(node), ox.BlankNode) and to_engine(from_engine(node)) == node
    assert from_engine(s) == s and to_engine(s) == s


@pytest.fixture(scope="module")
def both(engine_url: str) -> Iterator[tuple[str, str]]:
    """The embedded server and the remote one, side by side."""
    with serving(workers=1) as embedded, serving(workers=1, engine=engine_url) as remote:
        yield embedded, remote


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_the_same_over_the_engine(both, path):
    embedded, remote = both
    here, there = (httpx.get(base + path, headers={"Accept": "text/html"}, timeout=60) for base in both)
    assert here.status_code == there.status_code == 200
    assert there.text.replace(remote, embedded) == here.text


@pytest.mark.parametrize(
    "path",
    [
        "/id/claim-000-287-311-repatriated-count",
        "/id/kazakhstan",
        "/graph/seed-000",
        "/data/repatriation-kg.nt",
        "/.well-known/void",
        "/ontology",
    ],
)
def test_rdf_is_the_same_graph_with_blank_nodes(both, path):
    graphs = []
    for base in both:
        body = httpx.get(base + path, headers={"Accept": "application/n-triples"}, timeout=60).text
        body = body.replace(base, both[0])  # VoID names the server's own URLs
        graphs.append(list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES)))
    here, there = graphs
    assert len(here) == len(there) > 0
    assert any(isinstance(q.object, ox.BlankNode) for q in there) == any(
        isinstance(q.object, ox.BlankNode) for q in here
    )
    assert not any(GENID in str(q) for q in there)
    ground = lambda quads: {q for q in quads if not isinstance(q.subject, ox.BlankNode | ox.Literal)  # noqa: E731
                            and not isinstance(q.object, ox.BlankNode)}  # fmt: skip
    assert ground(here) == ground(there)


def test_user_queries_see_blank_nodes_not_skolem_iris(both):
    query = "SELECT ?e ?s WHERE { kg:claim-000-287-311-repatriated-count rep:evidence ?e . ?e oa:hasSelector ?s }"
    counts = []
    for base in both:
        rows = httpx.get(f"{base}/sparql", params={"query": query, "format": "json"}).json()["results"]["bindings"]
        assert rows and all(r["e"]["type"] == r["s"]["type"] == "bnode" for r in rows), base
        counts.append((len(rows), len({r["e"]["value"] for r in rows}), len({r["s"]["value"] for r in rows})))
    assert counts[0] == counts[1]  # as many evidence and selector nodes, told apart the same way


def test_an_engine_with_other_data_is_refused(engine_url, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    (data / "seed-001.ttl").unlink()
    with pytest.raises(EngineMismatch, match=r"seed-001: \d+ triples in the engine, 0 in the files.*rkg load"):
        build_site(Settings.load(environ={}, data=data, engine=engine_url, cache=None))
    refused = rkg("serve", "--data", data, "--engine", engine_url, "--port", "1")
    assert refused.returncode == 1 and "does not hold the graph of these files" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_an_unreachable_engine_is_a_clear_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    refused = rkg("serve", "--engine", f"http://127.0.0.1:{port}/sparql", "--port", "1")
    assert refused.returncode == 2 and "cannot reach the SPARQL engine" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_the_swap_is_one_update():
    update = swap_update([(GRAPH_BASE + "a", GRAPH_BASE + "a?staging=t")], [GRAPH_BASE + "gone"])
    assert update.count("MOVE SILENT GRAPH") == 1 and update.count("DROP SILENT GRAPH") == 1


# ---- a second engine: Oxigraph's server, loaded with the Graph Store Protocol

OXIGRAPH = Path(sys.executable).with_name("oxigraph")  # installed beside the interpreter by pip


@contextlib.contextmanager
def oxigraph(folder: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """Oxigraph's server on a free loopback port, its store in `folder`."""
    if not OXIGRAPH.is_file():
        pytest.skip("the `oxigraph` server (PyPI package oxigraph, a test dependency) is not installed")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([OXIGRAPH, "serve", "--location", str(folder), "--bind", f"127.0.0.1:{port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{base}/query", params={"query": "ASK {}"})
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base, process
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module")
def oxigraph_server(tmp_path_factory) -> Iterator[str]:
    with oxigraph(tmp_path_factory.mktemp("oxigraph")) as (base, _):
        yield base


def _load(base: str) -> subprocess.CompletedProcess[str]:
    return rkg("load", "--engine", f"{base}/query", "--gsp", f"{base}/store", "--update", f"{base}/update",
               "--sources", SEEDS)  # fmt: skip


def _graph(engine: Engine, graph: str) -> set[ox.Triple]:
    return set(engine.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"))


def test_graph_store_loading_is_idempotent_and_serves(oxigraph_server, store, request):
    first = _load(oxigraph_server)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "loaded 9 live graphs directly (first load)" in first.stdout  # the engine held none of them
    engine = Engine(f"{oxigraph_server}/query")
    request.addfinalizer(engine.close)
    graphs = sorted(engine.graphs(GRAPH_BASE))
    before = {
        g: set(engine.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }}")) for g in graphs
    }
    assert sum(map(len, before.values())) == len(list(store))
    again = _load(oxigraph_server)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "replaced 9 live graphs at once" in again.stdout  # no record of digests here: every graph staged
    assert sorted(engine.graphs(GRAPH_BASE)) == graphs  # no staging graph left
    after = {
        g: set(engine.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }}")) for g in graphs
    }
    assert after == before  # the same triples, Skolem IRIs included
    with serving(workers=1, engine=f"{oxigraph_server}/query") as url:
        page = httpx.get(f"{url}/id/claim-000-287-311-repatriated-count", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "over 700 of its citizens" in page.text
        rows = httpx.get(f"{url}/queries/state-figures", params={"format": "json"}).json()["results"]["bindings"]
        assert rows and {r["figure"]["value"] for r in rows if "figure" in r} >= {"700", "600"}


def test_a_failed_graph_store_load_keeps_the_previous_graphs(oxigraph_server, monkeypatch, tmp_path, request):
    from server.build import NAME, nquads
    from server.gsp import GraphStore, load_with_gsp
    from server.project import Layout
    from server.store import load_store

    loaded = _load(oxigraph_server)
    assert loaded.returncode == 0
    engine = Engine(f"{oxigraph_server}/query")
    request.addfinalizer(engine.close)
    count = {g: engine.count(g) for g in engine.graphs(GRAPH_BASE)}
    original = GraphStore.stage
    calls = []

    def failing(self, items):
        for item in items:  # the fifth graph fails, after four were staged
            calls.append(item)
            if len(calls) == 5:
                raise EngineError("the engine went away")
            original(self, [item])

    monkeypatch.setattr(GraphStore, "stage", failing)
    (tmp_path / f"{NAME}.nq").write_bytes(nquads(load_store(Layout())))
    store = GraphStore(f"{oxigraph_server}/store", f"{oxigraph_server}/update")
    with pytest.raises(EngineError, match="went away"):
        load_with_gsp(tmp_path, engine, store, echo=lambda _: None)
    assert {g: engine.count(g) for g in engine.graphs(GRAPH_BASE)} == count  # staging graphs dropped, live kept


def test_an_engine_that_goes_away_is_a_502_not_a_crash(tmp_path):
    with oxigraph(tmp_path) as (base, process):
        assert _load(base).returncode == 0
        with serving(workers=1, engine=f"{base}/query") as url:
            process.terminate()
            process.wait(10)
            page = httpx.get(f"{url}/id/kazakhstan", headers={"Accept": "text/html"})
            query = httpx.get(f"{url}/sparql", params={"query": "ASK { ?s ?p ?o }"})
            for response in (page, query):
                assert response.status_code == 502, response.text
                assert "engine" in response.json()["error"] and "Traceback" not in response.text
            assert httpx.get(f"{url}/health").status_code == 200  # the server itself is still up


DATASET_FORMS = [
    "SELECT * WHERE { ?s ?p ?o }",
    "SELECT * { GRAPH ?g { ?s ?p ?o } }",
    "ASK { <urn:a> ?p ?o }",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "CONSTRUCT WHERE { ?s ?p ?o }",
    "DESCRIBE <urn:a>",
    "SELECT (COUNT(*) AS ?n) WHERE { { SELECT ?s WHERE { ?s ?p ?o } } } LIMIT 5",
    "# WHERE in a comment\nSELECT ?where { ?s ?p ?where FILTER(?where != 'WHERE') } ORDER BY ?where",
]


@pytest.mark.parametrize("query", DATASET_FORMS)
def test_a_dataset_in_the_query_text_is_the_protocols_dataset(query):
    store = ox.Store()
    a, p = ox.NamedNode("urn:a"), ox.NamedNode("urn:p")
    for number, name in enumerate(("urn:g1", "urn:g2", "urn:g3")):
        store.add(ox.Quad(a, p, ox.Literal(number), ox.NamedNode(name)))
    default, named = ["urn:g1", "urn:g2"], ["urn:g2", "urn:g3"]
    text = with_dataset(query, default, named)
    as_text = store.query(text)
    as_protocol = store.query(
        query, default_graph=[ox.NamedNode(g) for g in default], named_graphs=[ox.NamedNode(g) for g in named]
    )
    if isinstance(as_text, ox.QueryBoolean):
        assert bool(as_text) == bool(as_protocol)
    else:
        assert sorted(map(str, as_text)) == sorted(map(str, as_protocol))


def test_many_graphs_are_named_in_the_query_text_and_pages_stay_the_same(engine_url, monkeypatch):
    import server.remote

    monkeypatch.setattr(server.remote, "MAX_GRAPH_PARAMETERS", 0)  # as with hundreds of graphs
    query, default, named = dataset_request("SELECT * WHERE { ?s ?p ?o }", ["urn:d"], ["urn:n"])
    assert (default, named) == ((), ()) and "FROM <urn:d>" in query and "FROM NAMED <urn:n>" in query
    with serving(workers=1) as embedded, serving(workers=1, engine=engine_url) as remote:
        for path in ("/id/kazakhstan", "/ontology", "/contested", "/"):
            here, there = (
                httpx.get(url + path, headers={"Accept": "text/html"}, timeout=60) for url in (embedded, remote)
            )
            assert there.status_code == 200 and there.text.replace(remote, embedded) == here.text, path
        rows = httpx.get(f"{remote}/queries/state-figures", params={"format": "json"}).json()["results"]["bindings"]
        assert {r["figure"]["value"] for r in rows} >= {"700", "600"}
        graph = "GRAPH ?g { kg:kazakhstan rdfs:label ?l }"
        found = httpx.get(f"{remote}/sparql", params={"query": f"SELECT ?g WHERE {{ {graph} }}", "format": "json"})
        assert {b["g"]["value"] for b in found.json()["results"]["bindings"]} == {GRAPH_BASE + "entities"}


def _xml_rows(count: int) -> bytes:
    rows = [[ox.Literal(n)] for n in range(count)]
    solutions = ox.Store().query("SELECT ?n WHERE { VALUES ?n { " + " ".join(str(r[0]) for r in rows) + " } }")
    return solutions.serialize(format=ox.QueryResultsFormat.XML)


def test_an_answer_cut_at_the_engines_row_limit_is_truncated_and_a_page_past_it_an_error():
    body = _xml_rows(5)
    job = Job("SELECT ?n WHERE { ?s ?p ?n }", "application/sparql-results+json", 10, {})
    whole = read_answer(body, None, job)  # no limit stated: five rows are the whole answer
    assert (whole.count, whole.truncated, whole.engine_limit) == (5, False, None)
    cut = read_answer(body, 5, job)  # stopped at its limit of 5: rows may follow
    assert (cut.count, cut.truncated, cut.engine_limit) == (5, True, 5)
    assert "results-truncated" in cut.body.decode()
    inside = read_answer(body, 5, Job(job.query, job.media_type, 2, {}, offset=1))  # a page inside what was sent
    assert (inside.count, inside.truncated) == (2, True)
    with pytest.raises(EngineError, match=r"at most 5 rows.*from 6 on.*ResultSetMaxRows"):
        read_answer(body, 5, Job(job.query, job.media_type, 2, {}, offset=5))


def test_virtuosos_row_limit_is_reported_not_a_silent_cut(engine_url):
    """The scratch Virtuoso's ResultSetMaxRows is 100,000 (scripts/virtuoso.ini.tmpl), below this server's cap."""
    query = "SELECT ?s ?k WHERE { ?s ?p ?o VALUES ?k { 1 2 3 4 5 6 7 8 9 10 11 12 } }"  # 12 rows a triple: 128,700
    with serving(workers=1, engine=engine_url, result_cap=150_000, query_timeout=60) as url:
        response = httpx.get(f"{url}/sparql", params={"query": query}, headers={"Accept": "text/csv"}, timeout=90)
    assert response.status_code == 200, response.text
    assert response.headers["X-Result-Count"] == "100000"
    assert "engine's own limit of 100000 rows" in response.headers["X-Result-Truncated"]
