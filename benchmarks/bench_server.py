"""HTTP benchmark of the SPARQL endpoint against peer servers: `python -m benchmarks.bench_server`.

For each data size (the repository's seed data, then a synthetic graph from benchmarks/synthetic.py), the
same ontology and data are served, one server at a time, on a free loopback port, by:

- ours: `rkg serve` (validation, query guard, killable worker processes, result cap, CORS, access log), with
  its result cache: a repeated query is answered from it;
- ours-uncached: the same with `RKG_RESULT_CACHE=0`, so that every request is evaluated by a query worker;
- ours-memory: the same with no memory limit (`RKG_MEMORY_LIMIT` huge), so that the server and each worker hold a
  copy of the graph in memory at any size (by default, past `--memory-limit` they share an on-disk store);
- oxigraph: Oxigraph's own server, `oxigraph serve-read-only` over a RocksDB store made by `oxigraph load`;
- oxigraph-mem: `oxigraph serve` with an in-memory store, the data POSTed to /store (like ours, in memory);
- rdflib-endpoint: `rdflib-endpoint serve FILES` (an rdflib Dataset with a union default graph);
- bare: a minimal FastAPI + pyoxigraph app defined here (query and serialise in the threadpool; no workers,
  no guard, no limits, no logging): what our server costs above the plain path.

Every server sees the union of the graphs as its default graph. Each query is first sent once to every
server to check that they agree on the number of results; then a bounded concurrent load (keep-alive HTTP/1.1
connections from one asyncio client, warm-up first) runs for a fixed time or a fixed number of requests
per cell. After its load, the memory of each server's processes is read from /proc (RSS, PSS, peaks). Everything
stays on 127.0.0.1 and every server is stopped at the end. Results are noisy on a
small machine where client and server share the cores: compare the ratios, not the absolute numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
JSON_RESULTS = "application/sparql-results+json"
PEERS = ("ours", "ours-uncached", "ours-memory", "oxigraph", "oxigraph-mem", "rdflib-endpoint", "bare")
OURS = ("ours", "ours-uncached", "ours-memory")
QUERY_NAMES = ("ask", "lookup", "provenance", "aggregate")
START_TIMEOUT = 900.0  # seconds for a server to validate, load and answer
REQUEST_TIMEOUT = 60.0  # seconds for one request during the load

PROLOGUE = """PREFIX rep: <https://w3id.org/repatriation-kg/ontology#>
PREFIX kg: <https://w3id.org/repatriation-kg/id/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX oa: <http://www.w3.org/ns/oa#>
"""


def queries(subject: str) -> dict[str, str]:
    """The benchmark queries about one entity (an IRI without angle brackets). Every prefix is declared,
    since only our server predeclares them.

    Written for an engine without join statistics (Oxigraph): the OPTIONAL repeats the subject, or Oxigraph
    builds its hash table from every evidence of the graph (15 ms instead of 2 ms at 100k triples); the
    aggregate starts from the rarer rep:quantity."""
    return {
        "ask": "ASK { ?s ?p ?o }",
        "lookup": f"SELECT ?p ?o WHERE {{ <{subject}> ?p ?o }}",
        "provenance": PROLOGUE
        + f"""SELECT ?claim ?figure ?hedge ?who ?source ?quote WHERE {{
  ?claim rep:subject <{subject}> ;
         rep:quantity ?figure ;
         rep:approximation ?hedge ;
         rep:claimedBy/rdfs:label ?who ;
         rep:reportedIn/rdfs:label ?source .
  OPTIONAL {{ ?claim rep:subject <{subject}> ; rep:evidence/oa:hasSelector/oa:exact ?quote }}
}} ORDER BY DESC(?figure) ?claim ?quote""",
        "aggregate": PROLOGUE
        + """SELECT ?subject (COUNT(?claim) AS ?figures) (MIN(?n) AS ?least) (MAX(?n) AS ?most) WHERE {
  ?claim rep:quantity ?n ; rep:subject ?subject .
} GROUP BY ?subject ORDER BY DESC(?figures) ?subject LIMIT 20""",
    }


# ---------------------------------------------------------------- pure helpers (tested)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ratio(ours: float | None, peer: float | None) -> float | None:
    """ours / peer, or None when either is missing or the peer is zero."""
    if ours is None or peer is None or peer == 0 or math.isnan(ours) or math.isnan(peer):
        return None
    return ours / peer


def fmt(value: float | int | None, digits: int = 2) -> str:
    """A number for the table: thousands separators, `digits` decimals below 100, '-' when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table: the first column left-aligned, the others right-aligned."""
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        first, *rest = cells
        right = (str(c).rjust(w) for c, w in zip(rest, widths[1:], strict=True))
        return "  ".join([str(first).ljust(widths[0]), *right]).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


@dataclass
class Cell:
    """What one server did with one query under load."""

    peer: str
    query: str
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    p50_ms: float = math.nan
    p99_ms: float = math.nan
    server_cpu_ms: float | None = None  # CPU time of the server's processes per request
    client_cpu: float | None = None  # the load client's CPU use, as a share of one core (near 1: client-bound)
    rows: str = "-"  # result size as the server answered it once (rows, or true/false)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else math.nan


def summarise(peer: str, query: str, latencies: Sequence[float], errors: int, seconds: float) -> Cell:
    """A cell from per-request latencies in seconds."""
    return Cell(
        peer,
        query,
        requests=len(latencies),
        errors=errors,
        seconds=seconds,
        p50_ms=percentile(latencies, 50) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
    )


def progress(cell: Cell) -> str:
    return (
        f"{cell.query:<10} {fmt(cell.rps, 1):>9} req/s  p50 {fmt(cell.p50_ms)} ms  p99 {fmt(cell.p99_ms)} ms"
        f"  errors {cell.errors}  rows {cell.rows}"
    )


def results_table(cells: Sequence[Cell]) -> str:
    header = ["query / server", "req/s", "p50 ms", "p99 ms", "server CPU ms/req", "client CPU", "errors", "rows"]
    rows = [
        [
            f"{c.query:<10} {c.peer}",
            fmt(c.rps, 1),
            fmt(c.p50_ms),
            fmt(c.p99_ms),
            fmt(c.server_cpu_ms),
            "-" if c.client_cpu is None else f"{c.client_cpu:.0%}",
            fmt(c.errors),
            c.rows,
        ]
        for c in cells
    ]
    return format_table(header, rows)


def ratios_table(cells: Sequence[Cell]) -> str:
    """ours ÷ each peer: throughput (above 1: ours serves more) and p50 (below 1: ours answers faster)."""
    by = {(c.query, c.peer): c for c in cells}
    peers = [p for p in PEERS[1:] if any(c.peer == p for c in cells)]
    header = ["query", *(f"ours/{p} req/s" for p in peers), *(f"ours/{p} p50" for p in peers if p == "bare")]
    rows = []
    for name in dict.fromkeys(c.query for c in cells):
        ours = by.get((name, "ours"))
        row = [name]
        for p in peers:
            peer = by.get((name, p))
            row.append(fmt(ratio(ours.rps if ours else None, peer.rps if peer else None)))
        if "bare" in peers:
            bare = by.get((name, "bare"))
            row.append(fmt(ratio(ours.p50_ms if ours else None, bare.p50_ms if bare else None)))
        rows.append(row)
    return format_table(header, rows)


def target_lines(cells: Sequence[Cell]) -> list[str]:
    """The targets of the server issue, each with the measured value and PASS / MISS."""
    by = {(c.query, c.peer): c for c in cells}

    def rps(query: str, peer: str) -> float | None:
        cell = by.get((query, peer))
        return cell.rps if cell and cell.requests else None

    out = []
    checks: list[tuple[str, float | None, float, str]] = []
    for who in [w for w in OURS if any(c.peer == w for c in cells)] or ["ours"]:
        checks += [
            (
                f"provenance: {who} ≥ oxigraph (req/s ratio ≥ 1)",
                ratio(rps("provenance", who), rps("provenance", "oxigraph")),
                1.0,
                ">=",
            ),
            (
                f"provenance: {who} ≥ oxigraph-mem (req/s ratio ≥ 1)",
                ratio(rps("provenance", who), rps("provenance", "oxigraph-mem")),
                1.0,
                ">=",
            ),
            (
                f"provenance: {who} ≥ 10x rdflib-endpoint",
                ratio(rps("provenance", who), rps("provenance", "rdflib-endpoint")),
                10.0,
                ">=",
            ),
            (f"ask: {who} ≥ ¼ of oxigraph", ratio(rps("ask", who), rps("ask", "oxigraph")), 0.25, ">="),
            (f"ask: {who} ≥ ¼ of oxigraph-mem", ratio(rps("ask", who), rps("ask", "oxigraph-mem")), 0.25, ">="),
            (f"lookup: {who} p50 < 5 ms", by[("lookup", who)].p50_ms if ("lookup", who) in by else None, 5.0, "<"),
        ]
    for label, value, bound, op in checks:
        if value is None:
            out.append(f"  {label}: not measured")
            continue
        ok = value >= bound if op == ">=" else value < bound
        short = 1 - value / bound
        miss = (
            ""
            if ok
            else f" (short by {short:.{0 if short >= 0.1 else 1}%})"
            if op == ">="
            else f" ({value / bound:.1f}x the bound)"
        )
        out.append(f"  {label}: {fmt(value)} {'PASS' if ok else 'MISS' + miss}")
    for who in OURS:
        for name in QUERY_NAMES:
            cost = ratio(rps(name, who), rps(name, "bare"))
            if cost is not None:
                extra = f", p50 {by[(name, who)].p50_ms - by[(name, 'bare')].p50_ms:+.2f} ms"
                out.append(f"  safety cost on {name}: {who} serves {cost:.0%} of bare's req/s{extra}")
    return out


# ---------------------------------------------------------------- data


@dataclass
class Dataset:
    name: str
    ontology: Path
    data: Path
    subject: str  # the entity of the lookup and provenance queries
    nquads: Path  # the same graph as N-Quads, one named graph per file
    files: list[Path]  # the Turtle files (ontology + data)
    triples: int = 0
    data_triples: int = 0


def prepare(size: str, work: Path) -> Dataset:
    """The seed data ('seed') or a synthetic graph of `size` data triples, with an N-Quads copy for peers."""
    import pyoxigraph as ox

    from server.project import Layout
    from server.store import load_store, union_triples

    if size == "seed":
        layout = Layout()
        subject = "https://w3id.org/repatriation-kg/id/kazakhstan"
        name = "seed (the repository's data)"
    else:
        from benchmarks.synthetic import generate

        folder = work / f"synthetic-{size}"
        generate(int(size), folder)
        layout = Layout(data=folder)
        subject = "https://w3id.org/repatriation-kg/id/synthetic-state-1"
        name = f"synthetic {int(size):,} data triples (benchmarks/synthetic.py, seed 1)"
    store = load_store(layout)
    nquads = work / f"graph-{size}.nq"
    store.dump(str(nquads), format=ox.RdfFormat.N_QUADS)
    files = [path for path, _ in layout.graph_files()]
    ontology = len(list(store.quads_for_pattern(None, None, None, layout.graph_files()[0][1])))
    triples = len(union_triples(store))
    return Dataset(name, layout.ontology, layout.data, subject, nquads, files, triples, triples - ontology)


# ---------------------------------------------------------------- servers


@dataclass
class Running:
    peer: str
    process: subprocess.Popen
    port: int
    path: str  # the query endpoint's path
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _oxigraph_cli() -> str | None:
    beside = Path(sys.executable).parent / "oxigraph"
    return str(beside) if beside.exists() else shutil.which("oxigraph")


def missing(peer: str) -> str | None:
    """Why a peer cannot run here (with how to install it), or None."""
    hint = f"install the benchmark extra: .venv/bin/uv pip install --python .venv/bin/python -e '{ROOT}[bench]'"
    if peer.startswith("oxigraph") and _oxigraph_cli() is None:
        return f"the `oxigraph` command is not installed (pip install oxigraph, or {hint})"
    if peer == "rdflib-endpoint" and importlib.util.find_spec("rdflib_endpoint") is None:
        return f"rdflib-endpoint is not installed (pip install rdflib-endpoint, or {hint})"
    return None


def start(peer: str, ds: Dataset, work: Path, workers: int | None) -> Running:
    port = free_port()
    log = work / f"{peer}-{port}.log"
    out = log.open("wb")
    env = dict(os.environ)
    py = sys.executable
    if peer in OURS:
        if workers:
            env["RKG_WORKERS"] = str(workers)
        if peer == "ours-uncached":
            env["RKG_RESULT_CACHE"] = "0"
        if peer == "ours-memory":  # a copy of the graph in memory in the server and in each worker, at any size
            env["RKG_MEMORY_LIMIT"] = str(2**30)
        cmd = [
            py,
            "-m",
            "server.cli",
            "serve",
            "--ontology",
            str(ds.ontology),
            "--data",
            str(ds.data),
            "--host",
            HOST,
            "--port",
            str(port),
        ]
        path = "/sparql"
    elif peer == "oxigraph":
        location = work / f"oxigraph-{port}"
        try:
            subprocess.run(
                [_oxigraph_cli(), "load", "--location", str(location), "--file", str(ds.nquads)],
                check=True,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=START_TIMEOUT,
            )
        except BaseException:
            out.close()
            raise
        cmd = [
            _oxigraph_cli(),
            "serve-read-only",
            "--location",
            str(location),
            "--bind",
            f"{HOST}:{port}",
            "--union-default-graph",
        ]
        path = "/query"
    elif peer == "oxigraph-mem":
        cmd = [_oxigraph_cli(), "serve", "--bind", f"{HOST}:{port}", "--union-default-graph"]
        path = "/query"
    elif peer == "rdflib-endpoint":
        cmd = [py, "-m", "rdflib_endpoint", "serve", *map(str, ds.files), "--host", HOST, "--port", str(port)]
        path = "/"
    elif peer == "bare":
        cmd = [py, "-m", "benchmarks.bench_server", "--serve-bare", str(ds.nquads), "--port", str(port)]
        path = "/sparql"
    else:
        raise ValueError(peer)
    process = subprocess.Popen(
        [str(c) for c in cmd], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    out.close()
    running = Running(peer, process, port, path, log)
    try:
        _wait_ready(running)
        if peer == "oxigraph-mem":
            _post_store(port, ds.nquads)
    except BaseException:
        stop(running)
        raise
    return running


def _wait_ready(running: Running) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    target = f"{running.path}?query={quote('ASK {}')}"
    refused_since = None
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            tail = running.log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{running.peer} exited with {running.process.returncode}:\n{tail}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            status, body = fetch(running.port, target, timeout=5)
            if status == 200:
                return
            refused_since = refused_since or time.monotonic()
            if time.monotonic() - refused_since > 30:
                raise RuntimeError(f"{running.peer} answers HTTP {status} to ASK {{}}: {body[:300]!r}")
        time.sleep(0.2)
    raise RuntimeError(f"{running.peer} did not answer within {START_TIMEOUT:g} s")


def _post_store(port: int, nquads: Path) -> None:
    conn = http.client.HTTPConnection(HOST, port, timeout=START_TIMEOUT)
    try:
        conn.request("POST", "/store", body=nquads.read_bytes(), headers={"Content-Type": "application/n-quads"})
        response = conn.getresponse()
        response.read()
        if response.status not in (200, 201, 204):
            raise RuntimeError(f"oxigraph-mem refused the data: HTTP {response.status}")
    finally:
        conn.close()


def stop(running: Running) -> None:
    """Stop a server this benchmark started (by its process id), politely first."""
    process = running.process
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def fetch(port: int, target: str, timeout: float = REQUEST_TIMEOUT) -> tuple[int, bytes]:
    """One GET asking for SPARQL JSON results."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", target, headers={"Accept": JSON_RESULTS})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def page(port: int, target: str, timeout: float = START_TIMEOUT) -> bytes:
    """One GET of a page as a browser asks for it (HTML); an HTTP error is an error."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", target, headers={"Accept": "text/html"})
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {target}: HTTP {response.status}: {body[:300]!r}")
        return body
    finally:
        conn.close()


def visit_pages(running: Running, subject: str) -> int:
    """Open every page of our server as a visitor would, once the canned answers of its start-up are prepared: each
    canned query's page, the contested figures (twice), the sources, the home, data and queries pages, the busiest
    entity, and an aggregation over every triple by /sparql. The number of requests."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        canned = json.loads(fetch(running.port, "/health")[1])["canned_answers"]
        if canned["done"] >= canned["of"] or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    names = [q["name"] for q in json.loads(fetch(running.port, "/queries")[1])]
    entity = "/" + subject.removeprefix("https://w3id.org/repatriation-kg/")
    aggregate = PROLOGUE + "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY DESC(?n)"
    targets = [f"/queries/{name}" for name in names] + ["/contested", "/contested", "/sources", "/", "/data"]
    targets += ["/queries", entity]
    for target in targets:
        page(running.port, target)
    status, body = fetch(running.port, f"/sparql?query={quote(aggregate)}", timeout=START_TIMEOUT)
    if status != 200:
        raise RuntimeError(f"the aggregation over every triple: HTTP {status}: {body[:300]!r}")
    return len(targets) + 1


def result_size(status: int, body: bytes) -> str:
    """How many results a SPARQL JSON answer holds ('true'/'false' for ASK), or the HTTP status on failure."""
    if status != 200:
        return f"HTTP {status}"
    try:
        parsed = json.loads(body)
    except ValueError:
        return "not JSON"
    if "boolean" in parsed:
        return str(parsed["boolean"]).lower()
    return str(len(parsed.get("results", {}).get("bindings", [])))


# ---------------------------------------------------------------- CPU of a process tree (Linux /proc)


def _children(pid: int) -> list[int]:
    found = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(c) for c in (task / "children").read_text().split()]
    return found


def process_tree(pid: int) -> list[int]:
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += _children(current)
    return tree


def memory_mib(pids: Sequence[int]) -> dict[str, float] | None:
    """Memory of the given processes in MiB, summed: resident (RSS), proportional (PSS: a page shared by several
    processes counted once in all) and the sum of each process's peak RSS (VmHWM); None off Linux."""
    total = {"rss": 0.0, "pss": 0.0, "peak": 0.0}
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            if pid == pids[0]:
                return None
            continue
        for key, text, name in (("rss", rollup, "Rss:"), ("pss", rollup, "Pss:"), ("peak", status, "VmHWM:")):
            line = next((ln for ln in text.splitlines() if ln.startswith(name)), None)
            total[key] += int(line.split()[1]) / 1024 if line else 0.0
    return total


def memory_lines(memory: dict[str, dict[str, float]], size: str) -> list[str]:
    """One line per server (its processes' memory after the load), and the memory target at a million triples."""
    out = [
        f"  {peer:<16} RSS {m['rss']:7.0f} MiB  PSS {m['pss']:7.0f} MiB  sum of peaks {m['peak']:7.0f} MiB"
        for peer, m in memory.items()
    ]
    if size.isdigit() and int(size) == 1_000_000:
        for peer in (p for p in memory if p.split(",")[0] in OURS):
            pss = memory[peer]["pss"]
            out.append(f"  memory: {peer} PSS < 1024 MiB at 1M triples: {pss:.0f} {'PASS' if pss < 1024 else 'MISS'}")
    return out


def cpu_seconds(pids: Sequence[int]) -> float | None:
    """User + system CPU time of the given processes (all their threads), or None off Linux."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            if pid == pids[0]:
                return None
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


# ---------------------------------------------------------------- the load


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the server closes the connection; Content-Length or chunked bodies."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length, chunked, close = None, False, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif name == b"connection" and b"close" in value.lower():
            close = True
    if length is not None:
        return status, await reader.readexactly(length), close
    if chunked:
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":
                    pass
                return status, b"".join(parts), close
            parts.append((await reader.readexactly(size + 2))[:-2])
    return status, await reader.read(), True


@dataclass
class Load:
    """A bounded load: stop after `requests` requests if given, else after `seconds`; never past `cap` seconds."""

    seconds: float
    requests: int | None = None
    cap: float = 300.0
    issued: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    started: float = 0.0

    def more(self) -> bool:
        now = time.perf_counter()
        if now - self.started > self.cap:
            return False
        if self.requests is not None:
            if self.issued >= self.requests:
                return False
        elif now - self.started >= self.seconds:
            return False
        self.issued += 1
        return True


async def _client(port: int, request: bytes, load: Load) -> None:
    reader = writer = None
    try:
        while load.more():
            if writer is None:
                reader, writer = await asyncio.open_connection(HOST, port)
            began = time.perf_counter()
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT):
                    writer.write(request)
                    status, _, close = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
                load.errors += 1
                writer.close()
                writer = None
                continue
            if status == 200:
                load.latencies.append(time.perf_counter() - began)
            else:
                load.errors += 1
            if close:
                writer.close()
                writer = None
    finally:
        if writer is not None:
            writer.close()


def run_load(port: int, target: str, concurrency: int, load: Load) -> Load:
    """Send GET `target` from `concurrency` keep-alive connections until `load` says stop."""
    request = (
        f"GET {target} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept: {JSON_RESULTS}\r\nUser-Agent: rkg-bench\r\n\r\n"
    ).encode()

    async def main() -> None:
        load.started = time.perf_counter()
        await asyncio.gather(*(_client(port, request, load) for _ in range(concurrency)))

    runner: Callable = asyncio.run
    with contextlib.suppress(ImportError):
        import uvloop

        runner = uvloop.run
    runner(main())
    return load


def measure(running: Running, query_name: str, text: str, args: argparse.Namespace) -> Cell:
    target = f"{running.path}?query={quote(text)}"
    status, body = fetch(running.port, target)
    rows = result_size(status, body)
    if status != 200:
        return Cell(running.peer, query_name, rows=rows, errors=1)
    run_load(running.port, target, args.concurrency, Load(args.warmup, cap=args.warmup + REQUEST_TIMEOUT))
    pids = process_tree(running.pid)
    cpu_before, client_before, began = cpu_seconds(pids), time.process_time(), time.perf_counter()
    load = run_load(
        running.port, target, args.concurrency, Load(args.duration, args.requests, cap=args.duration * 4 + 60)
    )
    elapsed, cpu_after = time.perf_counter() - began, cpu_seconds(pids)
    cell = summarise(running.peer, query_name, load.latencies, load.errors, elapsed)
    cell.rows = rows
    cell.client_cpu = (time.process_time() - client_before) / elapsed
    if cpu_before is not None and cpu_after is not None and cell.requests:
        cell.server_cpu_ms = (cpu_after - cpu_before) * 1000 / cell.requests
    return cell


# ---------------------------------------------------------------- the bare peer


def bare_app(nquads: str) -> FastAPI:
    """FastAPI + pyoxigraph and nothing else: one in-memory store, queried and serialised in the threadpool."""
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(path=nquads, format=ox.RdfFormat.N_QUADS)
    app = FastAPI()

    @app.get("/sparql")
    def sparql(request: Request) -> Response:
        result = store.query(request.query_params["query"], use_default_graph_as_union=True)
        if isinstance(result, ox.QueryTriples):
            return Response(ox.serialize(result, format=ox.RdfFormat.N_TRIPLES), media_type="application/n-triples")
        return Response(result.serialize(format=ox.QueryResultsFormat.JSON), media_type=JSON_RESULTS)

    @app.get("/health")
    def health() -> JSONResponse:
        return JSONResponse({"status": "ok", "triples": len(store)})

    return app


def serve_bare(nquads: str, port: int) -> None:
    import uvicorn

    uvicorn.run(bare_app(nquads), host=HOST, port=port, log_level="warning", access_log=False)


# ---------------------------------------------------------------- the report


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine_lines(args: argparse.Namespace) -> list[str]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1])
        memory = f", {kib / 2**20:.1f} GiB memory"
    oxigraph_cli = "not installed"
    if _oxigraph_cli():
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            oxigraph_cli = subprocess.run(
                [_oxigraph_cli(), "--version"], capture_output=True, text=True, timeout=10
            ).stdout.strip()
    names = [
        "repatriation-kg",
        "pyoxigraph",
        "rdflib",
        "rdflib-endpoint",
        "fastapi",
        "starlette",
        "uvicorn",
        "uvloop",
        "httptools",
    ]
    versions = ", ".join(f"{n} {_version(n)}" for n in names)
    workers = args.workers or "default (RKG_WORKERS or 3)"
    return [
        f"machine: {platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores ({usable} usable){memory}",
        f"python {platform.python_version()}; {versions}; {oxigraph_cli}",
        f"load: {args.concurrency} concurrent keep-alive connections from one asyncio client on this machine; "
        + (f"{args.requests} requests" if args.requests else f"{args.duration:g} s")
        + f" per cell after {args.warmup:g} s warm-up; ours with {workers} query workers",
    ]


def parse_sizes(text: str) -> list[str]:
    sizes = []
    for item in text.split(","):
        item = item.strip().lower()
        if item == "seed":
            sizes.append("seed")
        elif item:
            multiplier = {"k": 1_000, "m": 1_000_000}.get(item[-1], 1)
            sizes.append(str(int(float(item.rstrip("km")) * multiplier)))
    return sizes


def run(args: argparse.Namespace) -> int:
    peers = [p for p in PEERS if p not in args.skip and (not args.only or p in args.only)]
    print("\n".join(machine_lines(args)), flush=True)
    skipped = {p: why for p in peers if (why := missing(p))}
    for peer, why in skipped.items():
        print(f"skipping {peer}: {why}", flush=True)
    peers = [p for p in peers if p not in skipped]
    report: dict[str, object] = {"machine": machine_lines(args), "sizes": {}}
    with tempfile.TemporaryDirectory(prefix="rkg-bench-") as tmp:
        work = Path(tmp)
        for size in parse_sizes(args.sizes):
            ds = prepare(size, work)
            print(f"\n== {ds.name}: {ds.triples:,} triples ({ds.data_triples:,} data + ontology) ==")
            print(f"   lookup and provenance about <{ds.subject}>", flush=True)
            texts = queries(ds.subject)
            cells: list[Cell] = []
            memory: dict[str, dict[str, float]] = {}
            for peer in peers:
                began = time.perf_counter()
                try:
                    running = start(peer, ds, work, args.workers)
                except (RuntimeError, OSError, subprocess.SubprocessError) as err:
                    print(f"  {peer}: could not start, skipped: {err}", flush=True)
                    continue
                print(
                    f"  {peer}: ready in {time.perf_counter() - began:.1f} s (pid {running.pid}, port {running.port})",
                    flush=True,
                )
                try:
                    for name in QUERY_NAMES:
                        if name in args.queries:
                            cell = measure(running, name, texts[name], args)
                            cells.append(cell)
                            print(f"    {progress(cell)}", flush=True)
                    if (used := memory_mib(process_tree(running.pid))) is not None:
                        memory[peer] = used
                    if peer in OURS and args.pages:
                        visited = visit_pages(running, ds.subject)
                        if (used := memory_mib(process_tree(running.pid))) is not None:
                            memory[f"{peer}, after {visited} pages"] = used
                finally:
                    stop(running)
            cells.sort(key=lambda c: (QUERY_NAMES.index(c.query), PEERS.index(c.peer)))
            print(f"\n{ds.name}: {ds.triples:,} triples\n" + results_table(cells))
            print("\nratios, ours ÷ peer (req/s above 1: ours serves more; p50 below 1: ours answers faster)")
            print(ratios_table(cells))
            disagree = [q for q in QUERY_NAMES if len({c.rows for c in cells if c.query == q}) > 1]
            if disagree:
                print(f"WARNING: the servers disagree on the number of results of: {', '.join(disagree)}")
            print("targets:\n" + "\n".join(target_lines(cells)), flush=True)
            print("memory of each server's processes after its load:\n" + "\n".join(memory_lines(memory, size)))
            report["sizes"][size] = {
                "triples": ds.triples,
                "cells": [asdict(c) | {"rps": c.rps} for c in cells],
                "memory_mib": memory,
            }
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_server", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes", default="seed,100k", help="data sizes: 'seed' and/or synthetic data triples (default seed,100k)"
    )
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of load per cell (default 5)")
    parser.add_argument("--requests", type=int, help="a fixed number of requests per cell instead of --duration")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of warm-up load per cell (default 1)")
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent connections (default 4)")
    parser.add_argument(
        "--only", type=_names(PEERS), default=[], help=f"only these servers, comma-separated ({', '.join(PEERS)})"
    )
    parser.add_argument("--skip", type=_names(PEERS), default=[], help="leave out these servers, comma-separated")
    parser.add_argument(
        "--queries",
        type=_names(QUERY_NAMES),
        default=list(QUERY_NAMES),
        help=f"queries to run ({', '.join(QUERY_NAMES)})",
    )
    parser.add_argument("--workers", type=int, help="query workers of our server (RKG_WORKERS; default: the server's)")
    parser.add_argument("--json", type=Path, help="also write the measurements to this JSON file")
    parser.add_argument(
        "--pages",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="after its load, open every page of our server and measure its memory again (default: on)",
    )
    parser.add_argument("--serve-bare", metavar="NQUADS", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_bare:
        serve_bare(args.serve_bare, args.port)
        return 0
    if args.concurrency < 1 or args.duration <= 0 or (args.requests is not None and args.requests < 1):
        parser.error("--concurrency, --duration and --requests must be positive")
    return run(args)


def _names(allowed: Sequence[str]) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        names = [n.strip() for n in text.split(",") if n.strip()]
        unknown = [n for n in names if n not in allowed]
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown: {', '.join(unknown)}; choose from {', '.join(allowed)}")
        return names

    return parse


if __name__ == "__main__":
    sys.exit(main())
