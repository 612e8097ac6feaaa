"""Loading a build into any SPARQL 1.1 engine with the Graph Store HTTP Protocol and SPARQL Update (Fuseki,
GraphDB, Oxigraph's server…), for engines without a bulk loader we drive (Virtuoso's is in server/engine.py).

Each named graph of the build (blank nodes as Skolem IRIs, see server/skolem.py) is PUT into a staging graph and its
triple count checked over SPARQL; only then are all live graphs replaced by their staging graphs, and the graphs no
longer in the build dropped, in one SPARQL Update request, which these engines apply as one transaction. A failure
before that leaves the previous graphs serving, and the staging graphs are dropped.
"""

from __future__ import annotations

import contextlib
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from server.build import NAME
from server.engine import STAGING, UNION_GRAPH, Engine, LoadSummary, progress, write_graph_files
from server.errors import RkgError
from server.project import GRAPH_BASE


@dataclass(frozen=True)
class GraphStore:
    """An engine's Graph Store Protocol endpoint (`store`) and SPARQL Update endpoint (`update`)."""

    store: str
    update: str
    timeout: float = 600.0

    def put(self, graph: str, path: Path) -> None:
        """Replace `graph` with the N-Triples file at `path`."""
        with path.open("rb") as body:
            self._send("PUT", self.store, params={"graph": graph}, content=body.read(),
                       headers={"Content-Type": "application/n-triples"})  # fmt: skip

    def run_update(self, update: str) -> None:
        self._send("POST", self.update, content=update.encode(), headers={"Content-Type": "application/sparql-update"})

    def _send(self, method: str, url: str, **kwargs: object) -> None:
        try:
            response = httpx.request(method, url, timeout=self.timeout, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as err:
            raise RkgError(f"cannot reach {url} ({type(err).__name__}: {err})") from None
        if response.status_code >= 400:
            first = (response.text.strip().splitlines() or [""])[0][:300]
            raise RkgError(f"{method} {url} answered {response.status_code}: {first}")


def swap_update(pairs: list[tuple[str, str]], stale: list[str]) -> str:
    """One SPARQL Update: each live graph replaced by its staging graph, then the stale graphs dropped."""
    moves = [f"MOVE SILENT GRAPH <{staged}> TO GRAPH <{live}>" for live, staged in pairs]
    drops = [f"DROP SILENT GRAPH <{graph}>" for graph in stale]
    return " ;\n".join(moves + drops)


def load_with_gsp(
    build: Path, engine: Engine, store: GraphStore, echo: Callable[[str], None] = print, token: str | None = None
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
    files = write_graph_files(nquads, folder)
    staged = {f.iri: f"{f.iri}{STAGING}{token}" for f in files}
    total = sum(f.triples for f in files)
    echo(f"loading {len(files)} graphs, {total} triples, into {store.store} (staging token {token})")
    done = 0
    try:
        for number, graph in enumerate(files, 1):
            began = time.monotonic()
            store.put(staged[graph.iri], graph.path)
            found = engine.count(staged[graph.iri])
            if found != graph.triples:
                raise RkgError(
                    f"graph {graph.name}: the engine holds {found} triples after the PUT of {graph.path.name}, but "
                    f"the build has {graph.triples}; nothing was replaced, the engine keeps its previous graphs."
                )
            done += graph.triples
            echo(progress(done, total, number, len(files), graph, time.monotonic() - began))
        ours = set(staged) | set(staged.values())
        stale = sorted(g for g in engine.graphs(GRAPH_BASE) if g not in ours)  # and leftovers of failed loads
        began = time.monotonic()
        store.run_update(swap_update(list(staged.items()), [*stale, UNION_GRAPH]))  # a union graph is Virtuoso's
    except BaseException:
        with contextlib.suppress(RkgError):  # best effort: a leftover staging graph is dropped by the next load
            store.run_update(swap_update([], list(staged.values())))
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    dropped = [g for g in stale if STAGING not in g]
    echo(
        f"replaced {len(files)} live graphs in one update in {time.monotonic() - began:.2f} s"
        + (f"; dropped {len(dropped)} graphs no longer in the build: {', '.join(dropped)}" if dropped else "")
    )
    for graph in files:  # what is now serving
        found = engine.count(graph.iri)
        if found != graph.triples:
            raise RkgError(f"graph {graph.name}: {found} triples live after the load, expected {graph.triples}.")
    summary = LoadSummary(len(files), total, dropped, time.monotonic() - start)
    echo(f"loaded {summary.graphs} graphs, {summary.triples} triples in {summary.seconds:.1f} s")
    return summary
