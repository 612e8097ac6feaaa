"""The graph held in an embedded Oxigraph store, and its conversion for rdflib-based tools.

`ReadStore` is the store boundary: what the server reads the graph through. pyoxigraph's `Store` is one
implementation; `server.remote.RemoteStore`, an external SPARQL engine, is the other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox
import rdflib

from server.errors import RkgError
from server.project import PREFIXES, Layout
from server.rdffiles import iter_files

Result = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples


class ReadStore(Protocol):
    """The reads the pages and catalogues make: triple patterns (over every graph, or one), the server's own
    SELECT queries (solutions read as `row["var"]`, None when unbound), the named graphs and every quad."""

    def quads_for_pattern(
        self, subject: Any = None, predicate: Any = None, obj: Any = None, graph: Any = None
    ) -> Iterable[ox.Quad]: ...

    def query(
        self, query: str, *, use_default_graph_as_union: bool = ..., prefixes: Mapping[str, str] | None = ...
    ) -> Any: ...

    def named_graphs(self) -> Iterable[ox.NamedNode]: ...

    def __iter__(self) -> Iterator[ox.Quad]: ...


def load_store(layout: Layout) -> ox.Store:
    """An in-memory store with every ontology and data file in its own named graph."""
    store = ox.Store()
    store.bulk_extend(iter_files(layout.graph_files()))
    return store


def union_triples(store: ox.Store) -> set[ox.Triple]:
    """The triples of all named graphs together (the graph users query)."""
    return {ox.Triple(q.subject, q.predicate, q.object) for q in store}


def to_rdflib(triples: Iterable[ox.Triple]) -> rdflib.Graph:
    """Copy triples into an rdflib Graph (pySHACL and the JSON-LD writer need one)."""
    graph = rdflib.Graph()
    graph.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri, replace=True)
    return graph


def run_query(store: ox.Store, query: str) -> Result:
    """Evaluate a SPARQL query over the union of all graphs; the project's prefixes are predeclared."""
    try:
        return store.query(query, use_default_graph_as_union=True, prefixes=PREFIXES)
    except SyntaxError as err:
        raise RkgError(f"SPARQL syntax error: {err}") from None
    except (OSError, ValueError) as err:
        raise RkgError(f"SPARQL evaluation error: {err}") from None


def data_version(layout: Layout) -> str:
    """A short hash of every ontology and data file: the version (and HTTP ETag) of the served data."""
    digest = hashlib.sha256()
    for path, graph in layout.graph_files():
        digest.update(graph.value.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def persistent_store(path: Path, quads: ox.Store, version: str) -> ox.Store:
    """An on-disk store at `path` holding `quads`; reloaded only when the data version changed."""
    marker = path / "rkg-data-version"
    if marker.is_file() and marker.read_text(encoding="utf-8") == version:
        return ox.Store(str(path))
    path.mkdir(parents=True, exist_ok=True)
    store = ox.Store(str(path))
    store.clear()
    store.bulk_extend(quads)
    store.flush()
    marker.write_text(version, encoding="utf-8")
    return store
