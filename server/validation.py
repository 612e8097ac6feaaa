"""Whole-graph validation: SHACL shapes plus, when a source folder is given, quote verification."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from server.project import Layout
from server.quotes import QuoteCheck, verify_quotes
from server.rdffiles import parse_file
from server.shacl import Violation, check_shapes
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


def validate(layout: Layout, sources: Path | None = None) -> tuple[Report, ox.Store]:
    """Load the graph, check it against the shapes (and the quotes), and return the report and store."""
    store = load_store(layout)
    shapes = to_rdflib(q.triple for path in layout.shape_files() for q in parse_file(path))
    triples = union_triples(store)
    results = check_shapes(to_rdflib(triples), shapes)
    quotes = verify_quotes(store, sources) if sources is not None else None
    return Report(len(triples), results, quotes), store


def _shape(iri: str) -> str:
    return iri if iri.startswith("[") else compact(iri)
