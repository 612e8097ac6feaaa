"""The graph held by an external SPARQL engine (Virtuoso, Fuseki, QLever, GraphDB…), read over the SPARQL 1.1
protocol: the other implementation of the store boundary (the embedded one is pyoxigraph's `Store`).

`RemoteStore` gives the pages what the embedded store gives them: triple patterns, the server's own small queries
and every quad (for the dumps). `RemotePool` evaluates user and canned queries as the worker pool does: the guard
has already refused updates, SERVICE and foreign graphs; the syntax is checked here with Oxigraph's parser (the
same messages in both modes); then the query goes to the engine with our time limit around the call and our
result cap on what comes back. Every request names the dataset (a default-graph-uri and a named-graph-uri per
graph of the build), since an engine's own default graph may hold more (Virtuoso's holds its system graphs), and
the Skolem IRIs of the load are read back as blank nodes (server/skolem.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace

import httpx
import pyoxigraph as ox

from server.engine import Engine, engine_refusal, protocol_request
from server.errors import EngineError
from server.executor import Job, QueryFailed, QueryTimeout
from server.formats import GRAPH_TYPES
from server.guard import FORMS, tokenize
from server.project import PREFIXES, sparql_prologue
from server.results import Rows, Written, write
from server.skolem import GENID, from_engine, to_engine

Node = ox.NamedNode | ox.BlankNode
Term = ox.NamedNode | ox.BlankNode | ox.Literal
RESULTS_XML = "application/sparql-results+xml"
MAX_ANSWER = 512 * 2**20  # bytes read from the engine for one query at most
MAX_GRAPH_PARAMETERS = 50  # more graphs are named in the query text (see dataset_request)


def with_dataset(query: str, default: Sequence[str], named: Sequence[str]) -> str:
    """The query with FROM and FROM NAMED clauses where SPARQL puts them: before the outermost WHERE (or, for a
    SELECT, ASK or DESCRIBE written without it, before the first group or the solution modifiers)."""
    form, depth, at = None, 0, len(query)
    for kind, text, end in tokenize(query):
        word = text.upper() if kind == "word" else ""
        if form is None and word in FORMS:
            form = word
        elif (
            form is not None
            and depth == 0
            and (
                word in ("WHERE", "ORDER", "GROUP", "HAVING", "LIMIT", "OFFSET", "VALUES")
                or (text == "{" and form != "CONSTRUCT")
            )
        ):
            at = end - len(text)
            break
        depth += {"{": 1, "}": -1}.get(text, 0)
    clauses = [f"FROM <{g}>" for g in default] + [f"FROM NAMED <{g}>" for g in named]
    return f"{query[:at].rstrip()}\n{' '.join(clauses)}\n{query[at:]}"


def dataset_request(
    query: str, default: Sequence[str], named: Sequence[str]
) -> tuple[str, Sequence[str], Sequence[str]]:
    """The query and the protocol's graph parameters naming its dataset. Past MAX_GRAPH_PARAMETERS graphs the
    dataset goes into the query text instead: Virtuoso echoes every graph parameter as a response header, and a
    hundred of them outgrow what the HTTP client reads."""
    if len(default) + len(named) <= MAX_GRAPH_PARAMETERS:
        return query, default, named
    return with_dataset(query, default, named), (), ()


class EngineStopped(Exception):
    """The engine stopped the query at the time limit it was given (its partial results are never used)."""


class Solution(dict):
    """One SELECT solution, read like pyoxigraph's: `row["var"]` is the term, or None when unbound."""

    def __missing__(self, key: str) -> None:
        return None


LABELS = (ox.NamedNode(PREFIXES["rdfs"] + "label"), ox.NamedNode(PREFIXES["skos"] + "prefLabel"))
PREFETCH = 200  # subjects found by a pattern read whose descriptions are fetched at once, at most
KEEP = 5000  # pattern reads with more quads than this are not kept in memory

# The descriptions of some subjects in one request: each one's triples and those of the blank nodes (Skolem IRIs) it
# reaches in up to two steps, marked "d" (complete descriptions); and the labels of the IRIs it points to, marked "l".
_NEIGHBOURHOOD = """SELECT ?kind ?s ?p ?o ?g WHERE {{
  VALUES ?top {{ {tops} }}
  {{ GRAPH ?g {{ ?top ?p ?o }} BIND(?top AS ?s) BIND("d" AS ?kind) }}
  UNION {{ GRAPH ?g1 {{ ?top ?p1 ?s }} FILTER(STRSTARTS(STR(?s), "{genid}"))
          GRAPH ?g {{ ?s ?p ?o }} BIND("d" AS ?kind) }}
  UNION {{ GRAPH ?g1 {{ ?top ?p1 ?b }} FILTER(STRSTARTS(STR(?b), "{genid}"))
          GRAPH ?g2 {{ ?b ?p2 ?s }} FILTER(STRSTARTS(STR(?s), "{genid}")) GRAPH ?g {{ ?s ?p ?o }} BIND("d" AS ?kind) }}
  UNION {{ GRAPH ?g1 {{ ?top ?p1 ?s }} FILTER(isIRI(?s) && !STRSTARTS(STR(?s), "{genid}"))
          VALUES ?p {{ {labels} }} GRAPH ?g {{ ?s ?p ?o }} BIND("l" AS ?kind) }}
}}"""


class RemoteStore:
    """The reads the pages make, answered by the engine with few requests: reading a subject fetches its
    description with its blank nodes and the labels of what it points to, and a pattern read fetches the
    descriptions of the subjects it finds, since a page goes on to read them. What is fetched is kept (the data does
    not change while it is served: after `rkg load`, restart the server, as its data version changes too)."""

    def __init__(
        self, engine: Engine, graphs: Sequence[str], default: Sequence[str] | None = None, cache_size: int = 50_000
    ):
        self.engine = engine
        self.graphs = tuple(sorted(graphs))
        self.default = tuple(default) if default is not None else self.graphs  # the union of `graphs`
        self.cache_size = cache_size
        self._descriptions: dict[Node, tuple[ox.Quad, ...]] = {}
        self._labels: dict[Node, tuple[ox.Quad, ...]] = {}
        self._patterns: dict[tuple, tuple[ox.Quad, ...]] = {}

    def close(self) -> None:
        self.engine.close()

    def named_graphs(self) -> list[ox.NamedNode]:
        return [ox.NamedNode(g) for g in self.graphs]

    def quads_for_pattern(
        self,
        subject: Node | None = None,
        predicate: ox.NamedNode | None = None,
        obj: Term | None = None,
        graph: ox.NamedNode | None = None,
    ) -> list[ox.Quad]:
        if subject is None and predicate is None and obj is None:  # whole graphs: checked, never kept
            return list(self._graph_quads(graph.value)) if graph is not None else list(self)
        if subject is None:
            found = self._match(predicate, obj, graph)
            subjects = list(dict.fromkeys(q.subject for q in found if q.subject not in self._descriptions))
            if 0 < len(subjects) <= PREFETCH and (predicate is not None or obj is not None):
                self._describe(subjects)
            return list(found)
        if predicate in LABELS and subject in self._labels:
            quads = self._labels[subject]
        else:
            if subject not in self._descriptions:
                self._describe([subject])
            quads = self._descriptions[subject]
        return [
            q
            for q in quads
            if (predicate is None or q.predicate == predicate)
            and (obj is None or q.object == obj)
            and (graph is None or q.graph_name == graph)
        ]

    def _match(self, predicate: ox.NamedNode | None, obj: Term | None, graph: ox.NamedNode | None) -> tuple:
        """The quads matching a pattern without a subject (kept when there are few)."""
        key = (predicate, obj, graph)
        if key not in self._patterns:
            found = self._fetch(predicate, obj, graph)
            if len(found) > KEEP:
                return found
            self._forget_if_full()
            self._patterns[key] = found
        return self._patterns[key]

    def _forget_if_full(self) -> None:
        if len(self._descriptions) + len(self._labels) + len(self._patterns) > self.cache_size:
            self._descriptions.clear()
            self._labels.clear()
            self._patterns.clear()

    def _fetch(self, predicate: ox.NamedNode | None, obj: Term | None, graph: ox.NamedNode | None) -> tuple:
        """The quads matching a pattern without a subject."""
        g = "?g" if graph is None else str(graph)
        p = "?p" if predicate is None else str(predicate)
        o = "?o" if obj is None else str(to_engine(obj))
        rows = self._select(f"SELECT * WHERE {{ GRAPH {g} {{ ?s {p} {o} }} }}")
        return tuple(
            ox.Quad(row["s"], predicate or row["p"], obj if obj is not None else row["o"], graph or row["g"])
            for row in rows
        )

    def _describe(self, subjects: list[Node]) -> None:
        """Fetch and keep the descriptions of `subjects` (and of the blank nodes they reach) and the labels of the
        IRIs they point to."""
        self._forget_if_full()
        tops = " ".join(str(to_engine(s)) for s in subjects)
        query = _NEIGHBOURHOOD.format(tops=tops, genid=GENID, labels=" ".join(str(p) for p in LABELS))
        described: dict[Node, list[ox.Quad]] = {s: [] for s in subjects}
        labelled: dict[Node, list[ox.Quad]] = {}
        for row in self._select(query):
            quad = ox.Quad(row["s"], row["p"], row["o"], row["g"])
            target = described if row["kind"].value == "d" else labelled
            target.setdefault(quad.subject, []).append(quad)
        for node, quads in described.items():
            self._descriptions[node] = tuple(dict.fromkeys(quads))
        for node, quads in labelled.items():
            self._labels[node] = tuple(dict.fromkeys(quads))

    def _select(self, query: str) -> list[Solution]:
        rows = self.engine.select(*dataset_request(query, self.default, self.graphs))
        return [Solution({name: from_engine(value) for name, value in row.items()}) for row in rows]

    def query(
        self, query: str, *, use_default_graph_as_union: bool = True, prefixes: Mapping[str, str] | None = None
    ) -> list[Solution]:
        """A SELECT query of the server's own over the union of the graphs (the named graphs are the build's)."""
        return self._select(sparql_prologue(prefixes) + query)

    def __iter__(self) -> Iterator[ox.Quad]:
        """Every quad, graph by graph."""
        for graph in self.graphs:
            yield from self._graph_quads(graph)

    def _graph_quads(self, graph: str) -> list[ox.Quad]:
        """One whole graph; a graph the engine sends incomplete (a result row limit) is an error, not a dump."""
        query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        triples = self.engine.construct(*dataset_request(query, (), self.graphs))
        expected = self.engine.count(graph)
        if len(triples) != expected:
            raise EngineError(
                f"the engine sent {len(triples)} of the {expected} triples of <{graph}>: raise its result row "
                "limit (Virtuoso: ResultSetMaxRows in the [SPARQL] section of virtuoso.ini)"
            )
        name = ox.NamedNode(graph)
        return [ox.Quad(from_engine(t.subject), t.predicate, from_engine(t.object), name) for t in triples]


class RemotePool:
    """Evaluates jobs on the engine, at most `size` at a time, each within its time limit (queueing included)."""

    def __init__(self, url: str, graphs: Sequence[str], size: int, default: Sequence[str] | None = None):
        self.url = url
        self.graphs = tuple(sorted(graphs))
        self.default = tuple(default) if default is not None else self.graphs
        self.size = size
        self._parser = ox.Store()  # empty: queries are parsed here, never evaluated
        self._slots: asyncio.Semaphore | None = None
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        self._slots = asyncio.Semaphore(self.size)
        self._client = httpx.AsyncClient()

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def run(self, job: Job, timeout: float) -> Written:
        """Evaluate `job` on the engine, waiting at most `timeout` seconds in all."""
        assert self._slots is not None and self._client is not None, "the pool is not started"
        self.check_syntax(job)
        deadline = time.monotonic() + timeout
        stopped = QueryTimeout(f"the query was stopped after {timeout:g} s (the time limit)")
        try:
            async with asyncio.timeout(timeout):
                async with self._slots:
                    answer = await self._ask(job, deadline - time.monotonic())
        except (TimeoutError, EngineStopped):
            raise stopped from None
        return await asyncio.to_thread(read_answer, *answer, job)

    def check_syntax(self, job: Job) -> None:
        """Oxigraph's parser on the query (lazy: nothing is evaluated), so both modes give the same errors."""
        try:
            self._parser.query(job.query, prefixes=job.prefixes, use_default_graph_as_union=True)
        except SyntaxError as err:
            raise QueryFailed(f"SPARQL syntax error: {err}") from None

    async def _ask(self, job: Job, remaining: float) -> tuple[bytes, int | None]:
        """The engine's answer to `job`, and its own row limit when it says it stopped there."""
        assert self._client is not None
        graph_query = job.media_type in GRAPH_TYPES
        query, default, named = dataset_request(job.query, *dataset(job, self.default, self.graphs))
        request = protocol_request(
            self._client,
            self.url,
            sparql_prologue(job.prefixes) + query,
            "application/n-triples" if graph_query else RESULTS_XML,
            default,
            named,
            engine_timeout=remaining,
        )
        try:
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError as err:
            raise EngineError(f"the SPARQL engine could not be reached ({type(err).__name__})") from None
        try:
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_ANSWER:
                    raise QueryFailed(f"the engine's answer is larger than {MAX_ANSWER // 2**20} MiB; add a LIMIT")
                chunks.append(chunk)
        finally:
            await response.aclose()
        body = b"".join(chunks)
        if response.headers.get("x-sql-state") == "S1TAT":
            raise EngineStopped()
        refusal = engine_refusal(httpx.Response(response.status_code, content=body))
        if refusal:
            raise QueryFailed(refusal)
        return body, engine_row_limit(response.headers)


def engine_row_limit(headers: Mapping[str, str]) -> int | None:
    """The row limit at which the engine says it may have stopped an answer: Virtuoso sends `X-SPARQL-MaxRows` with
    a SELECT answer that reached its ResultSetMaxRows (rows may have followed; it cannot tell an answer of exactly
    that many rows)."""
    value = headers.get("x-sparql-maxrows", "").strip()
    return int(value) if value.isdigit() else None


def dataset(job: Job, default: Sequence[str], graphs: Sequence[str]) -> tuple[Sequence[str], Sequence[str]]:
    """The graphs to name in the request: the protocol's if given; none if the query has its own FROM (which the
    guard has checked); else the union as the default graph (`default`), and every graph of the build as named."""
    if job.default_graphs is not None or job.named_graphs is not None:
        return job.default_graphs or (), job.named_graphs or ()
    if job.query_dataset:
        return (), ()
    return default, graphs


def read_answer(body: bytes, limit: int | None, job: Job) -> Written:
    """The engine's answer written as the job asks, with Skolem IRIs back as blank nodes, capped and paged. An answer
    the engine stopped at its own row `limit` is written as truncated, and a page past it is an error: the rows are
    not silently lost."""
    try:
        if job.media_type in GRAPH_TYPES:
            parsed = ox.parse(body, format=ox.RdfFormat.N_TRIPLES)
            triples = [ox.Triple(from_engine(q.subject), q.predicate, from_engine(q.object)) for q in parsed]
            return write(triples, job.media_type, job.cap, job.offset)
        result = ox.parse_query_results(body, format=ox.QueryResultsFormat.XML)
        if isinstance(result, ox.QueryBoolean):
            return write(result, job.media_type, job.cap, job.offset)
        rows = [[None if t is None else from_engine(t) for t in solution] for solution in result]
    except (SyntaxError, ValueError) as err:
        raise QueryFailed(f"the SPARQL engine's answer could not be read: {err}") from None
    cut = limit is not None and len(rows) >= limit
    if cut and job.offset >= len(rows):
        raise EngineError(
            f"the engine sends at most {len(rows)} rows of an answer (its own limit), so rows from {job.offset + 1} "
            "on cannot be read: raise that limit (Virtuoso: ResultSetMaxRows in the [SPARQL] section of "
            "virtuoso.ini) or narrow the query"
        )
    written = write(Rows(list(result.variables), rows, cut), job.media_type, job.cap, job.offset)
    return replace(written, engine_limit=limit) if cut else written
