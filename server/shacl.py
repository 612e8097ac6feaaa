"""SHACL validation of the graph with pySHACL, as a list of readable results."""

from __future__ import annotations

from dataclasses import dataclass

import pyshacl
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import SH

from server.project import PREFIXES


@dataclass(frozen=True, order=True)
class Violation:
    """One SHACL validation result, with IRIs as full strings."""

    shape: str
    focus: str
    path: str | None
    severity: str
    message: str
    value: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == str(SH.Violation)


def check_shapes(data: rdflib.Graph, shapes: rdflib.Graph) -> list[Violation]:
    """Every validation result of `shapes` over `data` (core SHACL, no inference)."""
    results = validation_results(data, shapes)
    found = []
    for result in results.subjects(rdflib.RDF.type, SH.ValidationResult):
        value = results.value(result, SH.value)
        found.append(
            Violation(
                shape=_name(results, shapes, results.value(result, SH.sourceShape)),
                focus=str(results.value(result, SH.focusNode)),
                path=_path(results, results.value(result, SH.resultPath)),
                severity=str(results.value(result, SH.resultSeverity)),
                message=str(results.value(result, SH.resultMessage) or ""),
                value=None if value is None else str(value),
            )
        )
    return sorted(found)


def validation_results(data: rdflib.Graph, shapes: rdflib.Graph) -> rdflib.Graph:
    """pySHACL's results graph of `shapes` over `data` (core SHACL, no inference, warnings allowed)."""
    _, results, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", allow_warnings=True)
    return results


def _name(results: rdflib.Graph, shapes: rdflib.Graph, shape: object) -> str:
    if isinstance(shape, rdflib.BNode):
        name = shapes.value(shape, SH.name)
        return f"[{name}]" if name else "[anonymous shape]"
    return str(shape)


def _path(graph: rdflib.Graph, path: object) -> str | None:
    """A SHACL path written as a SPARQL property path with prefixed names."""
    if path is None:
        return None
    if isinstance(path, rdflib.URIRef):
        return _prefixed(str(path))
    if (graph.value(path, rdflib.RDF.first)) is not None:
        return "/".join(_path(graph, step) or "?" for step in Collection(graph, path))
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "|".join(_path(graph, step) or "?" for step in Collection(graph, alternatives))
    inverse = graph.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + (_path(graph, inverse) or "?")
    return "?"


def _prefixed(iri: str) -> str:
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return f"<{iri}>"
