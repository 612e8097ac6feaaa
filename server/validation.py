"""Whole-graph validation: SHACL shapes plus, when a source folder is given, quote verification."""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pyoxigraph as ox
import rdflib

from server import shaclcache
from server.fastshacl import check_shapes_fast
from server.project import Layout
from server.quotes import QuoteCheck, verify_quotes
from server.rdffiles import parse_file
from server.rdfgraph import to_graph
from server.shacl import Violation
from server.store import load_store, to_rdflib, union_triples
from server.terms import compact
from server.units import Unit, attribute, check_units, split


@dataclass(frozen=True)
class Report:
    triples: int
    results: list[Violation]
    quotes: QuoteCheck | None

    @property
    def errors(self) -> list[Violation]:
        return [r for r in self.results if r.is_error]

    @property
    def conforms(self) -> bool:
        return not self.errors and not (self.quotes and self.quotes.problems)

    def lines(self) -> list[str]:
        """The report as text, one result a line, then a summary line."""
        out = [
            f"{compact(r.severity).removeprefix('sh:').upper()}: {_shape(r.shape)} focus {compact(r.focus)}"
            + (f" path {r.path}" if r.path else "")
            + (f" value {r.value}" if r.value not in (None, r.focus) else "")
            + f": {r.message}"
            for r in self.results
        ]
        if self.quotes:
            out += [
                f"QUOTE: {compact(p.owner)} in {p.file}"
                + (f" [{p.start},{p.end})" if p.start is not None else "")
                + f": {p.message}"
                for p in self.quotes.problems
            ]
        quotes = (
            "quotes not verified (pass --sources DIR)"
            if self.quotes is None
            else f"{self.quotes.checked} quotes checked, {len(self.quotes.problems)} problems"
        )
        warnings = len(self.results) - len(self.errors)
        verdict = "conforms" if self.conforms else "does NOT conform"
        out.append(
            f"{self.triples} triples: {verdict}; {len(self.errors)} SHACL violations, {warnings} warnings; {quotes}."
        )
        return out


def validate(layout: Layout, sources: Path | None = None, cache: Path | None = None) -> tuple[Report, ox.Store]:
    """Load the graph, check it against the shapes (and the quotes), and return the report and store.

    With a cache folder, the SHACL results are kept under the hash of the ontology, data and shapes files
    (and the pySHACL version), so unchanged data is never checked twice; and each data file's share of them
    under the hashes of that file, the shared files and the shapes, so that a changed data file is checked
    alone (see server/units.py). Quotes are always checked.
    """
    store = load_store(layout)
    triples = union_triples(store)
    key = _cache_key(layout)
    results = shaclcache.load(cache, f"shacl-{key}")
    if results is None:
        with _collector_paused():  # the graph and pySHACL's results are many small objects, few of them garbage
            results = _check(layout, store, triples, cache)
        shaclcache.save(cache, f"shacl-{key}", results)
    quotes = verify_quotes(store, sources) if sources is not None else None
    return Report(len(triples), results, quotes), store


def _check(layout: Layout, store: ox.Store, triples: set[ox.Triple], cache: Path | None) -> list[Violation]:
    shapes = to_rdflib(q.triple for path in layout.shape_files() for q in parse_file(path))
    units = split(store, layout, shapes) if cache is not None else None
    return check_shapes_fast(to_graph(triples), shapes) if units is None else _by_units(units, shapes, triples, cache)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a while (it costs about a tenth of a large validation)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _cache_key(layout: Layout) -> str:
    digest = hashlib.sha256(f"pyshacl {version('pyshacl')}\0".encode())
    for path in [p for p, _ in layout.graph_files()] + layout.shape_files():
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _by_units(units: list[Unit], shapes: rdflib.Graph, triples: set[ox.Triple], cache: Path | None) -> list[Violation]:
    """The results of the whole graph from each unit's cached results, checking only the units without any.

    When the shared unit or more than a quarter of the units must be checked, the whole graph is checked at
    once instead (faster) and each unit's share of its results is cached.
    """
    kept = [shaclcache.load(cache, f"unit-{unit.key}") for unit in units]
    missing = [number for number, results in enumerate(kept) if results is None]
    if 0 in missing or len(missing) * 4 > len(units):
        results = check_shapes_fast(to_graph(triples), shapes)
        for unit, share in zip(units, attribute(results, units, shapes) or [], strict=False):
            shaclcache.save(cache, f"unit-{unit.key}", share)
        return results
    for number, results in zip(missing, check_units([units[n] for n in missing], shapes), strict=True):
        shaclcache.save(cache, f"unit-{units[number].key}", results)
        kept[number] = results
    return sorted({v for results in kept if results is not None for v in results})


def _shape(iri: str) -> str:
    return iri if iri.startswith("[") else compact(iri)
