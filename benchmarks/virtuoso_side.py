"""The Virtuoso side of `bench_queries.py`: a scratch Virtuoso per size, loaded by server/engine.py's bulk loader,
and every canned query sent to it the way the server's remote mode sends it.

Each size gets a new database (`scripts/virtuoso start DIR`, on free loopback ports). The data folder (ontology
and synthetic data, one named graph per file) is written as one N-Quads dump, streamed file by file, into the
folder the engine may read, and loaded with `server.engine.load_build`, which is what `rkg load` runs (into a new
database it is a first load: each graph straight into its live name, its count checked, then the union graph).
Virtuoso 7.2 is then restarted once: in the first run of a new database it answers queries with `*` property paths
over an explicit dataset wrongly (see tests/test_engine_queries.py). Queries go as a form POST with the project's
prefixes prepended and the dataset given explicitly, as the server sends it: the union graph `load_build` loads as
the default graph, and one named-graph-uri per graph. Memory is the Virtuoso process's
resident set (VmRSS) and its peak (VmHWM), read from /proc.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "virtuoso"
JSON = "application/sparql-results+json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Scratch:
    """A scratch Virtuoso kept in one folder (scripts/virtuoso), on loopback ports of its own."""

    folder: Path
    sql_port: int
    http_port: int
    buffers: int = 100_000

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/sparql"

    @property
    def isql_address(self) -> str:
        return f"127.0.0.1:{self.sql_port}"

    def script(self, command: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "SQLPORT": str(self.sql_port), "HTTPPORT": str(self.http_port)}
        env["BUFFERS"] = str(self.buffers)
        done = subprocess.run(
            [str(SCRIPT), command, str(self.folder)], env=env, capture_output=True, text=True, timeout=300, check=False
        )
        if done.returncode != 0 and command != "status":
            raise RuntimeError(f"scripts/virtuoso {command} {self.folder}: {done.stdout}{done.stderr}")
        return done

    def pid(self) -> int:
        return int((self.folder / "virtuoso.pid").read_text(encoding="utf-8").strip())


def parse_status(text: str) -> tuple[float, float]:
    """(VmRSS, VmHWM) in MiB from the text of /proc/PID/status."""
    values = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024  # kB
    return values["VmRSS"], values["VmHWM"]


def process_memory(pid: int) -> tuple[float, float]:
    return parse_status(Path(f"/proc/{pid}/status").read_text(encoding="utf-8"))


def write_nquads(files: Sequence[tuple[Path, ox.NamedNode]], path: Path) -> None:
    """The files as one N-Quads dump, each into its named graph, streamed (10^7 triples never sit in memory)."""
    from server.rdffiles import iter_files

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        ox.serialize(iter_files(files), output=out, format=ox.RdfFormat.N_QUADS)


def dataset(files: Sequence[tuple[Path, ox.NamedNode]]) -> list[str]:
    """The graph IRIs of the build, each once, in order: sent as default-graph-uri and named-graph-uri."""
    return list(dict.fromkeys(graph.value for _, graph in files))


def form(query: str, graphs: Sequence[str]) -> dict[str, str | list[str]]:
    """The protocol form of a canned query as the server's remote mode sends it: the project's prefixes prepended,
    the union graph as the default graph and every graph as a named graph, in the query text when there are many
    (`server.remote.dataset_request`: Virtuoso echoes each graph parameter as a response header)."""
    from server.loading import UNION_GRAPH
    from server.project import sparql_prologue
    from server.remote import dataset_request

    text, default, named = dataset_request(query, [UNION_GRAPH], list(graphs))
    sent: dict[str, str | list[str]] = {"query": sparql_prologue() + text}
    if default or named:
        sent.update({"default-graph-uri": list(default), "named-graph-uri": list(named)})
    return sent


class EngineRefused(Exception):
    """Virtuoso answered with an error (for example its cost estimate is over MaxQueryCostEstimationTime)."""

    def __init__(self, status: int, text: str):
        first = next((line for line in text.splitlines() if line.strip()), "")
        super().__init__(f"{status}: {first[:200]}")


def cut_short(headers: httpx.Headers, rows: int) -> bool:
    """Whether Virtuoso cut a SELECT result short. Its anytime-query timeout is reported in the X-SQL-State header;
    its ResultSetMaxRows only by X-SPARQL-MaxRows: N, which Virtuoso 7.2.5 sends when the answer has N rows (the
    limit reached, whether or not more rows existed) and leaves out below it."""
    from server.remote import engine_row_limit

    if headers.get("x-sql-state"):
        return True
    limit = engine_row_limit(headers)
    return limit is not None and rows >= limit


def run_remote(client: httpx.Client, url: str, query: str, graphs: Sequence[str]) -> tuple[int, bool, float]:
    """Send one query and read every row; (rows, partial, seconds). Partial: Virtuoso cut the result short (its
    ResultSetMaxRows or its anytime-query timeout, see `cut_short`)."""
    started = time.perf_counter()
    response = client.post(url, data=form(query, graphs), headers={"Accept": JSON})
    if response.status_code != 200:
        raise EngineRefused(response.status_code, response.text)
    rows = len(response.json()["results"]["bindings"])
    partial = cut_short(response.headers, rows)
    return rows, partial, time.perf_counter() - started


def busiest_remote(client: httpx.Client, url: str, pattern: str, graphs: Sequence[str]) -> str | None:
    query = f"SELECT ?x (COUNT(?c) AS ?n) WHERE {{ {pattern} }} GROUP BY ?x ORDER BY DESC(?n) ?x LIMIT 1"
    response = client.post(url, data=form(query, graphs), headers={"Accept": JSON})
    bindings = response.json()["results"]["bindings"]
    return bindings[0]["x"]["value"] if bindings else None


def load(scratch: Scratch, files: Sequence[tuple[Path, ox.NamedNode]], echo: Callable[[str], None]) -> dict:
    """Dump, bulk-load through server.engine.load_build, restart; the seconds of each step."""
    from server.build import NAME
    from server.engine import Engine, Isql, load_build

    build = scratch.folder / "load" / "build"
    started = time.perf_counter()
    write_nquads(files, build / f"{NAME}.nq")
    dump_s = time.perf_counter() - started
    lines: list[str] = []
    started = time.perf_counter()
    summary = load_build(build, Engine(scratch.url, timeout=600), Isql(scratch.isql_address), echo=lines.append)
    load_s = time.perf_counter() - started
    echo(f"  virtuoso: {lines[-1]} (dump written in {dump_s:.1f} s)")
    shutil.rmtree(build, ignore_errors=True)
    started = time.perf_counter()
    scratch.script("stop")
    scratch.script("start")
    return {"dump_s": dump_s, "load_s": load_s, "restart_s": time.perf_counter() - started, "triples": summary.triples}


def time_queries(
    url: str,
    graphs: Sequence[str],
    queries: Sequence[tuple[str, str, str]],
    repeat: int,
    budget: float,
    echo: Callable[[str], None],
) -> list[dict]:
    """Every (name, bound query, shown) timed like the embedded side: one warm-up, then up to `repeat` runs."""
    from benchmarks.bench_queries import percentile, timed

    results = []
    with httpx.Client(timeout=600) as client:
        for name, text, _ in queries:
            try:
                rows, partial, warm = run_remote(client, url, text, graphs)
            except EngineRefused as err:
                echo(f"  virtuoso {name}: refused, {err}")
                results.append({"query": name, "error": str(err)})
                continue
            times = timed(lambda text=text: run_remote(client, url, text, graphs)[2], repeat, budget, first=warm)
            p50, p99 = percentile(times, 50), percentile(times, 99)
            echo(f"  virtuoso {name}: {rows} rows{' (partial)' if partial else ''}, p50 {p50:.1f} ms")
            results.append(
                {"query": name, "rows": rows, "partial": partial, "runs": len(times), "p50": p50, "p99": p99}
            )
    return results


def bench_virtuoso(
    folder: Path, work: Path, buffers: int, repeat: int, budget: float, only: set[str], echo: Callable[[str], None]
) -> dict:
    """A new scratch Virtuoso under `work`, loaded with the data `folder`; load, memory and query times."""
    from benchmarks.bench_queries import BUSIEST, bound_queries
    from server.project import Layout

    scratch = Scratch(work, free_port(), free_port(), buffers)
    shutil.rmtree(work, ignore_errors=True)
    files = Layout(data=folder).graph_files()
    graphs = dataset(files)
    scratch.script("start")
    try:
        loaded = load(scratch, files, echo)
        rss_loaded, _ = process_memory(scratch.pid())
        with httpx.Client(timeout=600) as client:
            replacements = {
                iri: busiest_remote(client, scratch.url, pattern, graphs) for iri, pattern in BUSIEST.items()
            }
        queries = bound_queries({k: v for k, v in replacements.items() if v}, only)
        results = time_queries(scratch.url, graphs, queries, repeat, budget, echo)
        rss, hwm = process_memory(scratch.pid())
    finally:
        scratch.script("stop")
    shutil.rmtree(work, ignore_errors=True)
    return {
        **loaded,
        "graphs": len(graphs),
        "rss_mb": rss,
        "hwm_mb": hwm,
        "rss_loaded_mb": rss_loaded,
        "queries": results,
    }
