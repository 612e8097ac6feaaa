"""Everything the server serves, prepared once at start-up: the validated store, its version and dumps.

The store is the embedded Oxigraph store (the default) or, with an engine URL, the same graph in an external SPARQL
engine (server/remote.py), which must hold the build of these files (`rkg load`): its graphs and their sizes are
checked at start-up. Either way the pages read `Site.store` and queries go to `Site.pool`.
"""

from __future__ import annotations

import functools
import json
import math
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from server.build import dump
from server.catalog import graph_sizes
from server.config import Settings
from server.engine import Engine
from server.errors import RkgError
from server.executor import QueryPool, StoreSource
from server.loading import STAGING, UNION_GRAPH
from server.memory import settle, trim
from server.project import GRAPH_BASE
from server.remote import RemotePool, RemoteStore
from server.store import ReadStore, data_version, persistent_store
from server.validation import Report, validate

BYTES_PER_QUAD = 412  # of an in-memory pyoxigraph store, once loaded (see in_memory_mib)
PROCESS_MIB = 48  # a server or worker process without its store (Python, pyoxigraph, FastAPI)
KEPT_MIB = 128  # what the server process keeps beside its store: canned answers, pages, results (measured: ~130 at 1M)


class InvalidData(RkgError):
    """The graph does not validate: the server refuses to start."""

    exit_code = 1

    def __init__(self, report: Report):
        super().__init__("the graph does not validate:\n" + "\n".join(report.lines()))
        self.report = report


class EngineMismatch(RkgError):
    """The engine does not hold the graphs of these files: the server refuses to serve it."""

    exit_code = 1


@dataclass
class Site:
    settings: Settings
    store: ReadStore
    triples: int
    version: str
    modified: datetime
    pool: QueryPool | RemotePool
    graphs: frozenset[str]
    snapshot: Path | None = None  # the workers' copy of the embedded store, removed on close
    placement: str = ""  # why the embedded store is on disk, or has fewer workers than asked (memory_plan)
    _dumps: dict[str, bytes] = field(default_factory=dict)

    @property
    def remote(self) -> bool:
        return isinstance(self.store, RemoteStore)

    def serving(self) -> str:
        """Where the graph is served from, in a few words for the start-up line."""
        if self.remote:
            return f"the engine at {self.settings.engine}"
        where = "on disk" if isinstance(self.pool.source, StoreSource) and self.pool.source.on_disk else "in memory"
        return f"the embedded store {where}" + (f" ({self.placement})" if self.placement else "")

    def close(self) -> None:
        """Release the store (an on-disk store is locked while open; an engine's connections are closed) and remove
        the workers' snapshot."""
        if isinstance(self.store, RemoteStore):
            self.store.close()
        self.store = ox.Store()
        self._dumps.clear()
        if self.snapshot is not None:
            shutil.rmtree(self.snapshot.parent, ignore_errors=True)

    @functools.cached_property
    def context_file(self) -> bytes:
        """ontology/context.jsonld as it is published (read once)."""
        return self.settings.layout.context.read_bytes()

    @functools.cached_property
    def context(self) -> dict:
        """The JSON-LD context (the `@context` object of the context file)."""
        return json.loads(self.context_file)["@context"]

    def dump(self, ext: str) -> bytes:
        """One dump file of the whole graph (made on first request, then kept)."""
        if ext not in self._dumps:
            self._dumps[ext] = dump(self.store, ext, self.context)
        return self._dumps[ext]


def build_site(settings: Settings) -> Site:
    """Validate the graph (refusing invalid data), then open the store and prepare what evaluates queries."""
    report, store = validate(settings.layout, settings.sources, settings.cache)
    trim()  # what validation held (the graph converted for SHACL) goes back to the system
    if not report.conforms:
        raise InvalidData(report)
    layout = settings.layout
    version = data_version(layout)
    modified = datetime.fromtimestamp(max(p.stat().st_mtime for p, _ in layout.graph_files()), UTC)
    if settings.engine:
        remote, pool = _remote(settings, graph_sizes(store))
        return Site(settings, remote, report.triples, version, modified, pool, frozenset(remote.graphs))
    graphs = frozenset(g.value for g in store.named_graphs())
    snapshot, workers, placement = None, settings.workers, ""
    if settings.store_path is not None:
        store = persistent_store(settings.store_path, store, version)
        source, placement = StoreSource(settings.store_path, on_disk=True), f"--store {settings.store_path}"
    else:
        snapshot = Path(tempfile.mkdtemp(prefix="rkg-")) / "snapshot"  # the workers' copy, removed on close
        share = settings.memory_limit // settings.http_workers  # each HTTP worker builds a site of its own
        workers, placement = memory_plan(len(store), settings.workers, share)
        if workers == 0:  # not even one worker's copy fits beside the server's: all share one on-disk store
            workers = settings.workers
            store = persistent_store(snapshot, store, version)
            source = StoreSource(snapshot, on_disk=True)
        else:
            store.dump(str(snapshot), format=ox.RdfFormat.N_QUADS)
            source = StoreSource(snapshot)
    pool = QueryPool(source, workers)
    settle()  # what start-up took beyond the store goes back; later growth is measured from here (memory.py)
    return Site(settings, store, report.triples, version, modified, pool, graphs, snapshot, placement)


def memory_plan(quads: int, workers: int, limit: int) -> tuple[int, str]:
    """How many query workers may hold a copy of the graph in memory beside the server's within `limit` MiB: all
    those asked for, or fewer, or none (then the store goes on disk); and why, when not all."""
    each = in_memory_mib(quads, 1) + PROCESS_MIB
    fit = min(workers, (limit - KEPT_MIB) // each - 1)
    if fit == workers:
        return workers, ""
    copies = (
        f"{workers + 1} copies of about {each:,} MiB in memory and {KEPT_MIB} MiB kept by the server would pass "
        f"{limit:,} MiB (--memory-limit)"
    )
    return (fit, f"{fit} query worker{'s' if fit > 1 else ''} of {workers}: {copies}") if fit > 0 else (0, copies)


def in_memory_mib(quads: int, copies: int) -> int:
    """About how many MiB `copies` in-memory stores of `quads` quads take, settled after loading and queries
    (server/memory.py): measured 390 MiB for 994,571 quads."""
    return math.ceil(quads * BYTES_PER_QUAD * copies / 2**20)


def _remote(settings: Settings, expected: dict[str, int]) -> tuple[RemoteStore, RemotePool]:
    """The engine's store and query pool, once the engine is seen to hold exactly the graphs of these files."""
    assert settings.engine is not None
    engine = Engine(settings.engine, timeout=max(settings.query_timeout, 30.0))
    try:
        held = {g for g in engine.graphs(GRAPH_BASE) if STAGING not in g}
        found = {g: n for g, n in engine.counts(sorted(held | set(expected))).items() if n}
        if found != expected:
            raise EngineMismatch(_mismatch(settings.engine, found, expected))
        graphs = list(expected)
        default = [UNION_GRAPH] if engine.count(UNION_GRAPH) else graphs  # Virtuoso's union graph, when loaded
    except BaseException:
        engine.close()
        raise
    return RemoteStore(engine, graphs, default), RemotePool(settings.engine, graphs, settings.workers, default)


def _mismatch(url: str, found: dict[str, int], expected: dict[str, int]) -> str:
    differences = [
        f"{g.rsplit('/', 1)[-1]}: {found.get(g, 0)} triples in the engine, {expected.get(g, 0)} in the files"
        for g in sorted(set(found) | set(expected))
        if found.get(g) != expected.get(g)
    ]
    more = f"; and {len(differences) - 5} more" if len(differences) > 5 else ""
    return (
        f"the engine at {url} does not hold the graph of these files ({'; '.join(differences[:5])}{more}). "
        f"Load it first: rkg load --engine {url}"
    )
