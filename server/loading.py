"""Loading a build into an external engine, whatever carries the data there (Virtuoso's bulk loader in
server/engine.py, the Graph Store Protocol in server/gsp.py): one named graph per data file, written as N-Triples
with blank nodes as Skolem IRIs (server/skolem.py) and a digest of its content.

Only what changed moves. The carrier keeps the digest and triple count of every graph it last loaded (Virtuoso: a
small SQL table, invisible to SPARQL); a graph whose digest and live count still match is left alone. Each changed
graph is staged and its triple count checked over SPARQL; only then are the changed live graphs replaced at once,
the graphs no longer in the build dropped and the digests recorded, in one transaction. A failure before that
leaves the previous graphs serving, and the staging graphs are dropped. When the engine holds none of the project's
graphs yet (a first load) there is nothing to keep serving: the graphs are loaded straight into their live names,
and a failure drops what was loaded, leaving an engine that the server refuses to start on until a load succeeds.

The dump is read as a stream, one graph at a time: it must list each graph's quads together (as `rkg build` and
`rkg load` write it, sorted by graph), so memory is bounded by the largest graph, not the dump.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import itertools
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

import pyoxigraph as ox

from server.build import NAME
from server.errors import RkgError
from server.project import BASE_IRI, GRAPH_BASE
from server.skolem import skolemise_graph

if TYPE_CHECKING:
    from server.engine import Engine

STAGING = "?staging="  # a staging graph is <live IRI>?staging=<token>
UNION_GRAPH = BASE_IRI + "union-graph"  # the union of the graphs, for Virtuoso (see union_lines)
BATCH = 250  # graphs staged, then counted, together (Virtuoso checkpoints after each batch)
FAN_IN = 500  # files merged at once when writing the union (fewer open files than graphs at 10^7 triples)

Record = dict[str, tuple[str, int]]  # graph IRI -> (digest, triples), as last loaded
FIRST_FAILED = (
    "This was a first load: what it loaded was dropped again, so the engine holds none of the project's graphs, and "
    "the server will not start on it until a load succeeds."
)


@dataclass(frozen=True)
class GraphFile:
    """One named graph of the build, written as sorted N-Triples for the bulk loader, with its content's digest."""

    iri: str
    path: Path
    triples: int
    digest: str = ""

    @property
    def name(self) -> str:
        return self.iri.removeprefix(GRAPH_BASE).removeprefix(BASE_IRI)


# ---- the build's graphs as files, streamed


def graph_runs(nquads: Path) -> Iterator[tuple[str, list[ox.Triple]]]:
    """The dump's triples, one run of consecutive quads of the same graph at a time."""
    try:
        quads = ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS)
        for iri, run in itertools.groupby(quads, key=lambda quad: quad.graph_name):
            yield (iri.value if isinstance(iri, ox.NamedNode) else ""), [quad.triple for quad in run]
    except (OSError, SyntaxError, ValueError) as err:
        raise RkgError(f"{nquads}: cannot be read as N-Quads: {err}") from None


def graph_lines(triples: Iterable[ox.Triple], name: str) -> list[bytes]:
    """The distinct triples of graph `name` as sorted N-Triples lines, blank nodes as Skolem IRIs."""
    text = ox.serialize(skolemise_graph(triples, name), format=ox.RdfFormat.N_TRIPLES)
    return sorted(set(text.splitlines(keepends=True)))


def write_graph_file(iri: str, triples: list[ox.Triple], folder: Path) -> GraphFile:
    """One graph's file (see graph_lines), with its triple count and the SHA-256 of its content."""
    name = iri.removeprefix(GRAPH_BASE)
    content = b"".join(graph_lines(triples, name))
    path = folder / f"{name}.nt"
    path.write_bytes(content)
    return GraphFile(iri, path.resolve(), content.count(b"\n"), hashlib.sha256(content).hexdigest())


def write_graph_files(nquads: Path, folder: Path) -> list[GraphFile]:
    """Split the N-Quads dump into one N-Triples file per named graph (distinct triples, counted, digested), with
    Skolem IRIs for blank nodes (server/skolem.py), so that the server can follow them over the protocol. The dump
    is streamed one graph at a time; a graph whose quads are not together is refused."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, GraphFile] = {}
    for iri, triples in graph_runs(nquads):
        if not iri.startswith(GRAPH_BASE) or STAGING in iri:
            raise RkgError(f"{nquads}: graph <{iri}> is not one of the project's graphs ({GRAPH_BASE}…)")
        if iri in files:
            raise RkgError(
                f"{nquads}: the quads of graph <{iri}> are not together; the loader reads a dump sorted by graph, "
                "as `rkg build` writes it."
            )
        files[iri] = write_graph_file(iri, triples, folder)
    return sorted(files.values(), key=lambda f: f.iri)


# ---- the union graph: the graph files merged


def union_lines(paths: list[Path]) -> Iterator[bytes]:
    """The distinct lines of sorted N-Triples files, in order (at most FAN_IN files open at once: larger sets are
    merged into temporary files first)."""
    with tempfile.TemporaryDirectory(prefix="rkg-union-") as tmp, contextlib.ExitStack() as stack:
        while len(paths) > FAN_IN:
            merged = []
            for first in range(0, len(paths), FAN_IN):
                part = Path(tmp) / f"part-{len(merged)}-{len(paths)}.nt"
                write_lines(union_lines(paths[first : first + FAN_IN]), part)
                merged.append(part)
            paths = merged
        sources: list[IO[bytes]] = [stack.enter_context(path.open("rb")) for path in paths]
        for line, _ in itertools.groupby(heapq.merge(*sources)):
            if line.strip():
                yield line


def write_lines(lines: Iterable[bytes], path: Path) -> int:
    """Write the lines to `path`; how many."""
    count = 0
    with path.open("wb") as out:
        for line in lines:
            out.write(line)
            count += 1
    return count


def write_union_file(files: list[GraphFile], path: Path) -> GraphFile:
    """The union of the graph files (each sorted) as one N-Triples file of distinct triples, merged line by line.

    Virtuoso 7.2 drops or reorders rows with a default graph of several graphs (ORDER BY after GROUP BY, some
    OPTIONALs), so it gets the union as one graph of its own, the default graph of every query the server sends it.
    """
    triples = write_lines(union_lines([f.path for f in files]), path)
    return GraphFile(UNION_GRAPH, path.resolve(), triples, union_digest(files))


def union_size(files: list[GraphFile]) -> int:
    """The number of distinct triples of the union of the graph files, without writing it."""
    return sum(1 for _ in union_lines([f.path for f in files]))


def union_digest(files: Iterable[GraphFile]) -> str:
    """The union's digest: that of its graphs' names and digests (the union is a function of them)."""
    text = "".join(f"{f.iri} {f.digest}\n" for f in sorted(files, key=lambda f: f.iri))
    return hashlib.sha256(text.encode()).hexdigest()


# ---- what a load does: its plan


@dataclass(frozen=True)
class Plan:
    """What a load moves: the graphs to load (all of them on a first load), the ones left alone, the stale graphs
    to drop, and how the union follows (reloaded whole, updated by its difference, or left alone)."""

    first: bool
    load: list[GraphFile]
    unchanged: list[GraphFile]
    stale: list[str]
    union: str  # "whole", "difference", "same" or "none" (the carrier keeps no union)

    @property
    def moves(self) -> bool:
        return bool(self.load or self.stale) or self.union == "whole"

    @property
    def dropped(self) -> list[str]:
        """The stale graphs that were live (not staging leftovers)."""
        return [g for g in self.stale if STAGING not in g]


def plan_load(files: list[GraphFile], live: dict[str, int], held: set[str], recorded: Record, union: bool) -> Plan:
    """The plan of a load of `files`: `live` is the engine's triple count of each graph of the build and of
    UNION_GRAPH, `held` the project's graphs it holds (staging leftovers included), `recorded` what the carrier
    recorded at the last load."""
    first = not held and not live.get(UNION_GRAPH)
    same = [f for f in files if recorded.get(f.iri) == (f.digest, f.triples) == (f.digest, live.get(f.iri))]
    ids = {f.iri for f in same}
    changed = [f for f in files if f.iri not in ids]
    stale = sorted(held - {f.iri for f in files})
    lost = set(recorded) - {UNION_GRAPH} - held - {f.iri for f in files}  # recorded, but gone behind our back
    if not union:
        mode = "none"
    elif first or lost or not union_trusted(recorded, live.get(UNION_GRAPH, 0)):
        mode = "whole"
    else:
        mode = "difference" if changed or stale else "same"
    if first:
        return Plan(True, files, [], [], mode)
    return Plan(False, changed, same, stale, mode)


def union_trusted(recorded: Record, live_union: int) -> bool:
    """Whether the union graph the engine holds is the union of the recorded graphs (so that it can follow them by
    difference): recorded at the same load, and still of the recorded size."""
    if UNION_GRAPH not in recorded:
        return False
    graphs = [GraphFile(iri, Path(), triples, digest) for iri, (digest, triples) in recorded.items()]
    return recorded[UNION_GRAPH] == (union_digest(g for g in graphs if g.iri != UNION_GRAPH), live_union)


@dataclass(frozen=True)
class Change:
    """One swap: each live graph replaced by its staging graph (pairs of live, staged), the stale graphs dropped,
    the union graph updated by the difference when `difference`, and `record` kept for the next load; all at
    once."""

    pairs: list[tuple[str, str]]
    stale: list[str]
    difference: bool
    record: Record


@dataclass(frozen=True)
class LoadSummary:
    graphs: int
    triples: int
    dropped: list[str]
    seconds: float
    loaded: int = 0  # graphs loaded (all on a first load; the changed ones otherwise)
    unchanged: int = 0  # graphs left alone: the same digest and count as at the last load


class Census(Protocol):
    """What the engine holds: triple counts of graphs, and the graphs under some prefixes (server.engine.Engine
    asks over SPARQL)."""

    def counts(self, graphs: Sequence[str]) -> dict[str, int]: ...

    def graphs(self, *prefixes: str) -> set[str]: ...


class Carrier(Protocol):
    """What moves the data: staging one file into one graph, the swap, and the clean-up."""

    target: str  # where the data goes, for messages
    union: bool  # also load the union of the graphs as one graph (UNION_GRAPH)
    census: Census | None  # a faster way than SPARQL to count the graphs' triples, if the carrier has one

    def recorded(self) -> Record:
        """The digest and triple count of each graph as last loaded ({} when the carrier keeps no record)."""

    def stage(self, items: list[tuple[Path, str]]) -> None:
        """Load each file into its (staging) graph."""

    def swap(self, change: Change) -> None:
        """Apply the change at once (see Change)."""

    def drop(self, graphs: list[str]) -> None:
        """Best effort, after a failure: drop these staging graphs."""

    def done(self, paths: list[Path]) -> None:
        """After the load, failed or not: forget the files."""


def load_staged(
    build: Path, engine: Engine, carrier: Carrier, echo: Callable[[str], None] = print, token: str | None = None
) -> LoadSummary:
    """Load the build in `build` (its N-Quads dump) into the engine, one named graph per data file, idempotently;
    on any error before the swap the engine keeps the graphs it had (see the module's docstring)."""
    start = time.monotonic()
    nquads = build / f"{NAME}.nq"
    if not nquads.is_file():
        raise RkgError(f"{build}: no {NAME}.nq here (run `rkg build` first)")
    token = token or uuid.uuid4().hex[:12]
    engine.ask("ASK { }")  # reachable, and a SPARQL endpoint, before anything is written
    census = carrier.census or engine
    folder = build / f"graphs-{token}"
    try:
        data = write_graph_files(nquads, folder)
        recorded = carrier.recorded()
        held = census.graphs(GRAPH_BASE, UNION_GRAPH + STAGING)
        plan = plan_load(data, live_counts(census, data), held, recorded, carrier.union)
        files = [*plan.load, write_union_file(data, folder / "union.nt")] if plan.union == "whole" else plan.load
        echo(announce(plan, data, files, carrier.target, token))
        record = new_record(plan, data, files, recorded)
        apply_plan(plan, files, record, census, carrier, echo, token)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    seconds = time.monotonic() - start
    summary = LoadSummary(
        len(data), sum(f.triples for f in data), plan.dropped, seconds, len(plan.load), len(plan.unchanged)
    )
    echo(f"loaded {summary.graphs} graphs, {summary.triples} triples in {summary.seconds:.1f} s")
    return summary


def live_counts(census: Census, files: list[GraphFile]) -> dict[str, int]:
    """The engine's triple count of each graph of the build and of the union graph."""
    return census.counts([f.iri for f in files] + [UNION_GRAPH])


def new_record(plan: Plan, data: list[GraphFile], files: list[GraphFile], recorded: Record) -> Record:
    """The digest and triple count of every graph once the load is done, the union's included (its count: that of
    its file when loaded whole, as recorded when nothing changed, else counted from the graph files)."""
    record: Record = {f.iri: (f.digest, f.triples) for f in data}
    if plan.union == "none":
        return record
    whole = [f.triples for f in files if f.iri == UNION_GRAPH]
    same = [recorded[UNION_GRAPH][1]] if plan.union == "same" else []
    record[UNION_GRAPH] = (union_digest(data), (whole or same or [union_size(data)])[0])
    return record


def announce(plan: Plan, data: list[GraphFile], files: list[GraphFile], target: str, token: str) -> str:
    """The first line of a load: what moves, and why."""
    union = " and their union" if plan.union != "none" else ""
    head = f"loading {len(data)} graphs{union}, {sum(f.triples for f in data)} triples, into {target}"
    if plan.first:
        return f"{head}: a first load (the engine holds none of the project's graphs), straight into the live graphs"
    whole = "; the union reloaded whole" if plan.union == "whole" else ""
    return (
        f"{head}: {len(plan.load)} changed since the last load, {len(plan.unchanged)} unchanged, "
        f"{len(plan.stale)} to drop{whole} (staging token {token}); {sum(f.triples for f in files)} triples to stage"
    )


def apply_plan(
    plan: Plan,
    files: list[GraphFile],
    record: Record,
    census: Census,
    carrier: Carrier,
    echo: Callable[[str], None],
    token: str,
) -> None:
    """Stage (or, on a first load, load) `files`, swap, then check the live counts of what moved. A failure before
    the swap drops what was staged (on a first load: what was loaded)."""
    targets = {f.iri: f.iri if plan.first else f"{f.iri}{STAGING}{token}" for f in files}
    stale = plan.stale + ([UNION_GRAPH] if plan.union == "none" and not plan.first else [])
    began = time.monotonic()
    try:
        stage_all(files, targets, census, carrier, echo, "loaded" if plan.first else "staged")
        began = time.monotonic()
        if plan.first or plan.moves or stale:
            pairs = [] if plan.first else list(targets.items())
            carrier.swap(Change(pairs, stale, plan.union == "difference", record))
    except BaseException as err:
        with contextlib.suppress(RkgError):  # best effort: a leftover staging graph is dropped by the next load
            carrier.drop(list(targets.values()))
        if plan.first and isinstance(err, RkgError):
            raise RkgError(f"{err} {FIRST_FAILED}") from None
        raise
    finally:
        carrier.done([f.path for f in files])
    echo(swapped(plan, time.monotonic() - began))
    if not plan.first:  # a first load checked each graph as it was loaded; otherwise check what the swap touched
        moved = {f.iri for f in plan.load} | {UNION_GRAPH}
        check_live(census, {g: c for g, c in record.items() if g in moved} | {g: ("", 0) for g in plan.stale})


def stage_all(
    files: list[GraphFile],
    targets: dict[str, str],
    census: Census,
    carrier: Carrier,
    echo: Callable[[str], None],
    verb: str,
) -> None:
    """Load the files into their target graphs a batch at a time, each batch's counts checked; a progress line per
    graph."""
    total, done = sum(f.triples for f in files), 0
    for first in range(0, len(files), BATCH):
        batch, began = files[first : first + BATCH], time.monotonic()
        carrier.stage([(graph.path, targets[graph.iri]) for graph in batch])
        found = census.counts([targets[graph.iri] for graph in batch])
        for number, graph in enumerate(batch, first + 1):
            if found[targets[graph.iri]] != graph.triples:
                raise RkgError(
                    f"graph {graph.name}: the engine holds {found[targets[graph.iri]]} triples after loading "
                    f"{graph.path.name}, but the build has {graph.triples}; nothing was replaced, the engine "
                    "keeps its previous graphs."
                )
            done += graph.triples
            echo(progress(done, total, number, len(files), graph, time.monotonic() - began, verb))


def swapped(plan: Plan, seconds: float) -> str:
    """The line after the swap: what was replaced, left alone and dropped."""
    union = {"whole": " and their union", "difference": " and the union by its difference"}.get(plan.union, "")
    if plan.first:
        line = f"loaded {len(plan.load)} live graphs{union} directly (first load) in {seconds:.2f} s"
    elif not plan.moves:
        line = f"nothing moved: all {len(plan.unchanged)} graphs are as the last load left them"
    else:
        line = f"replaced {len(plan.load)} live graphs{union} at once in {seconds:.2f} s"
    if plan.unchanged and plan.moves:
        line += f"; left {len(plan.unchanged)} unchanged graphs alone"
    if plan.dropped:
        line += f"; dropped {len(plan.dropped)} graphs no longer in the build: {', '.join(plan.dropped)}"
    return line


def check_live(census: Census, expected: Record) -> None:
    """These graphs now hold the expected number of triples."""
    live = census.counts(list(expected))
    for iri, (_, triples) in expected.items():
        if live[iri] != triples:
            name = iri.removeprefix(GRAPH_BASE).removeprefix(BASE_IRI)
            raise RkgError(f"graph {name}: {live[iri]} triples live after the load, expected {triples}.")


def progress(
    done: int,
    total: int,
    number: int,
    count: int,
    graph: GraphFile,
    seconds: float,
    verb: str = "staged",
    width: int = 20,
) -> str:
    """One line of a load's progress: a bar of the triples done, then the graph just staged (or loaded)."""
    filled = round(width * done / total) if total else width
    bar = "[" + "#" * filled + "." * (width - filled) + "]"
    return (
        f"{bar} {number:>{len(str(count))}}/{count} {graph.name:<24} {graph.triples:>8} triples  "
        f"{verb} and checked (its batch: {seconds:.2f} s)"
    )
