"""Where the graph's files live and which named graph each one loads into."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from server.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
BASE_IRI = "https://w3id.org/repatriation-kg/"
GRAPH_BASE = BASE_IRI + "graph/"
ONTOLOGY_IRI = BASE_IRI + "ontology"
GRAPH_SUFFIXES = (".ttl", ".trig", ".nt", ".nq", ".rdf")

PREFIXES = {
    "rep": BASE_IRI + "ontology#",
    "kg": BASE_IRI + "id/",
    "shp": BASE_IRI + "shapes#",
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "oa": "http://www.w3.org/ns/oa#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "schema": "https://schema.org/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "sh": "http://www.w3.org/ns/shacl#",
    "vann": "http://purl.org/vocab/vann/",
    "wd": "http://www.wikidata.org/entity/",
}


def sparql_prologue(prefixes: Mapping[str, str] | None = PREFIXES) -> str:
    """PREFIX lines declaring `prefixes`, by default every prefix the project uses (Oxigraph takes them
    predeclared; an external engine needs them in the query text)."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in (prefixes or {}).items())


@dataclass(frozen=True)
class Layout:
    """The folders that make up the graph; defaults are the repository's own."""

    ontology: Path = field(default=ROOT / "ontology")
    data: Path = field(default=ROOT / "data")
    shapes: Path = field(default=ROOT / "shapes")

    @property
    def context(self) -> Path:
        """The JSON-LD context used for compacted JSON-LD output."""
        return self.ontology / "context.jsonld"

    def graph_files(self) -> list[tuple[Path, ox.NamedNode]]:
        """Ontology and data files, each with the named graph it loads into."""
        files = [(p, ox.NamedNode(GRAPH_BASE + "ontology")) for p in _rdf_files(self.ontology)]
        files += [(p, ox.NamedNode(GRAPH_BASE + p.stem)) for p in _rdf_files(self.data)]
        return files

    def shape_files(self) -> list[Path]:
        return _rdf_files(self.shapes)


def _rdf_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise InputError(folder, "no such folder")
    return sorted(p for p in folder.iterdir() if p.suffix in GRAPH_SUFFIXES and p.is_file())
