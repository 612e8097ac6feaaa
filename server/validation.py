"""Whole-graph validation: SHACL shapes plus, when a source folder is given, quote verification."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path

import pyoxigraph as ox

from server.fastshacl import check_shapes_fast
from server.project import Layout
from server.quotes import QuoteCheck, verify_quotes
from server.rdffiles import parse_file
from server.shacl import Violation
from server.store import load_store, to_rdflib, union_triples
from server.terms import compact


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
    (and the pySHACL version), so unchanged data is never checked twice; quotes are always checked.
    """
    store = load_store(layout)
    triples = union_triples(store)
    key = _cache_key(layout)
    results = _cached(cache, key)
    if results is None:
        shapes = to_rdflib(q.triple for path in layout.shape_files() for q in parse_file(path))
        results = check_shapes_fast(to_rdflib(triples), shapes)
        _store_cache(cache, key, results)
    quotes = verify_quotes(store, sources) if sources is not None else None
    return Report(len(triples), results, quotes), store


def _cache_key(layout: Layout) -> str:
    digest = hashlib.sha256(f"pyshacl {version('pyshacl')}\0".encode())
    for path in [p for p, _ in layout.graph_files()] + layout.shape_files():
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _cached(cache: Path | None, key: str) -> list[Violation] | None:
    path = cache / f"shacl-{key}.json" if cache else None
    if path is None or not path.is_file():
        return None
    try:
        return [Violation(**fields) for fields in json.loads(path.read_text(encoding="utf-8"))]
    except (ValueError, TypeError):
        return None  # a damaged cache entry is ignored and rewritten


def _store_cache(cache: Path | None, key: str, results: list[Violation]) -> None:
    if cache is None:
        return
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"shacl-{key}.json"
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps([asdict(r) for r in results]), encoding="utf-8")
    temporary.replace(path)


def _shape(iri: str) -> str:
    return iri if iri.startswith("[") else compact(iri)
