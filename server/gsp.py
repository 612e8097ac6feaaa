"""Loading a build into any SPARQL 1.1 engine with the Graph Store HTTP Protocol and SPARQL Update (Fuseki,
GraphDB, Oxigraph's server…), for engines without a bulk loader we drive (Virtuoso's is in server/engine.py).

Each graph is PUT into its staging graph (on a first load, straight into its live graph); the swap is one SPARQL
Update request of MOVEs and DROPs, which these engines apply as one transaction (the staging and checks are
server/loading.py's). No record of digests is kept: every load moves every graph.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from server.engine import Engine
from server.errors import EngineError
from server.loading import Change, LoadSummary, Record, load_staged


def swap_update(pairs: list[tuple[str, str]], stale: list[str]) -> str:
    """One SPARQL Update: each live graph replaced by its staging graph (pairs of live, staged), then the stale
    graphs dropped."""
    moves = [f"MOVE SILENT GRAPH <{staged}> TO GRAPH <{live}>" for live, staged in pairs]
    drops = [f"DROP SILENT GRAPH <{graph}>" for graph in stale]
    return " ;\n".join(moves + drops)


@dataclass(frozen=True)
class GraphStore:
    """An engine's Graph Store Protocol endpoint (`store`) and SPARQL Update endpoint (`update`)."""

    store: str
    update: str
    timeout: float = 600.0
    union = False  # these engines read a default graph of several graphs correctly
    census = None  # counted over SPARQL

    @property
    def target(self) -> str:
        return self.store

    def stage(self, items: list[tuple[Path, str]]) -> None:
        """Replace each graph with its N-Triples file."""
        for path, graph in items:
            self._send("PUT", self.store, params={"graph": graph}, content=path.read_bytes(),
                       headers={"Content-Type": "application/n-triples"})  # fmt: skip

    def recorded(self) -> Record:
        """No record is kept here: every graph is staged and swapped at every load."""
        return {}

    def swap(self, change: Change) -> None:
        if change.pairs or change.stale:
            self._update(swap_update(change.pairs, change.stale))

    def drop(self, graphs: list[str]) -> None:
        self._update(swap_update([], graphs))

    def done(self, paths: list[Path]) -> None:
        pass

    def _update(self, update: str) -> None:
        self._send("POST", self.update, content=update.encode(), headers={"Content-Type": "application/sparql-update"})

    def _send(self, method: str, url: str, **kwargs: object) -> None:
        try:
            response = httpx.request(method, url, timeout=self.timeout, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as err:
            raise EngineError(f"cannot reach {url} ({type(err).__name__}: {err})") from None
        if response.status_code >= 400:
            first = (response.text.strip().splitlines() or [""])[0][:300]
            raise EngineError(f"{method} {url} answered {response.status_code}: {first}")


def load_with_gsp(
    build: Path, engine: Engine, store: GraphStore, echo: Callable[[str], None] = print, token: str | None = None
) -> LoadSummary:
    """Load the build in `build` (its N-Quads dump) through the Graph Store Protocol (see server/loading.py)."""
    return load_staged(build, engine, store, echo, token)
