"""Loading a build into an external engine, whatever carries the data there (Virtuoso's bulk loader in
server/engine.py, the Graph Store Protocol in server/gsp.py): one named graph per data file, written as N-Triples
with blank nodes as Skolem IRIs (server/skolem.py); each graph is staged and its triple count checked over SPARQL;
only then are all live graphs replaced at once and the graphs no longer in the build dropped. A failure before the
swap leaves the previous graphs serving, and the staging graphs are dropped.
"""

from __future__ import annotations

import collections
import contextlib
import heapq
import itertools
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pyoxigraph as ox

from server.build import NAME
from server.errors import RkgError
from server.project import BASE_IRI, GRAPH_BASE
from server.skolem import skolemise_graph

if TYPE_CHECKING:
    from server.engine import Engine

STAGING = "?staging="  # a staging graph is <live IRI>?staging=<token>
UNION_GRAPH = BASE_IRI + "union-graph"  # the union of the graphs, for Virtuoso (see write_union_file)
BATCH = 100  # graphs staged, then counted, together


@dataclass(frozen=True)
class GraphFile:
    """One named graph of the build, written as N-Triples for the bulk loader."""

    iri: str
    path: Path
    triples: int

    @property
    def name(self) -> str:
        return self.iri.removeprefix(GRAPH_BASE).removeprefix(BASE_IRI)


def write_union_file(files: list[GraphFile], path: Path) -> GraphFile:
    """The union of the graph files (each sorted) as one N-Triples file of distinct triples, merged line by line.

    Virtuoso 7.2 drops or reorders rows with a default graph of several graphs (ORDER BY after GROUP BY, some
    OPTIONALs), so it gets the union as one graph of its own, the default graph of every query the server sends it.
    """
    triples = 0
    with contextlib.ExitStack() as stack, path.open("wb") as out:
        sources = [stack.enter_context(f.path.open("rb")) for f in files]
        for line, _ in itertools.groupby(heapq.merge(*sources)):
            if line.strip():
                out.write(line)
                triples += 1
    return GraphFile(UNION_GRAPH, path.resolve(), triples)


def write_graph_files(nquads: Path, folder: Path) -> list[GraphFile]:
    """Split the N-Quads dump into one N-Triples file per named graph (distinct triples, counted), with Skolem IRIs
    for blank nodes (server/skolem.py), so that the server can follow them over the protocol."""
    by_graph: dict[str, set[ox.Triple]] = collections.defaultdict(set)
    try:
        for quad in ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS):
            by_graph[quad.graph_name.value].add(quad.triple)
    except (OSError, SyntaxError, ValueError) as err:
        raise RkgError(f"{nquads}: cannot be read as N-Quads: {err}") from None
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for iri, triples in sorted(by_graph.items()):
        if not iri.startswith(GRAPH_BASE) or STAGING in iri:
            raise RkgError(f"{nquads}: graph <{iri}> is not one of the project's graphs ({GRAPH_BASE}…)")
        name = iri.removeprefix(GRAPH_BASE)
        path = folder / f"{name}.nt"
        path.write_bytes(ox.serialize(sorted(skolemise_graph(triples, name), key=str), format=ox.RdfFormat.N_TRIPLES))
        files.append(GraphFile(iri, path.resolve(), len(triples)))
    return files


@dataclass(frozen=True)
class LoadSummary:
    graphs: int
    triples: int
    dropped: list[str]
    seconds: float


class Carrier(Protocol):
    """What moves the data: staging one file into one graph, the swap, and the clean-up."""

    target: str  # where the data goes, for messages
    union: bool  # also load the union of the graphs as one graph (UNION_GRAPH)

    def stage(self, items: list[tuple[Path, str]]) -> None:
        """Load each file into its (staging) graph."""

    def swap(self, pairs: list[tuple[str, str]], stale: list[str]) -> None:
        """Replace each live graph by its staging graph (pairs of live, staged) and drop `stale`, all at once."""

    def drop(self, graphs: list[str]) -> None:
        """Best effort, after a failure: drop these staging graphs."""

    def done(self, paths: list[Path]) -> None:
        """After the load, failed or not: forget the files."""


def load_staged(
    build: Path, engine: Engine, carrier: Carrier, echo: Callable[[str], None] = print, token: str | None = None
) -> LoadSummary:
    """Load the build in `build` (its N-Quads dump) into the engine, one named graph per data file, idempotently;
    on any error before the swap the engine keeps the graphs it had."""
    start = time.monotonic()
    nquads = build / f"{NAME}.nq"
    if not nquads.is_file():
        raise RkgError(f"{build}: no {NAME}.nq here (run `rkg build` first)")
    token = token or uuid.uuid4().hex[:12]
    engine.ask("ASK { }")  # reachable, and a SPARQL endpoint, before anything is written
    folder = build / f"graphs-{token}"
    data = write_graph_files(nquads, folder)
    files = [*data, write_union_file(data, folder / "union.nt")] if carrier.union else data
    staged = {f.iri: f"{f.iri}{STAGING}{token}" for f in files}
    total = sum(f.triples for f in files)
    union = " and their union" if carrier.union else ""
    echo(f"loading {len(data)} graphs{union}, {total} triples, into {carrier.target} (staging token {token})")
    done = 0
    try:
        for first in range(0, len(files), BATCH):
            batch, began = files[first : first + BATCH], time.monotonic()
            carrier.stage([(graph.path, staged[graph.iri]) for graph in batch])
            found = engine.counts([staged[graph.iri] for graph in batch])
            for number, graph in enumerate(batch, first + 1):
                if found[staged[graph.iri]] != graph.triples:
                    raise RkgError(
                        f"graph {graph.name}: the engine holds {found[staged[graph.iri]]} triples after loading "
                        f"{graph.path.name}, but the build has {graph.triples}; nothing was replaced, the engine "
                        "keeps its previous graphs."
                    )
                done += graph.triples
                echo(progress(done, total, number, len(files), graph, time.monotonic() - began))
        ours = set(staged) | set(staged.values())
        stale = sorted(g for g in engine.graphs(GRAPH_BASE) if g not in ours)  # and leftovers of failed loads
        if not carrier.union:
            stale.append(UNION_GRAPH)  # an older load's union would no longer match
        began = time.monotonic()
        carrier.swap(list(staged.items()), stale)
    except BaseException:
        with contextlib.suppress(RkgError):  # best effort: a leftover staging graph is dropped by the next load
            carrier.drop(list(staged.values()))
        raise
    finally:
        carrier.done([f.path for f in files])
        shutil.rmtree(folder, ignore_errors=True)
    dropped = [g for g in stale if STAGING not in g and g != UNION_GRAPH]
    echo(
        f"replaced {len(data)} live graphs{union} at once in {time.monotonic() - began:.2f} s"
        + (f"; dropped {len(dropped)} graphs no longer in the build: {', '.join(dropped)}" if dropped else "")
    )
    live = engine.counts([graph.iri for graph in files])  # what is now serving
    for graph in files:
        if live[graph.iri] != graph.triples:
            raise RkgError(
                f"graph {graph.name}: {live[graph.iri]} triples live after the load, expected {graph.triples}."
            )
    summary = LoadSummary(len(data), sum(f.triples for f in data), dropped, time.monotonic() - start)
    echo(f"loaded {summary.graphs} graphs, {summary.triples} triples in {summary.seconds:.1f} s")
    return summary


def progress(done: int, total: int, number: int, count: int, graph: GraphFile, seconds: float, width: int = 20) -> str:
    """One line of a load's progress: a bar of the triples done, then the graph just staged."""
    filled = round(width * done / total) if total else width
    bar = "[" + "#" * filled + "." * (width - filled) + "]"
    return (
        f"{bar} {number:>{len(str(count))}}/{count} {graph.name:<24} {graph.triples:>8} triples  "
        f"staged and checked (its batch: {seconds:.2f} s)"
    )
